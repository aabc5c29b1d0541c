#!/usr/bin/env bash
# Smoke test of tools/examples/stream-microphone: the rows it prints while
# streaming 10 ms chunks equal `featpool extract` (and `featpool pool` on
# that) of the whole file, printed with 9 significant digits, which
# round-trips float32; every row is printed no later than one chunk after
# the last sample it needs arrived, and its timestamps are consistent.
set -euo pipefail

example="$FEATPOOL_BUILD_DIR/tools/examples/stream-microphone"
[[ -x "$example" ]] || { echo "test-stream-microphone: $example is not built" >&2; exit 1; }
mkdir -p "$TEST_TMPDIR"
wav="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"
# The python3 that CMake found with NumPy (lib/python/CMakeLists.txt).
python=$(sed -n 's/^PYTHON=//p' "$FEATPOOL_BUILD_DIR/featpool-python.env" 2>/dev/null || true)
python=${python:-python3}

# run_case NAME "FEATURE FLAGS" ["POOL FLAGS for featpool pool"]
# The example gets the pool flags with the pool- prefix (--pool=max ...).
run_case() {
  local name=$1 features=$2 pool=${3:-}
  local example_pool
  example_pool=$(sed -e 's/--/--pool-/g' -e 's/--pool-mode=/--pool=/' <<<"$pool")
  # shellcheck disable=SC2086  # flags are word lists
  "$example" "$wav" --precision=9 $features $example_pool >"$TEST_TMPDIR/$name.txt"
  # shellcheck disable=SC2086
  "$FEATPOOL" extract "$wav" -o "$TEST_TMPDIR/$name.npy" $features
  if [[ -n "$pool" ]]; then
    # shellcheck disable=SC2086
    "$FEATPOOL" pool "$TEST_TMPDIR/$name.npy" -o "$TEST_TMPDIR/$name.pooled.npy" $pool
    mv "$TEST_TMPDIR/$name.pooled.npy" "$TEST_TMPDIR/$name.npy"
  fi
  "$python" - "$TEST_TMPDIR/$name.txt" "$TEST_TMPDIR/$name.npy" "$name" "$features" "$pool" <<'PY'
import sys
import numpy as np

text, npy, name, features, pool = sys.argv[1:6]
lines = [l for l in open(text) if not l.startswith("#")]
rows = np.array([[float(v) for v in l.split("\t")] for l in lines])
expected = np.load(npy)
assert rows.shape == (expected.shape[0], expected.shape[1] + 3), (name, rows.shape, expected.shape)
row, start, ready = rows[:, 0], rows[:, 1], rows[:, 2]
assert (row == np.arange(len(row))).all(), name
np.testing.assert_array_equal(rows[:, 3:].astype(np.float32), expected, err_msg=name)
assert (np.diff(ready) >= 0).all() and (np.diff(start) >= 0).all(), name
total = 116429 / 16000  # samples in speech-16k.wav
chunk = 0.01
eps = 1e-4
if not pool and "--snip-edges=false" not in features:
    # frame f covers [f * 10 ms, f * 10 ms + 25 ms) and is printed once that
    # has arrived, at most one chunk later
    np.testing.assert_allclose(start, row * 0.01, atol=eps)
    needed = start + 0.025
    assert (ready >= needed - eps).all() and (ready <= needed + chunk + eps).all(), name
if "--mode=max" in pool and "--kernel=2x2" in pool:
    # row r pools frames 2r and 2r + 1: printed once frame 2r + 1 has arrived
    np.testing.assert_allclose(start, row * 0.02, atol=eps)
    needed = row * 0.02 + 0.01 + 0.025
    assert (ready >= needed - eps).all() and (ready <= needed + chunk + eps).all(), name
if "--mode=stats" in pool:
    assert len(rows) == 1 and abs(ready[0] - total) < eps, name
print("%s: %d rows of %d columns equal the offline result; first row ready at %.4f s"
      % (name, len(rows), expected.shape[1], ready[0]))
PY
}

run_case fbank "--num-mel-bins=40"
run_case mfcc-centred "--feature=mfcc --snip-edges=false"
run_case max-2x2 "--num-mel-bins=40" "--mode=max --kernel=2x2"
run_case avg-centred "--num-mel-bins=40 --snip-edges=false" \
  "--mode=avg --kernel=5x3 --stride=2x3 --padding=2x1 --ceil-mode --count-include-pad=false"
run_case stack "--num-mel-bins=20" "--mode=stack --stack-frames=7 --stack-stride=6"
run_case stats "--feature=mfcc" "--mode=stats"

# Adaptive pooling needs the whole input: a clear error, not a wrong result.
if "$example" "$wav" --pool=adaptive-max --pool-output-size=3 >/dev/null 2>"$TEST_TMPDIR/err"; then
  echo "test-stream-microphone: --pool=adaptive-max was accepted" >&2
  exit 1
fi
grep -q "cannot stream" "$TEST_TMPDIR/err"
# So does Kaldi's --subtract-mean (the utterance's mean), naming the flag.
if "$example" "$wav" --subtract-mean >/dev/null 2>"$TEST_TMPDIR/err"; then
  echo "test-stream-microphone: --subtract-mean was accepted" >&2
  exit 1
fi
grep -q -- "--subtract-mean=true: cannot stream" "$TEST_TMPDIR/err"
