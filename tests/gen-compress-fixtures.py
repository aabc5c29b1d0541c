#!/usr/bin/python3
"""Generates the compressed-matrix fixtures in tests/data/compress/.

Run from anywhere, with Debian's python3-numpy:

    /usr/bin/python3 tests/gen-compress-fixtures.py

This is a reference encoder and decoder transcribed from Kaldi's
src/matrix/compressed-matrix.cc (kaldi-asr/kaldi at commit f4007661, 2025;
line numbers below are of that file) and written independently of
lib/src/compressed-matrix.cc. Every C++ float operation is a NumPy float32
operation on float32 operands; where Kaldi's expression is promoted to double
(a double literal such as 0.499 or 1/64.0) the script switches to float64 at
the same point. NumPy evaluates one operation per call, so nothing is fused
into an FMA. static_cast<int>(double) is emulated as x86-64 executes it
(cvttsd2si: truncation, INT_MIN for NaN or out of range).

It writes, for each case below:
  <case>.npy          the float32 input matrix
  <case>.ark          a Kaldi archive, one record per compression method,
                      keys m1..m7, each "mN \\0B" then the compressed bytes
                      that CompressedMatrix::Write() emits
  <case>.decoded.ark  a float matrix archive ("FM"), keys m1..m7, holding
                      what CompressedMatrix::CopyToMat() decodes from them
and cases.txt, one line per (case, method), tab separated:
  case  method  offset-of-token-in-.ark  bytes  offset-of-\\0B-in-.decoded.ark
or "case method error" where Kaldi's encoder asserts (NaN or infinity in an
automatic method).

Inputs are real speech features (fbank and MFCC from tests/data/kaldi, made
from data/speech-16k.wav) and edge cases: 1..9 rows, constant matrices,
repeated values, a huge and an overflowing range, negative values, signed
zeros, subnormals, a range too narrow for float32 to separate the
percentiles, infinities, and integer-valued matrices for the integer methods.
"""

import os
import struct

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KALDI_FIXTURES = os.path.join(ROOT, "tests", "data", "kaldi")
OUT = os.path.join(ROOT, "tests", "data", "compress")

F32 = np.float32
F64 = np.float64
INT_MIN = -(2**31)

# enum CompressionMethod (compressed-matrix.h)
K_AUTO, K_SPEECH, K_TWO_AUTO, K_TWO_INT, K_ONE_AUTO, K_ONE_UINT, K_ONE_01 = range(1, 8)
# enum DataFormat (compressed-matrix.h)
FMT_COLHDR, FMT_TWO, FMT_ONE = 1, 2, 3


def cvt_int(d):
    """static_cast<int>(double) on x86-64 (cvttsd2si), elementwise."""
    d = np.asarray(d, dtype=F64)
    bad = np.isnan(d) | (d <= -2147483649.0) | (d >= 2147483648.0)
    safe = np.where(bad, 0.0, d)
    return np.where(bad, INT_MIN, np.trunc(safe)).astype(np.int64)


def kaldi_min_max(m):
    """MatrixBase::Min()/Max() (kaldi-matrix.cc): the first element, replaced
    only by a strictly smaller/larger one, so the first occurrence (row-major)
    of the extreme value wins; that decides -0.0 against +0.0."""
    flat = m.ravel()
    lo = flat[np.nonzero(flat == flat.min())[0][0]]
    hi = flat[np.nonzero(flat == flat.max())[0][0]]
    return F32(lo), F32(hi)


