#!/usr/bin/env python3
"""Scaling of featpool.<feature>_batch with threads (not a timed test).

Usage: PYTHONPATH=build/lib/python/module python3 tools/bench/python-batch.py
       [--feature=fbank] [--utterances=64] [--seconds=4] [--threads=1,2,4]

Cuts data/speech-16k.wav into utterances, times the batch call at each
thread count (best of --repeat runs), checks the results are bit-identical
to one call per utterance, and prints utterances per second and the speedup
over one thread. cpu/wall says how many cores the call kept busy. The machine's
other load moves the figures: read them as an order of magnitude.
"""
import argparse
import os
import time

import numpy as np

import featpool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--feature", default="fbank")
    p.add_argument("--utterances", type=int, default=64)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--threads", default="1,2,%d" % (os.cpu_count() or 1))
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    speech, rate = featpool.read_audio(os.path.join(ROOT, "data", "speech-16k.wav"),
                                       feature=args.feature)
    n = int(args.seconds * rate)
    reps = -(-n * args.utterances // len(speech)) + 1
    audio = np.tile(speech, reps)
    batch = [audio[i * n:(i + 1) * n] for i in range(args.utterances)]
    single = getattr(featpool, args.feature)
    batched = getattr(featpool, args.feature + "_batch")
    expected = [single(x, rate) for x in batch]
    print("%s_batch: %d utterances of %.1f s, %d CPUs" % (args.feature, len(batch),
                                                           args.seconds, os.cpu_count() or 1))
    base = None
    for threads in sorted({int(t) for t in args.threads.split(",")}):
        best, cpu = float("inf"), 0.0
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            got = batched(batch, rate, num_threads=threads)
            wall = time.perf_counter() - start
            if wall < best:
                best, cpu = wall, time.process_time() - start_cpu
        assert all(np.array_equal(g, e) for g, e in zip(got, expected)), "not bit-identical"
        base = base or best
        # cpu/wall: how many cores the call kept busy (the GIL is released).
        print("  threads=%d: %.3f s, %.0f utterances/s (%.0fx real time), speedup %.2f, "
              "cpu/wall %.2f" % (threads, best, len(batch) / best,
                                 len(batch) * args.seconds / best, base / best, cpu / best))


if __name__ == "__main__":
    main()
