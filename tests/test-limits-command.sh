#!/usr/bin/env bash
# Option values far beyond what an input needs, and values that cannot give
# finite features, through the real command: each is either rejected with a
# message naming the option, or done in time and memory that follow the input
# (each run here used to spin for minutes, take gigabytes, crash or pass NaN).
# A file whose features are not finite fails, alone, in batch mode.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
WAV="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"

# fails_with WANT ARGS...: a clean failure (no signal, no sanitizer report)
# whose one-line message contains WANT, within 60 s.
fails_with() {
  local want=$1; shift
  local status=0
  timeout 60 "$@" 2>err.txt >/dev/null || status=$?
  [[ $status == 1 ]] || fail "status $status (expected 1) for: $* -> $(cat err.txt)"
  grep -qF -- "$want" err.txt || fail "message lacks '$want' for: $* -> $(cat err.txt)"
  [[ $(wc -l <err.txt) == 1 ]] || fail "more than one line for: $* -> $(cat err.txt)"
  echo "ok $(cat err.txt)"
}
# passes ARGS...: exit 0 within 60 s.
passes() {
  local status=0
  timeout 60 "$@" 2>err.txt >/dev/null || status=$?
  [[ $status == 0 ]] || fail "status $status for: $* -> $(cat err.txt)"
}

# --- Float options: finite, in range, and able to give finite features -----
fails_with "--dither=1e+38" "$FEATPOOL" extract "$WAV" -o out.npy --dither=1e38
fails_with "--blackman-coeff=1e+38" "$FEATPOOL" extract "$WAV" -o out.npy \
  --window-type=blackman --blackman-coeff=1e38
# frame_length x sample_frequency used to overflow the float->int cast.
fails_with "--frame-length=1e+30" "$FEATPOOL" extract "$WAV" -o out.npy --frame-length=1e30
fails_with "--frame-length=3e+08" "$FEATPOOL" extract "$WAV" -o out.npy --frame-length=3e8
fails_with "longer than the limit" "$FEATPOOL" extract "$WAV" -o out.npy --sample-frequency=1e38
fails_with "--low-freq=nan" "$FEATPOOL" extract "$WAV" -o out.npy --low-freq=nan
# A 2^24-point FFT with 20000 mel bins: the bank is built in O(bins + FFT)
# (it used to take minutes); the 7 s file is shorter than the 1000 s frame.
fails_with "shorter than one frame" "$FEATPOOL" extract "$WAV" -o out.npy \
  --frame-length=1000000 --num-mel-bins=20000
[[ ! -e out.npy ]] || fail "out.npy left behind"

# --- A file whose features are not finite fails, named; others go on ---------
# Float samples of 1e30 are finite, but their power spectrum overflows float32.
mkdir -p in
"$PY" - <<'PY'
import struct
import numpy as np
def write(path, samples):
    data = np.asarray(samples, dtype="<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)  # IEEE float, mono
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + 16 + 8 + len(data)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)))
        f.write(data)
rng = np.random.default_rng(1)
write("in/loud.wav", rng.standard_normal(8000) * 1e30)
write("in/fine.wav", rng.standard_normal(8000) * 0.1)
PY
fails_with "'in/loud.wav': feature value" "$FEATPOOL" extract in/loud.wav -o out.npy
grep -qF "is not finite" err.txt || fail "no reason: $(cat err.txt)"
[[ ! -e out.npy ]] || fail "out.npy left behind by a non-finite file"
status=0
"$FEATPOOL" extract in -o batch/ 2>err.txt || status=$?
[[ $status == 1 ]] || fail "batch with a non-finite file: status $status"
"$PY" - <<'PY' || fail "batch manifest"
import json
import numpy as np
lines = {e["id"]: e for e in map(json.loads, open("batch/manifest.jsonl"))}
assert lines["loud"]["status"] == "error", lines["loud"]
assert "not finite" in lines["loud"]["error"], lines["loud"]
assert lines["fine"]["status"] == "ok", lines["fine"]
assert np.isfinite(np.load(lines["fine"]["output"])).all()
PY
# Fused lp pooling can overflow float32 from finite features.
fails_with "pooled feature value" "$FEATPOOL" extract "$WAV" -o out.npy \
  --pool=lp --pool-kernel=2 --pool-norm-type=64
echo "ok non-finite features"

# --- Batch sizes: -j is capped by the inputs, --shard N allocates nothing per N
fails_with "--jobs=2147483647" "$FEATPOOL" extract in -o jobs/ -j 2147483647
passes "$FEATPOOL" extract "$WAV" in/fine.wav -o jobs/ -j 1024 --progress=never
[[ $(wc -l <jobs/manifest.jsonl) == 2 ]] || fail "-j 1024: manifest"
passes "$FEATPOOL" extract "$WAV" in/fine.wav -o shard/ --shard=1/2147483647 --progress=never
[[ $(wc -l <shard/manifest.1-of-2147483647.jsonl) == 1 ]] || fail "--shard=1/2147483647"
passes "$FEATPOOL" extract "$WAV" in/fine.wav -o shard/ --shard=2147483647/2147483647 \
  --progress=never
[[ ! -s shard/manifest.2147483647-of-2147483647.jsonl ]] || fail "last shard not empty"
echo "ok batch sizes"

# --- Pooling: extents beyond the input cost O(input) -----------------------
"$PY" -c "import numpy as np; np.save('x.npy', np.arange(40, dtype=np.float32).reshape(10, 4))"
passes "$FEATPOOL" pool x.npy -o big-kernel.npy --kernel=200000001x1 --padding=100000000x0
passes "$FEATPOOL" pool x.npy -o big-avg.npy --mode=avg --kernel=200000001x1 \
  --padding=100000000x0
passes "$FEATPOOL" pool x.npy -o big-stride.npy --kernel=3 --stride=2000000000
"$PY" - <<'PY' || fail "big pooling extents"
import numpy as np
x = np.arange(40, dtype=np.float32).reshape(10, 4)
assert (np.load("big-kernel.npy") == x.max(axis=0, keepdims=True)).all()
# count_include_pad: the divisor is the whole 200000001-row window
want = (x.astype(np.float64).sum(axis=0, keepdims=True) / 200000001).astype(np.float32)
assert np.allclose(np.load("big-avg.npy"), want, rtol=1e-6, atol=0)
assert (np.load("big-stride.npy") == x[:3, :3].max(keepdims=True)).all()
PY
fails_with "--stack-frames" "$FEATPOOL" pool x.npy -o out.npy --mode=stack \
  --stack-frames=9223372036854775807
fails_with "--stack-frames" "$FEATPOOL" pool x.npy -o out.npy --mode=stack \
  --stack-frames=4611686018427387904
fails_with "--stack-stride" "$FEATPOOL" pool x.npy -o out.npy --mode=stack \
  --stack-stride=9223372036854775807
fails_with "--stack-frames=2000000000" "$FEATPOOL" pool x.npy -o out.npy --mode=stack \
  --stack-frames=2000000000
fails_with "--output-size=4000000000x4000000000" "$FEATPOOL" pool x.npy -o out.npy \
  --mode=adaptive-avg --output-size=4000000000x4000000000
fails_with "--output-size=100000000000x1000000" "$FEATPOOL" pool x.npy -o out.npy \
  --mode=adaptive-max --output-size=100000000000x1000000
fails_with "--pool-stack-frames" "$FEATPOOL" extract "$WAV" -o out.npy --pool=stack \
  --pool-stack-frames=99999999999
[[ ! -e out.npy ]] || fail "out.npy left behind"
echo "ok pooling extents"
echo "all limit tests passed"
