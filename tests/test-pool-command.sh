#!/usr/bin/env bash
# featpool pool and fused pooling in featpool extract: outputs against the
# committed torch fixtures (tests/data/pool, from tests/gen-pool-fixtures.py),
# float64 input, every streamable and adaptive mode's shape, indices, clear
# errors for bad inputs and flag values (naming the flag as typed), and
# extract --pool equal to extract then pool, for one file and a batch.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
FIX="$FEATPOOL_SOURCE_DIR/tests/data/pool"
WAV="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"
IN="$FIX/input-fbank200x80.npy"

# Expects failure with a message containing $1; no output file left behind.
fails_with() {
  local want=$1; shift
  local status=0
  rm -f out.npy
  "$@" 2>err.txt >/dev/null || status=$?
  [[ $status != 0 && $status != 86 ]] || fail "status $status (expected an error) for: $*"
  grep -qF -- "$want" err.txt || fail "message lacks '$want' for: $* -> $(cat err.txt)"
  grep -q "^featpool: " err.txt || fail "message not prefixed 'featpool: ': $(cat err.txt)"
  [[ ! -e out.npy ]] || fail "out.npy left behind by a failed run: $*"
}

# Compares a .npy with the fixture case whose cases.txt fields match $2.
check_case() {
  local got=$1 fields=$2 indices=${3:-}
  "$PY" - "$FIX" "$got" "$fields" "$indices" <<'PY'
import sys
import numpy as np
fix, got_path, fields, indices_path = sys.argv[1:]
want = dict(f.split("=", 1) for f in fields.split())
for line in open(fix + "/cases.txt"):
    if line.startswith("#"):
        continue
    case = dict(f.split("=", 1) for f in line.split())
    if all(case.get(k) == v for k, v in want.items()):
        break
else:
    sys.exit("no fixture case with " + fields)
rows, cols, offset = int(case["rows"]), int(case["cols"]), int(case["offset"])
expected = np.load(fix + "/expected.npy")[0, offset:offset + rows * cols].reshape(rows, cols)
got = np.load(got_path)
assert got.dtype == np.float32, got.dtype
assert got.shape == (rows, cols), (got.shape, rows, cols)
if case["mode"] in ("max", "adaptive-max", "stack"):
    assert np.array_equal(got.view(np.uint32), expected.view(np.uint32)), "values differ"
else:
    assert np.allclose(got, expected, rtol=1e-6, atol=1e-6, equal_nan=True), \
        np.abs(got - expected).max()
if indices_path:
    io = int(case["index_offset"])
    want_idx = np.load(fix + "/indices.npy")[0, io:io + rows * cols].reshape(rows, cols)
    idx = np.load(indices_path)
    assert idx.dtype == np.int64 and np.array_equal(idx, want_idx), "indices differ"
PY
}

# --- featpool pool against torch ---
"$FEATPOOL" pool "$IN" --kernel=3 --stride=2 -o max.npy --indices=idx.npy
check_case max.npy "mode=max input=fbank200x80 kernel=3x3 stride=2x2 padding=0x0 dilation=1x1 ceil=0" idx.npy \
  || fail "max 3x3 stride 2 differs from torch"
"$FEATPOOL" pool "$IN" --mode=max --kernel=1x4 --stride=1x2 --padding=0x2 --ceil-mode -o m2.npy
check_case m2.npy "mode=max input=fbank200x80 kernel=1x4 stride=1x2 padding=0x2 ceil=1" \
  || fail "max 1x4 differs from torch"
"$FEATPOOL" pool "$IN" --mode=avg --kernel=8 --stride=1 -o avg.npy
check_case avg.npy "mode=avg input=fbank200x80 kernel=8x8 stride=1x1 padding=0x0" \
  || fail "avg 8x8 stride 1 differs from torch"
"$FEATPOOL" pool "$IN" --mode=avg --kernel=3 --stride=2 --padding=1 -o avg3.npy
check_case avg3.npy "mode=avg input=fbank200x80 kernel=3x3 stride=2x2 padding=1x1" \
  || fail "avg 3x3 padding 1 differs from torch"
"$FEATPOOL" pool "$IN" --mode=lp --norm-type=3 --kernel=6x1 --stride=3x1 --ceil-mode -o lp.npy
check_case lp.npy "mode=lp input=fbank200x80 kernel=6x1 stride=3x1" || fail "lp differs from torch"
"$FEATPOOL" pool "$IN" --mode=adaptive-max --output-size=50x20 -o amax.npy --indices=aidx.npy
check_case amax.npy "mode=adaptive-max input=fbank200x80 output=50x20" aidx.npy \
  || fail "adaptive-max differs from torch"
