#!/usr/bin/env bash
# Smoke test of tools/examples/stream-microphone: the rows it prints while
# streaming 10 ms chunks equal `featpool extract` on the whole file (printed
# with 9 significant digits, which round-trips float32), and each row is
# printed no later than one chunk after its last sample arrived.
set -euo pipefail

example="$FEATPOOL_BUILD_DIR/tools/examples/stream-microphone"
[[ -x "$example" ]] || { echo "test-stream-microphone: $example is not built" >&2; exit 1; }
mkdir -p "$TEST_TMPDIR"
wav="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"
# The python3 that CMake found with NumPy (lib/python/CMakeLists.txt).
python=$(sed -n 's/^PYTHON=//p' "$FEATPOOL_BUILD_DIR/featpool-python.env" 2>/dev/null || true)
python=${python:-python3}

run_case() {  # run_case NAME FLAGS...
  local name=$1
  shift
  "$example" "$wav" --precision=9 "$@" >"$TEST_TMPDIR/$name.txt"
  "$FEATPOOL" extract "$wav" -o "$TEST_TMPDIR/$name.npy" "$@"
  "$python" - "$TEST_TMPDIR/$name.txt" "$TEST_TMPDIR/$name.npy" "$name" "$@" <<'PY'
import sys
import numpy as np

text, npy, name, flags = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
snip = "--snip-edges=false" not in flags
lines = [l for l in open(text) if not l.startswith("#")]
rows = np.array([[float(v) for v in l.split("\t")] for l in lines])
expected = np.load(npy)
assert rows.shape == (expected.shape[0], expected.shape[1] + 3), (name, rows.shape, expected.shape)
frame, start, ready = rows[:, 0], rows[:, 1], rows[:, 2]
assert (frame == np.arange(len(frame))).all(), name
np.testing.assert_array_equal(rows[:, 3:].astype(np.float32), expected, err_msg=name)
total = 116429 / 16000  # samples in speech-16k.wav
if snip:
    np.testing.assert_allclose(start, frame * 0.01, atol=1e-4)
    window_end = start + 0.025
    # produced once its last sample arrived, at most one 10 ms chunk later
    assert (ready >= window_end - 1e-4).all() and (ready <= window_end + 0.01 + 1e-4).all(), name
else:
    # centred frames: the last ones reflect past the end and wait for it
    window_end = np.maximum(frame * 0.01 + 0.005 + 0.0125, 0)
    assert (ready >= np.minimum(window_end, total) - 1e-4).all(), name
assert (np.diff(ready) >= 0).all(), name
print("%s: %d rows of %d columns equal featpool extract; first row ready at %.3f s"
      % (name, len(rows), expected.shape[1], ready[0]))
PY
}

run_case fbank --num-mel-bins=40
run_case mfcc-centred --feature=mfcc --snip-edges=false