def global_header(m, method):
    """ComputeGlobalHeader(), lines 56-126. Returns (format, min, range) or
    None where Kaldi asserts."""
    rows = m.shape[0]
    if method == K_AUTO:  # lines 60-63
        method = K_SPEECH if rows > 8 else K_TWO_AUTO
    fmt = {K_SPEECH: FMT_COLHDR, K_TWO_AUTO: FMT_TWO, K_TWO_INT: FMT_TWO,
           K_ONE_AUTO: FMT_ONE, K_ONE_UINT: FMT_ONE, K_ONE_01: FMT_ONE}[method]
    if method in (K_SPEECH, K_TWO_AUTO, K_ONE_AUTO):  # lines 85-103
        lo, hi = kaldi_min_max(m)
        if hi == lo:  # line 90-91: max = min + (1.0 + fabs(min)), in double
            hi = F32(F64(lo) + (1.0 + abs(F64(lo))))
        with np.errstate(all="ignore"):
            if not (lo - lo == 0 and hi - hi == 0):  # line 92 assert
                return None
            return fmt, lo, F32(hi - lo)  # lines 96-97, float subtraction
    if method == K_TWO_INT:  # lines 104-108
        return fmt, F32(-32768.0), F32(65535.0)
    if method == K_ONE_UINT:  # lines 109-113
        return fmt, F32(0.0), F32(255.0)
    return fmt, F32(0.0), F32(1.0)  # K_ONE_01, lines 114-118


def float_to_uint(mn, rng, v, scale):
    """FloatToUint16() (lines 347-356, scale 65535) and FloatToUint8()
    (lines 359-368, scale 255): f in float, f * scale in float, + 0.499 in
    double, static_cast<int>, then narrowed to the return type."""
    with np.errstate(all="ignore"):
        f = (np.asarray(v, dtype=F32) - mn) / rng
        f = np.where(f > 1.0, F32(1.0), f)
        f = np.where(f < 0.0, F32(0.0), f)
        i = cvt_int((f * F32(scale)).astype(F64) + 0.499)
    return (i & (0xFFFF if scale == 65535 else 0xFF)).astype(np.int64)


def uint16_to_float(mn, rng, v):
    """Uint16ToFloat(), lines 371-377: min + range * 1.52590218966964e-05F * v,
    all float, evaluated left to right inside the product."""
    with np.errstate(all="ignore"):
        return mn + (rng * F32(1.52590218966964e-05)) * np.asarray(v).astype(F32)


def col_header(mn, rng, col):
    """ComputeColHeader(), lines 379-454. The four nth_element calls leave the
    order statistics 0, n/4, 3n/4, n-1 at those positions; a sort gives the
    same values."""
    n = len(col)
    s = np.sort(col)
    u = lambda x: int(float_to_uint(mn, rng, x, 65535))
    if n >= 5:  # lines 389-425
        q = n // 4
        p0 = min(u(s[0]), 65532)
        p25 = min(max(u(s[q]), p0 + 1), 65533)
        p75 = min(max(u(s[3 * q]), p25 + 1), 65534)
        p100 = max(u(s[n - 1]), p75 + 1)
    else:  # lines 427-453
        p0 = min(u(s[0]), 65532)
        p25 = min(max(u(s[1]), p0 + 1), 65533) if n > 1 else p0 + 1
        p75 = min(max(u(s[2]), p25 + 1), 65534) if n > 2 else p25 + 1
        p100 = max(u(s[3]), p75 + 1) if n > 3 else p75 + 1
    return p0, p25, p75, p100


def float_to_char(p0, p25, p75, p100, v):
    """FloatToChar(), lines 457-486: per piece, f in float, f * k in float,
    + 0.5 in double, static_cast<int>, clamped."""
    v = np.asarray(v, dtype=F32)
    with np.errstate(all="ignore"):
        a = cvt_int(((v - p0) / (p25 - p0) * F32(64)).astype(F64) + 0.5)
        b = 64 + cvt_int(((v - p25) / (p75 - p25) * F32(128)).astype(F64) + 0.5)
        c = 192 + cvt_int(((v - p75) / (p100 - p75) * F32(63)).astype(F64) + 0.5)
    a = np.clip(a, 0, 64)
    b = np.clip(b, 64, 192)
    c = np.clip(c, 192, 255)
    return np.where(v < p25, a, np.where(v < p75, b, c)).astype(np.uint8)


def char_to_float(p0, p25, p75, p100, c):
    """CharToFloat(), lines 490-500: (p25 - p0) * value in float, * (1/64.0)
    and the sum in double, returned as float."""
    c = np.asarray(c).astype(np.int64)
    with np.errstate(all="ignore"):
        a = F64(p0) + ((p25 - p0) * c.astype(F32)).astype(F64) * (1 / 64.0)
        b = F64(p25) + ((p75 - p25) * (c - 64).astype(F32)).astype(F64) * (1 / 128.0)
        d = F64(p75) + ((p100 - p75) * (c - 192).astype(F32)).astype(F64) * (1 / 63.0)
    return np.where(c <= 64, a, np.where(c <= 192, b, d)).astype(F32)


