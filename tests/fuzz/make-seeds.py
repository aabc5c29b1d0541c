#!/usr/bin/env python3
"""Writes the seed corpora of fuzz-npy, fuzz-kaldi-io, fuzz-config and
fuzz-pool-stream under tests/fuzz/corpus/ (fuzz-audio's: make-audio-seeds.cc).
Run once by hand; the files are committed. Needs numpy.

    tests/fuzz/make-seeds.py [CORPUS_DIR]
"""
import io
import os
import random
import struct
import sys

import numpy as np

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def path(fuzzer, name):
    os.makedirs(os.path.join(root, fuzzer), exist_ok=True)
    return os.path.join(root, fuzzer, name)


def write(fuzzer, name, data):
    with open(path(fuzzer, name), "wb") as f:
        f.write(data)


# .npy: valid float32/float64 arrays, and what ReadNpy must reject.
def npy(name, arr, version=None):
    b = io.BytesIO()
    np.lib.format.write_array(b, arr, version=version)
    write("fuzz-npy", name, b.getvalue())


npy("f4-3x5.npy", (np.arange(15, dtype="<f4").reshape(3, 5) - 7) / 3)
npy("f8-6x4.npy", np.linspace(-2, 2, 24).reshape(6, 4))
npy("f4-0x8.npy", np.zeros((0, 8), "f4"))
npy("f4-fortran.npy", np.asfortranarray(np.ones((3, 2), "f4")))
npy("i4-2x2.npy", np.ones((2, 2), "i4"))
npy("f4-1d.npy", np.ones(5, "f4"))
npy("f4-big-endian.npy", np.ones((2, 2), ">f4"))
npy("f4-nan-inf.npy", np.array([[np.nan, np.inf, -np.inf, -0.0], [1, 2, 3, 4], [0, 0, 0, 0]], "f4"))
npy("f4-v2.npy", np.ones((2, 3), "f4"), version=(2, 0))
b = io.BytesIO()
np.lib.format.write_array(b, np.ones((3, 5), "f4"))
write("fuzz-npy", "f4-truncated.npy", b.getvalue()[:-7])


# Kaldi archives ("key \0BFM \4 rows \4 cols data"), a script file, manifest lines.
def record(key, m, token=b"FM ", dtype="<f4"):
    rows, cols = m.shape
    return (key.encode() + b" \0B" + token + b"\x04" + struct.pack("<i", rows) + b"\x04" +
            struct.pack("<i", cols) + m.astype(dtype).tobytes())


two = record("utt1", np.arange(6).reshape(2, 3)) + record("spk/utt2", np.ones((3, 2)))
write("fuzz-kaldi-io", "two-records.ark", two)
write("fuzz-kaldi-io", "cut-short.ark", two[:-5])
write("fuzz-kaldi-io", "empty-matrix.ark", record("e", np.zeros((0, 4))))
write("fuzz-kaldi-io", "double-matrix.ark", record("x", np.ones((1, 2)), b"DM ", "<f8"))
write("fuzz-kaldi-io", "feats.scp", b"utt1 feats.ark:5\nspk/utt2 feats.ark:50\n\n  utt3   x.ark:7  \n")
write("fuzz-kaldi-io", "utt2spk", b"s1-a s1\ns1-b s1\ns2-c s2\n")
write("fuzz-kaldi-io", "spk2utt", b"s1 s1-a s1-b\ns2 s2-c\n")
write("fuzz-kaldi-io", "spk2warp", b"s1 0.95\ns2 1.05\n")
write("fuzz-kaldi-io", "manifest.jsonl",
      b'{"id":"spk00/utt0000","path":"in/spk00/utt0000.wav","status":"ok","output":"out.ark:14",'
      b'"shape":[12,40],"options":"1dd2edd3a62c80f4"}\n'
      b'{"id":"bad/empty","path":"in/bad/empty.wav","status":"error",'
      b'"error":"\\"x\\" \\u00e9 is empty (0 bytes)","options":"1dd2edd3a62c80f4"}\n'
      b'{"id":"cut","path":"in/c.wav","sta')


# Config files: fuzz-config runs `extract` for an even length, `pool` for an
# odd one (no '/': the harness skips inputs holding one).
def conf(name, text, pool):
    t = text.encode()
    if (len(t) % 2 == 1) != pool:
        t += b"\n"
    write("fuzz-config", name, t)


conf("fbank.conf", "--num-mel-bins=40\n--sample-frequency=16000  # Kaldi style\n--dither=0\n", False)
conf("mfcc.conf", "--feature-type=mfcc\n--num-ceps=13\n--use-energy=false\n--low-freq=20\n"
     "--high-freq=-400\n", False)
conf("spectrogram.conf", "--feature-type=spectrogram\n--frame-length=20\n--frame-shift=10\n"
     "--snip-edges=false\n", False)
conf("extract-pool.conf", "--num-mel-bins=23\n--pool=avg\n--pool-kernel=4x2\n--pool-stride=2\n"
     "--pool-ceil-mode\n", False)
conf("bad-line.conf", "num-mel-bins=40\n", False)
conf("nested.conf", "--config=fuzz.conf\n", False)
conf("pool-max.conf", "--mode=max\n--kernel=3x3\n--stride=2\n--padding=1\n--indices=idx.npy\n", True)
conf("pool-stats.conf", "--mode=stats\n", True)
conf("pool-adaptive.conf", "--mode=adaptive-avg\n--output-size=4x2\n", True)
conf("pool-lp.conf", "--mode=lp\n--norm-type=3\n--kernel=2\n--ceil-mode\n", True)

# fuzz-pool-stream: the first byte picks the mode; the rest is random.
r = random.Random(7)
for mode in range(5):
    for k in range(3):
        n = r.choice([40, 200, 700])
        write("fuzz-pool-stream", "mode%d-%d" % (mode, k),
              bytes([mode, r.randrange(256)]) + bytes(r.randrange(256) for _ in range(n)))