"$FEATPOOL" pool "$IN" --mode=adaptive-avg --output-size=50xkeep -o aavg.npy
check_case aavg.npy "mode=adaptive-avg input=fbank200x80 output=50xkeep" \
  || fail "adaptive-avg differs from torch"
"$FEATPOOL" pool "$IN" --mode=stats -o stats.npy
check_case stats.npy "mode=stats input=fbank200x80" || fail "stats differ"
"$FEATPOOL" pool "$IN" --mode=stack --stack-frames=5 --stack-stride=3 -o stack.npy
check_case stack.npy "mode=stack input=fbank200x80 frames=5 step=3" || fail "stack differs"
"$FEATPOOL" pool "$FIX/input-nan14x15.npy" --kernel=3 --stride=1 -o nan.npy --indices=nidx.npy
check_case nan.npy "mode=max input=nan14x15 kernel=3x3 stride=1x1 padding=0x0 dilation=1x1" nidx.npy \
  || fail "NaN max differs from torch"

# float64 input is converted and pools the same.
"$PY" -c "import numpy as np; np.save('f64.npy', np.load('$IN').astype(np.float64))"
"$FEATPOOL" pool f64.npy --kernel=3 --stride=2 -o max64.npy
cmp -s max.npy max64.npy || fail "float64 input pooled differently"

# --- bad inputs ---
"$PY" - <<'PY'
import numpy as np
np.save("int32.npy", np.zeros((10, 4), dtype=np.int32))
np.save("three.npy", np.zeros((2, 10, 4), dtype=np.float32))
np.save("fortran.npy", np.asfortranarray(np.zeros((10, 4), dtype=np.float32)))
open("junk.npy", "wb").write(b"not numpy at all")
PY
fails_with "dtype" "$FEATPOOL" pool int32.npy --kernel=2 -o out.npy
fails_with "dimensions" "$FEATPOOL" pool three.npy --kernel=2 -o out.npy
fails_with "Fortran" "$FEATPOOL" pool fortran.npy --kernel=2 -o out.npy
fails_with "not a .npy" "$FEATPOOL" pool junk.npy --kernel=2 -o out.npy
fails_with "missing.npy" "$FEATPOOL" pool missing.npy --kernel=2 -o out.npy
fails_with "too small" "$FEATPOOL" pool "$IN" --kernel=300x2 -o out.npy

# Malformed headers and sizes: one line on stderr, a non-zero exit, no
# output, quickly and without allocating what the header claims (np.load
# rejects each of these files too).
"$PY" - <<'PY'
import struct
def npy(header, major=1, data=b"\0" * 24):
    h = header.encode("latin1")
    size = struct.pack("<H" if major == 1 else "<I", len(h))
    return b"\x93NUMPY" + bytes([major, 0]) + size + h + data
def save(name, *args, **kw):
    open(name, "wb").write(npy(*args, **kw))
good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n"
save("v0.npy", good, 0)
save("v4.npy", good, 4)
save("descr1m.npy", "{'descr': '" + "x" * (1 << 20) + "', 'fortran_order': False, 'shape': (2, 3)}", 2)
save("dims.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1," * (1 << 19) + ")}", 2)
save("int65.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 3)}")
save("product.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}")
save("tib.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1)}")
save("extra.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 0}")
save("be.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3)}")
open("hlen.npy", "wb").write(b"\x93NUMPY\x02\x00\xff\xff\xff\x7f" + good.encode())
PY
one_line_error() {
  local want=$1 file=$2
  local start=$SECONDS
  fails_with "$want" "$FEATPOOL" pool "$file" --kernel=1 -o out.npy
  [[ $(wc -l < err.txt) == 1 ]] || fail "$file: more than one line on stderr: $(head -c 300 err.txt)"
  grep -qF "$file" err.txt || fail "$file: message does not name the file: $(cat err.txt)"
  (( SECONDS - start < 10 )) || fail "$file took $((SECONDS - start)) s to reject"
}
one_line_error "version 0.0" v0.npy
one_line_error "version 4.0" v4.npy
one_line_error "limit of 10000" descr1m.npy
one_line_error "limit of 10000" dims.npy
one_line_error "integer too large" int65.npy
one_line_error "too large" product.npy
one_line_error "needs 4398046511104 data bytes, the file has 24" tib.npy
one_line_error "unexpected key 'x'" extra.npy
one_line_error "big-endian" be.npy
one_line_error "2147483647 header bytes declared" hlen.npy
# From a pipe the file size is unknown: the data must arrive first.
fails_with "truncated" "$FEATPOOL" pool <(cat tib.npy) --kernel=1 -o out.npy
"$FEATPOOL" pool <(cat "$IN") --kernel=3 --stride=2 -o piped.npy
cmp -s max.npy piped.npy || fail "a .npy read from a pipe pooled differently"