def compress(m, method):
    """CopyFromMat() (lines 128-187) and Write() (lines 531-553): the bytes
    after "\\0B", or None where Kaldi asserts."""
    rows, cols = m.shape
    h = global_header(m, method)
    if h is None:
        return None
    fmt, mn, rng = h
    token = {FMT_COLHDR: b"CM ", FMT_TWO: b"CM2 ", FMT_ONE: b"CM3 "}[fmt]
    # Write() skips the int32 format field (line 545).
    out = [token, np.array([mn, rng], dtype="<f4").tobytes(),
           np.array([rows, cols], dtype="<i4").tobytes()]
    if fmt == FMT_COLHDR:  # per-column headers, then bytes column by column
        headers, data = [], []
        for c in range(cols):
            p = col_header(mn, rng, m[:, c])
            headers.append(np.array(p, dtype="<u2").tobytes())
            pf = [uint16_to_float(mn, rng, x) for x in p]  # CompressColumn()
            data.append(float_to_char(*pf, m[:, c]).tobytes())
        out += headers + data
    elif fmt == FMT_TWO:  # row-major uint16 (lines 165-174)
        out.append(float_to_uint(mn, rng, m, 65535).astype("<u2").tobytes())
    else:  # row-major uint8 (lines 175-186)
        out.append(float_to_uint(mn, rng, m, 255).astype(np.uint8).tobytes())
    return b"".join(out)


def decompress(b):
    """Read() (lines 566-593) and CopyToMat() (lines 613-670)."""
    fmt = {b"CM ": FMT_COLHDR, b"CM2": FMT_TWO, b"CM3": FMT_ONE}[b[:3]]
    p = 3 if fmt == FMT_COLHDR else 4
    mn, rng = np.frombuffer(b[p:p + 8], dtype="<f4")
    rows, cols = (int(x) for x in np.frombuffer(b[p + 8:p + 16], dtype="<i4"))
    p += 16
    if fmt == FMT_COLHDR:
        hdr = np.frombuffer(b[p:p + 8 * cols], dtype="<u2").reshape(cols, 4)
        data = np.frombuffer(b[p + 8 * cols:], dtype=np.uint8).reshape(cols, rows)
        out = np.empty((rows, cols), dtype=F32)
        for c in range(cols):
            pf = [uint16_to_float(mn, rng, x) for x in hdr[c]]
            out[:, c] = char_to_float(*pf, data[c])
        return out
    if fmt == FMT_TWO:  # increment = range * (1.0 / 65535.0), then float
        inc = F32(F64(rng) * (1.0 / 65535.0))
        q = np.frombuffer(b[p:], dtype="<u2").reshape(rows, cols)
    else:
        inc = F32(F64(rng) * (1.0 / 255.0))
        q = np.frombuffer(b[p:], dtype=np.uint8).reshape(rows, cols)
    with np.errstate(all="ignore"):
        return mn + q.astype(F32) * inc


def float_matrix_record(key, m):
    """Matrix::Write(binary): "\\0BFM ", size byte 4 + int32 rows, cols."""
    rows, cols = m.shape
    return (key.encode() + b" \0BFM " + struct.pack("<bi", 4, rows) + struct.pack("<bi", 4, cols)
            + np.ascontiguousarray(m, dtype="<f4").tobytes())


