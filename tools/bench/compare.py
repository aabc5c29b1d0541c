#!/usr/bin/env python3
"""featpool against torchaudio and torch, one thread each, in one run.

Prints, with featpool's speed-up next to each:
- extraction on the same 600 s of speech (data/speech-16k.wav tiled):
  torchaudio.compliance.kaldi fbank (80 bins), mfcc (13 cepstra, 23 bins,
  energy) and spectrogram, against featpool's featpool-extract-bench
  (Google Benchmark, JSON output: the C++ library, not the Python bindings);
- the command: `featpool extract` on a 600 s WAV to .npy, wall time;
- pooling on a 100000 x 80 matrix against torch (compare_pool.py);
- unless --quick, featpool's own targets (fused pooling, streaming, batch
  scaling, memory) from featpool-fused-bench, featpool-batch-bench and
  featpool-memory-bench;
- unless --quick, the dialects (also alone with --dialects): every preset
  and the generic mel types through the Python package, in-process,
  against each frontend's own computation in torch (whisper/audio.py, NeMo
  FilterbankFeatures, ESPnet DefaultFrontend + utterance_mvn, SpeechBrain
  Fbank, torchaudio MelSpectrogram and MFCC, FunASR WavFrontend,
  torchaudio.compliance.kaldi), each pair first checked to agree;
then a table of every target with the figure measured and whether it is met.

Times are CPU time of one thread, best of --repeat (featpool: best of
--repeat Google Benchmark repetitions); the command, batch and memory
figures are wall time. Needs the benchmarks built (libbenchmark-dev), the
Python module built (FEATPOOL_PYTHON) for the dialects, and Debian's
python3-torchaudio:

    /usr/bin/python3 tools/bench/compare.py [--build build] [--repeat 5] [--quick | --dialects]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import compare_pool  # noqa: E402
import compare_dialects  # noqa: E402

SECONDS = 600.0
RATE = 16000


def speech_600s():
    """int16 samples: the sample speech tiled to 600 s, as bench-audio.h does."""
    with wave.open(os.path.join(ROOT, "data", "speech-16k.wav"), "rb") as w:
        assert w.getframerate() == RATE and w.getsampwidth() == 2 and w.getnchannels() == 1
        sample = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return np.resize(sample, int(SECONDS * RATE))


def write_wav(path, pcm):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.astype("<i2").tobytes())


def run_bench(program, bench_filter, repeat, min_time=None):
    """{name: best run} over `repeat` repetitions of a Google Benchmark program."""
    cmd = [program, "--benchmark_format=json", "--benchmark_filter=" + bench_filter,
           "--benchmark_repetitions=%d" % repeat]
    if min_time is not None:
        cmd.append("--benchmark_min_time=%g" % min_time)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    best = {}
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration":
            continue
        if b.get("error_occurred"):
            raise SystemExit("%s: %s" % (b["run_name"], b.get("error_message")))
        b["cpu_ms"] = b["cpu_time"] * scale[b["time_unit"]]
        b["real_ms"] = b["real_time"] * scale[b["time_unit"]]
        name = b.get("run_name", b["name"])
        key = "real_ms" if name.endswith("/real_time") else "cpu_ms"
        if name not in best or b[key] < best[name][key]:
            best[name] = b
    return best


class Targets:
    def __init__(self):
        self.rows = []

    def add(self, target, figure, met):
        self.rows.append((target, figure, met))

    def print(self):
        print("\n== Targets")
        width = max(len(t) for t, _, _ in self.rows)
        for target, figure, met in self.rows:
            print("%-*s  %-34s %s" % (width, target, figure, "met" if met else "NOT MET"))


def extraction(bench_dir, repeat, targets):
    import torch
    import torchaudio
    import torchaudio.compliance.kaldi as kaldi
    print("== Extraction: %g s of 16 kHz speech, one thread, CPU ms, best of %d "
          "(torch %s, torchaudio %s)" % (SECONDS, repeat, torch.__version__,
                                         torchaudio.__version__))
    ours = run_bench(os.path.join(bench_dir, "featpool-extract-bench"),
                     "BM_Extract/|BM_Streaming10ms", repeat)
    x = torch.from_numpy(speech_600s().astype(np.float32)).unsqueeze(0)
    common = dict(sample_frequency=RATE, dither=0.0, energy_floor=0.0)
    cases = [
        ("fbank 80", "fbank80", lambda: kaldi.fbank(x, num_mel_bins=80, **common)),
        ("mfcc 13", "mfcc13",
         lambda: kaldi.mfcc(x, num_ceps=13, num_mel_bins=23, use_energy=True, **common)),
        ("spectrogram", "spectrogram", lambda: kaldi.spectrogram(x, **common)),
    ]
    frames = int((SECONDS * RATE - 400) // 160) + 1
    print("%-13s %11s %10s %9s %11s %10s %9s  %s" % (
        "feature", "featpool ms", "x realtime", "us/frame", "torch ms", "x realtime",
        "speed-up", "featpool streaming 10 ms chunks"))
    ms, stream = {}, {}
    for label, name, op in cases:
        ms[label] = ours["BM_Extract/" + name]["cpu_ms"]
        stream[label] = ours["BM_Streaming10ms/" + name]["cpu_ms"]
        torch_ms = compare_pool.time_op(op, repeat)
        print("%-13s %11.1f %10.0f %9.2f %11.1f %10.0f %8.1fx  %.1f ms, %.0fx, %.2fx offline" % (
            label, ms[label], SECONDS * 1e3 / ms[label], ms[label] * 1e3 / frames, torch_ms,
            SECONDS * 1e3 / torch_ms, torch_ms / ms[label], stream[label],
            SECONDS * 1e3 / stream[label], stream[label] / ms[label]))
        sys.stdout.flush()
    print("(offline: ComputeFeatures into a new matrix, whose pages the kernel faults in and "
          "zeroes; streaming: frames released, nothing grows)")
    fb = ms["fbank 80"]
    targets.add("fbank 80 extraction >= 3000x real time",
                "%.0fx (%.2f us/frame)" % (SECONDS * 1e3 / fb, fb * 1e3 / frames),
                SECONDS * 1e3 / fb >= 3000)
    for label in ("mfcc 13", "spectrogram"):
        targets.add("%s within 15%% of fbank (offline)" % label,
                    "%.0fx, %+.0f%% time" % (SECONDS * 1e3 / ms[label], 100 * (ms[label] / fb - 1)),
                    ms[label] <= 1.15 * fb)
        sfb = stream["fbank 80"]
        targets.add("%s within 15%% of fbank (streaming)" % label,
                    "%.0fx, %+.0f%% time" % (SECONDS * 1e3 / stream[label],
                                            100 * (stream[label] / sfb - 1)),
                    stream[label] <= 1.15 * sfb)
    targets.add("streaming 10 ms chunks <= 1.2x offline (fbank)",
                "%.2fx" % (stream["fbank 80"] / fb), stream["fbank 80"] <= 1.2 * fb)


def command(build, repeat, targets):
    featpool = os.path.join(build, "tools", "featpool")
    with tempfile.TemporaryDirectory(prefix="featpool-compare-") as tmp:
        wav = os.path.join(tmp, "600s.wav")
        npy = os.path.join(tmp, "600s.npy")
        write_wav(wav, speech_600s())
        best_wall = best_cpu = float("inf")
        for _ in range(repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([featpool, "extract", "--num-mel-bins=80", wav, "-o", npy], check=True)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    print("\n== Command: featpool extract --num-mel-bins=80 600s.wav -o 600s.npy "
          "(decode, extract, write; best of %d)" % repeat)
    print("wall %.0f ms = %.0fx real time (CPU %.0f ms = %.0fx)" % (
        best_wall * 1e3, SECONDS / best_wall, best_cpu * 1e3, SECONDS / best_cpu))
    targets.add("command on 600 s WAV to .npy >= 2000x", "%.0fx (wall)" % (SECONDS / best_wall),
                SECONDS / best_wall >= 2000)


def pooling(bench_dir, repeat, min_time, targets):
    print("\n== Pooling")
    r = compare_pool.compare(os.path.join(bench_dir, "featpool-pool-bench"), repeat, min_time)
    memcpy_ms = r["memcpy"][0]
    for label in ("max 2x2 stride 2", "avg 2x2 stride 2"):
        ms, torch_ms = r[label]
        targets.add("%s >= 25%% of memcpy bandwidth" % label,
                    "%.0f%% (%.0f MB/s)" % (100 * memcpy_ms / ms,
                                            compare_pool.ROWS * compare_pool.COLS * 4e-3 / ms),
                    memcpy_ms / ms >= 0.25)
        targets.add("%s >= 5x torch" % label, "%.1fx" % (torch_ms / ms), torch_ms / ms >= 5)
    for mode in ("max", "avg"):
        big, small = r["%s 32x32 stride 1" % mode][0], r["%s 2x2 stride 1" % mode][0]
        targets.add("%s 32x32 stride 1 <= 3x 2x2 stride 1" % mode, "%.2fx" % (big / small),
                    big <= 3 * small)
    speedups = {label: t / ms for label, (ms, t) in r.items() if t is not None}
    slowest = min(speedups, key=speedups.get)
    targets.add("every pooling configuration >= torch",
                "slowest: %s %.1fx" % (slowest, speedups[slowest]), speedups[slowest] >= 1)


def own_targets(bench_dir, repeat, targets):
    print("\n== Fused pooling, batch scaling, memory (featpool only)")
    fused = run_bench(os.path.join(bench_dir, "featpool-fused-bench"), "BM_Fused", repeat)
    for path in ("offline", "streaming"):
        alone = fused["BM_Fused/%s/extract" % path]["cpu_ms"]
        both = fused["BM_Fused/%s/extract_max2x2" % path]["cpu_ms"]
        print("fused %-9s extract %.1f ms, + max 2x2 %.1f ms: %+.1f%%" % (
            path, alone, both, 100 * (both / alone - 1)))
        targets.add("fused extract + max 2x2 (%s) < 5%% more" % path,
                    "%+.1f%%" % (100 * (both / alone - 1)), both < 1.05 * alone)
    batch = run_bench(os.path.join(bench_dir, "featpool-batch-bench"), "BM_Batch", repeat)
    fps = {j: batch["BM_Batch/jobs:%d/real_time" % j]["files/s"] for j in (1, 2)}
    print("batch, 200 files of 3-7 s: -j 1 %.0f files/s, -j 2 %.0f files/s: %.2fx" % (
        fps[1], fps[2], fps[2] / fps[1]))
    targets.add("batch -j 2 >= 1.8x files/s of -j 1", "%.2fx" % (fps[2] / fps[1]),
                fps[2] >= 1.8 * fps[1])
    memory = run_bench(os.path.join(bench_dir, "featpool-memory-bench"), ".", 1)
    # featpool-memory-bench fails a run at or over output + 32 MiB itself.
    over = []
    for pooled, pool_label in ((0, ""), (1, " --pool=max --pool-kernel=2x2")):
        for output, label in ((0, "out.npy"), (1, "ark,scp"), (2, "DIR/")):
            cmd = memory["BM_CommandMemory/seconds:7200/output:%d/pooled:%d"
                         "/iterations:1/real_time" % (output, pooled)]
            print("featpool extract 2h.wav %-42s peak RSS %5.1f MiB, output %5.1f MiB (%+.1f)" % (
                "-o " + label + pool_label + ":", cmd["peak_rss_MiB"], cmd["output_MiB"],
                cmd["over_output_MiB"]))
            over.append(cmd["over_output_MiB"])
    targets.add("command on 2-hour WAV < 32 MiB + output", "output + %.1f MiB (worst)" % max(over),
                max(over) < 32)
    peaks = []
    for name, b in memory.items():
        if name.startswith("BM_StreamMemory/"):
            peaks.append((int(name.split("seconds:")[1].split("/")[0]), b["peak_rss_MiB"]))
    peaks.sort()
    print("streaming API: peak RSS " + ", ".join("%.1f MiB over %d s" % (p, s)
                                                 for s, p in peaks))
    targets.add("streaming API < 16 MiB whatever the length",
                "%.1f MiB (up to %d s)" % (max(p for _, p in peaks), max(s for s, _ in peaks)),
                max(p for _, p in peaks) < 16)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"),
                        help="build directory (with tools/featpool and tools/bench/)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs per case, the best kept (torch and featpool)")
    parser.add_argument("--min-time", type=float, default=0.5,
                        help="pooling: --benchmark_min_time per shape (s)")
    parser.add_argument("--quick", action="store_true",
                        help="only the comparisons with the C++ benchmarks and the command")
    parser.add_argument("--dialects", action="store_true",
                        help="only the dialects: every preset through the Python package "
                        "against its frontend in torch")
    args = parser.parse_args()
    if args.quick and args.dialects:
        parser.error("--quick and --dialects exclude each other")

    import torch
    torch.set_num_threads(1)
    bench_dir = os.path.join(args.build, "tools", "bench")
    targets = Targets()
    if not args.dialects:
        extraction(bench_dir, args.repeat, targets)
        command(args.build, args.repeat, targets)
        pooling(bench_dir, args.repeat, args.min_time, targets)
    if not args.quick and not args.dialects:
        own_targets(bench_dir, args.repeat, targets)
    if not args.quick:
        if not args.dialects:
            print()
        compare_dialects.compare(args.build, speech_600s(), RATE, args.repeat, targets)
    targets.print()


if __name__ == "__main__":
    main()
