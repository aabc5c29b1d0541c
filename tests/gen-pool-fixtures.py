#!/usr/bin/env python3
"""Generates the pooling fixtures in tests/data/pool/ from PyTorch.

Run from the repository root with Debian's python3-torch / python3-torchaudio:
    /usr/bin/python3 tests/gen-pool-fixtures.py

Every case pools one of the input matrices (input-<name>.npy, float32 [T, F])
as a single-channel image x[None, None] and records what torch gives:
  max, adaptive-max   torch float32 values and int64 indices (bit-exact).
  avg, lp, adaptive-avg
                      torch run on the same input in float64, rounded to
                      float32 (featpool sums in double; torch's float32 sums
                      differ from both by their own rounding, which this
                      script measures and prints).
  stats               numpy float64 mean and population std (ddof=0).
  stack               FunASR apply_lfr's rule (front padded with copies of
                      frame 0, ceil(T/n) rows, the tail filled with the last
                      frame), written out below with torch.vstack.
A configuration torch rejects is recorded as `error=1`; featpool must reject
it too. Files written:
  cases.txt     one case per line, key=value fields (see FIELDS below)
  expected.npy  float32 [1, N]: every case's output, row-major, concatenated
  indices.npy   int64 [1, M]: every max case's indices, concatenated
The grid is seeded, so rerunning reproduces the same files.
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "pool")
SEED = 20240611

torch.set_num_threads(1)
rng = np.random.default_rng(SEED)


def f32_bits(bits):
    return np.array([bits], dtype=np.uint32).view(np.float32)[0]


def make_inputs():
    inputs = {}
    inputs["rand7x9"] = rng.standard_normal((7, 9)).astype(np.float32)
    inputs["rand16x20"] = rng.standard_normal((16, 20)).astype(np.float32)
    inputs["rand33x17"] = (rng.standard_normal((33, 17)) * 10).astype(np.float32)
    inputs["rand40x40"] = rng.uniform(-3, 3, (40, 40)).astype(np.float32)
    inputs["row1x12"] = rng.standard_normal((1, 12)).astype(np.float32)
    inputs["col12x1"] = rng.standard_normal((12, 1)).astype(np.float32)
    inputs["tiny1x1"] = np.array([[0.5]], dtype=np.float32)
    inputs["tiny2x3"] = rng.standard_normal((2, 3)).astype(np.float32)
    inputs["tiny3x2"] = rng.standard_normal((3, 2)).astype(np.float32)
    # Ties, signed zeros: values from a tiny set.
    ties = rng.choice(np.array([-1.0, -0.0, 0.0, 1.0, 2.0], dtype=np.float32), (12, 14))
    inputs["ties12x14"] = ties.astype(np.float32)
    zeros = rng.choice(np.array([-0.0, 0.0], dtype=np.float32), (9, 10))
    inputs["zeros9x10"] = zeros.astype(np.float32)
    # NaN with different payloads and signs, and infinities.
    nan = rng.standard_normal((14, 15)).astype(np.float32)
    payloads = [f32_bits(0x7FC00000), f32_bits(0x7FC00001), f32_bits(0xFFC00000),
                f32_bits(0x7FA00000)]
    for _ in range(12):
        nan[rng.integers(14), rng.integers(15)] = payloads[rng.integers(len(payloads))]
    inputs["nan14x15"] = nan
    inf = rng.standard_normal((13, 11)).astype(np.float32)
    for _ in range(8):
        inf[rng.integers(13), rng.integers(11)] = np.float32(np.inf)
    for _ in range(8):
        inf[rng.integers(13), rng.integers(11)] = np.float32(-np.inf)
    inf[0:4, 0:4] = -np.inf  # a region of -inf: index of the first element
    inputs["inf13x11"] = inf
    # Only -inf and NaN in places.
    neg = np.full((6, 7), -np.inf, dtype=np.float32)
    neg[2, 3] = np.nan
    inputs["neginf6x7"] = neg
    # Statistics pooling stability: mean 1000, deviation 1.
    inputs["mean1000"] = (1000.0 + rng.standard_normal((500, 4))).astype(np.float32)
    # Real fbank of the sample speech (torchaudio's Kaldi fbank, 80 bins,
    # Kaldi's integer sample scale), 200 frames from the middle.
    wave, rate = torchaudio.load(os.path.join(ROOT, "data", "speech-16k.wav"))
    fbank = torchaudio.compliance.kaldi.fbank(wave * 32768.0, num_mel_bins=80, dither=0.0,
                                              sample_frequency=rate)
    inputs["fbank200x80"] = fbank[100:300].numpy().astype(np.float32)
    return inputs


FIELDS = ["case", "mode", "input", "kernel", "stride", "padding", "dilation", "ceil", "cip",
          "divisor", "norm", "output", "frames", "step", "error", "rows", "cols", "offset",
          "index_offset"]


def pair(v):
    return v if isinstance(v, tuple) else (v, v)


def size_text(v):
    if v is None:
        return "-"
    t, f = pair(v)
    one = lambda x: "keep" if x is None else str(x)
    return one(t) + "x" + one(f)


def apply_lfr_reference(x, m, n):
    """FunASR apply_lfr's rule, restated: pad the front with (m-1)//2 copies
    of frame 0; ceil(T/n) rows; row i takes padded frames i*n .. i*n+m-1 and
    repeats the last frame where they run past the end."""
    t = torch.from_numpy(x)
    total = t.shape[0]
    rows = int(math.ceil(total / n))
    left = (m - 1) // 2
    padded = torch.vstack([t[0:1]] * left + [t]) if left else t
    out = []
    for i in range(rows):
        chunk = padded[i * n:i * n + m]
        missing = m - chunk.shape[0]
        if missing > 0:
            chunk = torch.vstack([chunk] + [padded[-1:]] * missing)
        out.append(chunk.reshape(1, -1))
    return torch.vstack(out).numpy()


def run_case(c, x):
    """Returns (values float32 2-D, indices int64 2-D or None)."""
    mode = c["mode"]
    t32 = torch.from_numpy(x)[None, None]
    t64 = t32.double()
    if mode == "max":
        kw = dict(kernel_size=c["kernel"], stride=c["stride"], padding=c["padding"],
                  dilation=c["dilation"], ceil_mode=c["ceil"])
        v, i = F.max_pool2d(t32, return_indices=True, **kw)
        plain = F.max_pool2d(t32, **kw)
        assert np.array_equal(plain.numpy().view(np.uint32), v.numpy().view(np.uint32))
        return v[0, 0].numpy(), i[0, 0].numpy()
    if mode == "avg":
        kw = dict(kernel_size=c["kernel"], stride=c["stride"], padding=c["padding"],
                  ceil_mode=c["ceil"], count_include_pad=c["cip"],
                  divisor_override=c["divisor"])
        v64 = F.avg_pool2d(t64, **kw)[0, 0].numpy()
        v32 = F.avg_pool2d(t32, **kw)[0, 0].numpy()
        note_deviation("avg", v32, v64)
        return v64.astype(np.float32), None
    if mode == "lp":
        kw = dict(norm_type=c["norm"], kernel_size=c["kernel"], stride=c["stride"],
                  ceil_mode=c["ceil"])
        v64 = F.lp_pool2d(t64, **kw)[0, 0].numpy()
        v32 = F.lp_pool2d(t32, **kw)[0, 0].numpy()
        note_deviation("lp", v32, v64)
        return v64.astype(np.float32), None
    if mode == "adaptive-max":
        v, i = F.adaptive_max_pool2d(t32, c["output"], return_indices=True)
        return v[0, 0].numpy(), i[0, 0].numpy()
    if mode == "adaptive-avg":
        v64 = F.adaptive_avg_pool2d(t64, c["output"])[0, 0].numpy()
        return v64.astype(np.float32), None
    if mode == "stats":
        if x.shape[0] == 0:
            raise ValueError("empty input")
        x64 = x.astype(np.float64)
        with np.errstate(invalid="ignore"):
            stats = np.concatenate([x64.mean(axis=0), x64.std(axis=0, ddof=0)])
        return stats[None, :].astype(np.float32), None
    if mode == "stack":
        return apply_lfr_reference(x, c["frames"], c["step"]), None
    raise ValueError(mode)


worst = {}


def note_deviation(mode, v32, v64):
    finite = np.isfinite(v64) & np.isfinite(v32)
    if finite.any():
        rel = np.abs(v32[finite] - v64[finite]) / np.maximum(np.abs(v64[finite]), 1e-30)
        worst[mode] = max(worst.get(mode, 0.0), float(rel.max()))


def random_window_case(mode, inputs):
    """A random max/avg/lp configuration; some are invalid on purpose."""
    names = ["rand7x9", "rand16x20", "rand33x17", "rand40x40", "row1x12", "col12x1",
             "tiny2x3", "tiny3x2", "ties12x14", "zeros9x10", "nan14x15", "inf13x11",
             "neginf6x7"]
    name = names[rng.integers(len(names))]
    large = rng.random() < 0.3
    kt = int(rng.integers(1, 14 if large else 5))
    kf = int(rng.integers(1, 14 if large else 5))
    r = rng.random()
    if r < 0.3:
        stride = None
    else:
        stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    pad = (int(rng.integers(0, kt // 2 + 1)), int(rng.integers(0, kf // 2 + 1)))
    if rng.random() < 0.06:
        pad = (kt // 2 + 1, pad[1])  # torch rejects
    dil = (1, 1)
    if mode == "max" and rng.random() < 0.35:
        dil = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    c = dict(mode=mode, input=name, kernel=(kt, kf), stride=stride, padding=pad, dilation=dil,
             ceil=bool(rng.random() < 0.4), cip=True, divisor=None, norm=2.0, output=None,
             frames=7, step=6)
    if mode == "avg":
        c["cip"] = bool(rng.random() < 0.6)
        if rng.random() < 0.15:
            c["divisor"] = int(rng.choice([1, 3, 7, -2]))
    if mode == "lp":
        c["padding"] = (0, 0)
        c["norm"] = float(rng.choice([1.0, 2.0, 3.0, 0.5, 1.5, 4.0, -1.0]))
        if name in ("inf13x11", "neginf6x7"):
            c["norm"] = float(rng.choice([1.0, 2.0]))
    return c


def base_case(mode, name, **kw):
    c = dict(mode=mode, input=name, kernel=(0, 0), stride=None, padding=(0, 0),
             dilation=(1, 1), ceil=False, cip=True, divisor=None, norm=2.0, output=None,
             frames=7, step=6)
    c.update(kw)
    return c


def make_cases(inputs):
    cases = []
    w = lambda mode, name, **kw: cases.append(base_case(mode, name, **kw))
    # Hand-picked edges.
    w("max", "tiny1x1", kernel=(2, 2), padding=(1, 1), dilation=(2, 2))  # all-padding window
    w("max", "tiny2x3", kernel=(2, 1), padding=(1, 0), dilation=(2, 1))
    w("max", "tiny2x3", kernel=(5, 5), stride=(1, 1), padding=(2, 2))  # kernel > input
    w("max", "tiny2x3", kernel=(4, 6), stride=(3, 3), padding=(2, 3), ceil=True)
    w("avg", "tiny2x3", kernel=(5, 5), stride=(1, 1), padding=(2, 2))
    w("avg", "tiny2x3", kernel=(5, 5), stride=(1, 1), padding=(2, 2), cip=False)
    w("avg", "tiny3x2", kernel=(3, 3), stride=(2, 2), padding=(1, 1), ceil=True)
    w("avg", "rand7x9", kernel=(3, 3), stride=(2, 2), padding=(1, 1), ceil=True)
    w("avg", "rand7x9", kernel=(3, 4), stride=(2, 3), padding=(1, 2), ceil=True, cip=False)
    w("avg", "rand7x9", kernel=(2, 2), divisor=3)
    w("lp", "rand7x9", kernel=(3, 3), stride=(2, 2), ceil=True, norm=3.0)  # partial windows
    w("lp", "rand7x9", kernel=(2, 2), norm=1.0)
    w("max", "ties12x14", kernel=(3, 3), stride=(1, 1))
    w("max", "zeros9x10", kernel=(2, 3), stride=(1, 1))
    w("max", "zeros9x10", kernel=(9, 10), stride=(1, 1))
    w("max", "nan14x15", kernel=(3, 3), stride=(1, 1))
    w("max", "nan14x15", kernel=(14, 15))
    w("max", "neginf6x7", kernel=(2, 2), stride=(1, 1), padding=(1, 1))
    w("max", "inf13x11", kernel=(4, 4), stride=(1, 1))
    w("max", "rand7x9", kernel=(3, 3))
    w("max", "rand7x9", kernel=(4, 4), stride=(1, 1))  # output 4x6
    w("max", "rand7x9", kernel=(8, 3))  # output too small: error
    w("max", "rand7x9", kernel=(2, 2), padding=(2, 0))  # padding > kernel/2: error
    # van Herk blocks (kernel > 2*stride + 2) on both axes, with clipping.
    for name in ("rand40x40", "nan14x15", "zeros9x10", "ties12x14", "inf13x11"):
        w("max", name, kernel=(7, 7), stride=(1, 1))
        w("max", name, kernel=(7, 6), stride=(1, 1), padding=(3, 3), ceil=True)
        w("max", name, kernel=(6, 5), stride=(1, 1), dilation=(2, 2), padding=(3, 2))
        w("avg", name, kernel=(7, 7), stride=(1, 1), padding=(3, 3))
        w("avg", name, kernel=(9, 8), stride=(2, 1), padding=(4, 4), ceil=True, cip=False)
    w("max", "rand40x40", kernel=(13, 11), stride=(2, 1), padding=(6, 5), dilation=(3, 2))
    w("max", "rand40x40", kernel=(12, 12), stride=(3, 3), ceil=True)
    w("lp", "rand40x40", kernel=(9, 9), stride=(1, 1), norm=2.0)
    w("lp", "rand40x40", kernel=(9, 9), stride=(2, 2), norm=1.0, ceil=True)
    # Real fbank.
    fb = "fbank200x80"
    w("max", fb, kernel=(2, 2))
    w("max", fb, kernel=(3, 3), stride=(2, 2))
    w("max", fb, kernel=(8, 8), stride=(1, 1))
    w("max", fb, kernel=(32, 32), stride=(1, 1))
    w("max", fb, kernel=(32, 32))
    w("max", fb, kernel=(4, 1))
    w("max", fb, kernel=(1, 4), stride=(1, 2), padding=(0, 2), ceil=True)
    w("avg", fb, kernel=(2, 2))
    w("avg", fb, kernel=(3, 3), stride=(2, 2), padding=(1, 1))
    w("avg", fb, kernel=(8, 8), stride=(1, 1))
    w("avg", fb, kernel=(32, 32), stride=(1, 1))
    w("avg", fb, kernel=(32, 32))
    w("lp", fb, kernel=(4, 4), stride=(2, 2), norm=2.0)
    w("lp", fb, kernel=(6, 1), stride=(3, 1), norm=3.0, ceil=True)
    w("adaptive-max", fb, output=(50, 20))
    w("adaptive-avg", fb, output=(50, None))
    w("adaptive-avg", fb, output=(None, 13))
    w("stats", fb)
    w("stack", fb, frames=7, step=6)
    w("stack", fb, frames=5, step=3)
    # Adaptive.
    for name in ("rand7x9", "rand16x20", "nan14x15", "inf13x11", "ties12x14", "tiny2x3"):
        for out in [(3, 4), (1, 1), (None, 2), (5, None), (20, 25), (0, 3), (7, 9)]:
            cases.append(base_case("adaptive-max", name, output=out))
            cases.append(base_case("adaptive-avg", name, output=out))
    # Statistics.
    for name in ("rand7x9", "rand33x17", "row1x12", "col12x1", "nan14x15", "inf13x11",
                 "mean1000", "tiny1x1", "ties12x14", "neginf6x7"):
        w("stats", name)
    # Stacking.
    for name in ("rand7x9", "rand16x20", "row1x12", "col12x1", "tiny2x3", "nan14x15"):
        for m, n in [(7, 6), (1, 1), (1, 3), (3, 1), (4, 2), (5, 8), (2, 5), (12, 1)]:
            w("stack", name, frames=m, step=n)
    # Random grid.
    for mode, count in (("max", 140), ("avg", 100), ("lp", 50)):
        for _ in range(count):
            cases.append(random_window_case(mode, inputs))
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    inputs = make_inputs()
    for name, x in inputs.items():
        np.save(os.path.join(OUT, "input-%s.npy" % name), x)
    cases = make_cases(inputs)
    values, indices, lines = [], [], []
    offset = index_offset = 0
    errors = 0
    for number, c in enumerate(cases):
        x = inputs[c["input"]]
        fields = dict(case=number, mode=c["mode"], input=c["input"],
                      kernel=size_text(c["kernel"]), stride=size_text(c["stride"]),
                      padding=size_text(c["padding"]), dilation=size_text(c["dilation"]),
                      ceil=int(c["ceil"]), cip=int(c["cip"]), divisor=c["divisor"] or 0,
                      norm=repr(c["norm"]), output=size_text(c["output"]),
                      frames=c["frames"], step=c["step"])
        try:
            v, i = run_case(c, x)
        except RuntimeError as e:
            fields.update(error=1, rows=0, cols=0, offset=0, index_offset=-1)
            errors += 1
            lines.append(" ".join("%s=%s" % (k, fields[k]) for k in FIELDS))
            continue
        v = np.ascontiguousarray(v, dtype=np.float32)
        fields.update(error=0, rows=v.shape[0], cols=v.shape[1], offset=offset,
                      index_offset=-1)
        values.append(v.reshape(-1))
        offset += v.size
        if i is not None:
            fields["index_offset"] = index_offset
            indices.append(np.asarray(i, dtype=np.int64).reshape(-1))
            index_offset += i.size
        lines.append(" ".join("%s=%s" % (k, fields[k]) for k in FIELDS))
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("# Generated by tests/gen-pool-fixtures.py (torch %s); one case per line.\n"
                % torch.__version__)
        f.write("\n".join(lines) + "\n")
    np.save(os.path.join(OUT, "expected.npy"), np.concatenate(values)[None, :])
    np.save(os.path.join(OUT, "indices.npy"), np.concatenate(indices)[None, :])
    print("%d cases (%d rejected by torch), %d values, %d indices" %
          (len(cases), errors, offset, index_offset))
    for mode, rel in sorted(worst.items()):
        print("torch float32 vs float64, %s: worst relative deviation %.3g" % (mode, rel))


if __name__ == "__main__":
    sys.exit(main())