def make_cases():
    load = lambda name: np.load(os.path.join(KALDI_FIXTURES, name)).astype(F32)
    fbank = load("fbank-default.f32.npy")  # 49 x 23
    rng = np.random.default_rng(20240601)
    cases = []
    cases.append(("fbank40", load("fbank-40.f32.npy")[:30]))
    cases.append(("mfcc", load("mfcc-default.f32.npy")[:30]))
    cases.append(("fbank-linear", load("fbank-linear.f32.npy")[:24, :12]))  # 0.09 .. 3e11
    cases.append(("rows1", load("fbank-tiny-nosnip.f32.npy")))
    for n in (2, 3, 4, 5, 8, 9, 13):
        cases.append(("rows%d" % n, fbank[10:10 + n, :8].copy()))
    cases.append(("constant", np.full((12, 4), 3.25, dtype=F32)))
    cases.append(("constant-zero", np.zeros((10, 3), dtype=F32)))
    cases.append(("constant-negative", np.full((9, 2), -7.5, dtype=F32)))
    cases.append(("constant-small", np.full((3, 2), 1e6, dtype=F32)))
    rep = np.round(fbank[:40, :6] * 2) / 2
    rep[:, 4] = 5.0
    rep[:, 5] = np.where(np.arange(40) % 3 == 0, F32(-1.0), F32(2.0))
    cases.append(("repeated", rep.astype(F32)))
    cases.append(("negative", (-fbank[:20, :10] - 100).astype(F32)))
    big = (rng.standard_normal((16, 4)) * 1e37).astype(F32)
    cases.append(("huge-range", big))
    over = rng.choice(np.array([-3e38, -1e38, 0.0, 2e38, 3e38], dtype=F32), size=(10, 3))
    over[0, 0], over[1, 1] = F32(-3e38), F32(3e38)
    cases.append(("overflow-range", over.astype(F32)))
    sz = rng.uniform(0.0, 2.0, size=(10, 3)).astype(F32)
    sz[0, 0], sz[3, 1], sz[7, 2] = F32(0.0), F32(-0.0), F32(-0.0)
    cases.append(("signed-zero", sz.copy()))
    sz[0, 0] = F32(-0.0)
    sz[3, 1] = F32(0.0)
    cases.append(("signed-zero-first", sz))
    cases.append(("subnormal", (rng.uniform(1e-41, 5e-39, size=(12, 2))).astype(F32)))
    # 1000 plus 0..3 ulps: float32 cannot separate the column percentiles.
    ulp = np.spacing(F32(1000.0))
    narrow = F32(1000.0) + rng.integers(0, 4, size=(20, 3)).astype(F32) * ulp
    cases.append(("narrow-range", narrow.astype(F32)))
    inf = rng.uniform(-100, 300, size=(10, 3)).astype(F32)
    inf[2, 0], inf[5, 1] = F32(np.inf), F32(-np.inf)
    cases.append(("infinity", inf))
    i16 = rng.integers(-32768, 32768, size=(30, 16)).astype(F32)
    i16[0, 0], i16[0, 1], i16[1, 0], i16[1, 1] = -32768, 32767, -40000, 40000
    cases.append(("int16", i16))
    u8 = rng.integers(0, 256, size=(24, 10)).astype(F32)
    u8[0, 0], u8[0, 1], u8[1, 0], u8[1, 1] = 0, 255, -3, 300
    cases.append(("uint8", u8))
    z = (rng.integers(0, 256, size=(24, 10)) / 255.0).astype(F32)
    z[0, 0], z[0, 1] = -0.5, 1.5
    cases.append(("zero-one", z))
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = []
    for name, m in make_cases():
        m = np.ascontiguousarray(m, dtype=F32)
        np.save(os.path.join(OUT, name + ".npy"), m)
        ark, dec = [], []
        ark_pos = dec_pos = 0
        for method in range(1, 8):
            b = compress(m, method)
            if b is None:
                lines.append("%s\t%d\terror" % (name, method))
                continue
            key = ("m%d " % method).encode() + b"\0B"
            rec = float_matrix_record("m%d" % method, decompress(b))
            lines.append("%s\t%d\t%d\t%d\t%d" % (name, method, ark_pos + len(key), len(b),
                                                 dec_pos + len("m%d " % method)))
            ark.append(key + b)
            dec.append(rec)
            ark_pos += len(key) + len(b)
            dec_pos += len(rec)
        with open(os.path.join(OUT, name + ".ark"), "wb") as f:
            f.write(b"".join(ark))
        with open(os.path.join(OUT, name + ".decoded.ark"), "wb") as f:
            f.write(b"".join(dec))
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