# --- bad flag values name the flag ---
fails_with "--kernel" "$FEATPOOL" pool "$IN" -o out.npy
fails_with "--kernel" "$FEATPOOL" pool "$IN" --kernel=abc -o out.npy
fails_with "--kernel" "$FEATPOOL" pool "$IN" --kernel=0x2 -o out.npy
fails_with "--kernel" "$FEATPOOL" pool "$IN" --kernel=2x -o out.npy
fails_with "--stride" "$FEATPOOL" pool "$IN" --kernel=2 --stride=0 -o out.npy
fails_with "--padding" "$FEATPOOL" pool "$IN" --kernel=2 --padding=2 -o out.npy
fails_with "--padding" "$FEATPOOL" pool "$IN" --kernel=2 --padding=-1 -o out.npy
fails_with "--dilation" "$FEATPOOL" pool "$IN" --mode=avg --kernel=2 --dilation=2 -o out.npy
fails_with "--mode" "$FEATPOOL" pool "$IN" --mode=mean --kernel=2 -o out.npy
fails_with "--divisor-override" "$FEATPOOL" pool "$IN" --mode=avg --kernel=2 --divisor-override=0 -o out.npy
fails_with "--divisor-override" "$FEATPOOL" pool "$IN" --mode=max --kernel=2 --divisor-override=3 -o out.npy
fails_with "--norm-type" "$FEATPOOL" pool "$IN" --mode=lp --kernel=2 --norm-type=0 -o out.npy
fails_with "--output-size" "$FEATPOOL" pool "$IN" --mode=adaptive-avg -o out.npy
fails_with "--output-size" "$FEATPOOL" pool "$IN" --mode=adaptive-avg --output-size=3xabc -o out.npy
fails_with "--stack-frames" "$FEATPOOL" pool "$IN" --mode=stack --stack-frames=0 -o out.npy
fails_with "--indices" "$FEATPOOL" pool "$IN" --mode=avg --kernel=2 -o out.npy --indices=i.npy

# --- fused pooling in extract ---
"$FEATPOOL" extract "$WAV" --num-mel-bins=80 -o feats.npy
"$FEATPOOL" pool feats.npy --mode=avg --kernel=4x1 --stride=3x1 --ceil-mode -o pooled.npy
"$FEATPOOL" extract "$WAV" --num-mel-bins=80 --pool=avg --pool-kernel=4x1 --pool-stride=3x1 \
  --pool-ceil-mode -o fused.npy
cmp -s pooled.npy fused.npy || fail "extract --pool differs from extract then pool"
"$FEATPOOL" pool feats.npy --mode=stack -o lfr.npy
"$FEATPOOL" extract "$WAV" --num-mel-bins=80 --pool=stack -o lfr-fused.npy
cmp -s lfr.npy lfr-fused.npy || fail "extract --pool=stack differs"
"$PY" -c "
import numpy as np
f = np.load('feats.npy'); l = np.load('lfr-fused.npy')
assert l.shape == ((f.shape[0] + 5) // 6, 7 * 80), l.shape
"
fails_with "--pool-kernel" "$FEATPOOL" extract "$WAV" --pool=max --pool-kernel=0 -o out.npy
fails_with "--pool-padding" "$FEATPOOL" extract "$WAV" --pool=max --pool-kernel=2 --pool-padding=3 -o out.npy
fails_with "--pool-dilation" "$FEATPOOL" extract "$WAV" --pool=avg --pool-kernel=2 --pool-dilation=2 -o out.npy
fails_with "--pool=bogus:" "$FEATPOOL" extract "$WAV" --pool=bogus -o out.npy
fails_with "too small" "$FEATPOOL" extract "$WAV" --pool=max --pool-kernel=5000x1 -o out.npy

# Batch output: every utterance pooled the same way.
mkdir -p wavs && cp "$WAV" wavs/a.wav && cp "$FEATPOOL_SOURCE_DIR/data/speech-8k.wav" wavs/b.wav
"$FEATPOOL" extract wavs --num-mel-bins=80 --pool=max --pool-kernel=2 --progress=never -j 2 -o batch/ 2>/dev/null
"$FEATPOOL" pool feats.npy --kernel=2 -o a-pooled.npy
cmp -s a-pooled.npy batch/a.npy || fail "batch extract --pool differs for a.wav"
"$FEATPOOL" extract wavs/b.wav --num-mel-bins=80 -o b.npy
"$FEATPOOL" pool b.npy --kernel=2 -o b-pooled.npy
cmp -s b-pooled.npy batch/b.npy || fail "batch extract --pool differs for b.wav"

echo "test-pool-command: all checks passed"
