#!/usr/bin/env python3
"""Builds a small dataset for the batch tests (tests/test-batch*.sh).

    make-batch-audio.py OUT_DIR NUM_GOOD [--bad] [--seconds=MIN,MAX] [--seed=N]

Good files are WAVs cut from the sample speech data/speech-16k.wav at
seeded offsets and lengths, spread over speaker directories OUT_DIR/spkNN/,
in a mix of formats: 16-bit PCM at 16 kHz (most), 8 kHz and 48 kHz
(resampled by featpool), stereo (featpool warns and uses channel 0), 24-bit
PCM and 32-bit float. With --bad, OUT_DIR/bad/ also gets one file of each
kind featpool must reject and report, and their ids (relative paths without
extension) are listed in OUT_DIR/bad-ids.txt:
empty, random bytes, truncated data, a header with no data, too short for one
frame, a NaN sample, and a dangling symbolic link. Needs only numpy.
"""
import argparse
import os
import struct
import wave

import numpy as np


def wav_bytes(samples, rate, fmt="pcm16", channels=1, declared_frames=None):
    """A RIFF/WAVE file; samples float in [-1, 1], shape [n] or [n, channels]."""
    x = np.asarray(samples, dtype=np.float64).reshape(len(samples), channels)
    if fmt == "pcm16":
        tag, width = 1, 2
        data = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2").tobytes()
    elif fmt == "pcm24":
        tag, width = 1, 3
        v = np.clip(np.round(x * 8388607), -8388608, 8388607).astype("<i4")
        data = v.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    elif fmt == "float32":
        tag, width = 3, 4
        data = x.astype("<f4").tobytes()
    else:
        raise ValueError(fmt)
    frames = len(x) if declared_frames is None else declared_frames
    data_size = frames * channels * width
    fmt_chunk = struct.pack("<HHIIHH", tag, channels, rate, rate * channels * width,
                            channels * width, 8 * width)
    header = b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVE"
    header += b"fmt " + struct.pack("<I", 16) + fmt_chunk
    header += b"data" + struct.pack("<I", data_size)
    return header + data


def resample_nearest(x, rate_in, rate_out):
    n = int(len(x) * rate_out / rate_in)
    idx = np.minimum((np.arange(n) * rate_in / rate_out).astype(int), len(x) - 1)
    return x[idx]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("count", type=int)
    p.add_argument("--bad", action="store_true")
    p.add_argument("--seconds", default="0.3,1.5")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--speech", default=os.path.join(os.path.dirname(__file__), "..", "data",
                                                   "speech-16k.wav"))
    a = p.parse_args()
    lo, hi = (float(v) for v in a.seconds.split(","))
    rng = np.random.default_rng(a.seed)
    with wave.open(a.speech) as w:
        speech = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768.0

    os.makedirs(a.out, exist_ok=True)
    for i in range(a.count):
        seconds = rng.uniform(lo, hi)
        n = int(seconds * 16000)
        start = int(rng.integers(0, len(speech) - n))
        x = speech[start:start + n]
        kind = i % 10
        rate, fmt, channels = 16000, "pcm16", 1
        if kind == 3:
            rate = 8000
        elif kind == 5:
            rate = 48000
        elif kind == 7:
            channels = 2
        elif kind == 8:
            fmt = "pcm24"
        elif kind == 9:
            fmt = "float32"
        if rate != 16000:
            x = resample_nearest(x, 16000, rate)
        if channels == 2:
            x = np.stack([x, 0.5 * x[::-1]], axis=1)
        d = os.path.join(a.out, "spk%02d" % (i % 7))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "utt%04d.wav" % i), "wb") as f:
            f.write(wav_bytes(x, rate, fmt, channels))

    if not a.bad:
        return
    bad = os.path.join(a.out, "bad")
    os.makedirs(bad, exist_ok=True)
    files = {}
    files["empty"] = b""
    files["garbage"] = rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()
    one_second = speech[:16000]
    files["truncated"] = wav_bytes(one_second, 16000)[:44 + 6000]
    files["header-only"] = wav_bytes(one_second[:0], 16000)
    files["too-short"] = wav_bytes(one_second[:100], 16000)
    nan = one_second.copy()
    nan[5000] = np.nan
    files["nan"] = wav_bytes(nan, 16000, "float32")
    for name, data in files.items():
        with open(os.path.join(bad, name + ".wav"), "wb") as f:
            f.write(data)
    os.symlink("no-such-file.wav", os.path.join(bad, "dangling.wav"))
    with open(os.path.join(a.out, "bad-ids.txt"), "w") as f:
        for name in sorted(list(files) + ["dangling"]):
            f.write("bad/%s\n" % name)


if __name__ == "__main__":
    main()
