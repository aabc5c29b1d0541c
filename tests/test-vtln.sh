#!/usr/bin/env bash
# VTLN flags of the command (Kaldi's --vtln-warp, --vtln-low, --vtln-high):
# a warp changes the features, a warp of 1 does not, bad cutoffs are errors
# naming the flag, and a resumed batch run never reuses outputs made with
# another warp.
source "$FEATPOOL_SOURCE_DIR/tests/common.sh"
WAV="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"

run 0 "$FEATPOOL" extract "$WAV" -o plain.npy
run 0 "$FEATPOOL" extract "$WAV" --vtln-warp=1.0 -o one.npy
run 0 "$FEATPOOL" extract "$WAV" --vtln-warp=0.9 -o warped.npy
run 0 "$FEATPOOL" extract "$WAV" --feature=mfcc --vtln-warp=1.1 -o mfcc.npy
"$PY" - <<'PY' || fail "warp 1 must be no warp, warp 0.9 must change the features"
import numpy as np
a, b, c = (np.load(f) for f in ("plain.npy", "one.npy", "warped.npy"))
assert a.shape == b.shape == c.shape, (a.shape, c.shape)
assert (a == b).all()
assert np.abs(a - c).max() > 0.1
PY

run 1 "$FEATPOOL" extract "$WAV" --vtln-warp=0.9 --vtln-low=10 -o x.npy 2> low.err
grep -q -- "--vtln-low=10" low.err || fail "vtln-low error: $(cat low.err)"
run 1 "$FEATPOOL" extract "$WAV" --vtln-warp=0.9 --high-freq=4000 -o x.npy 2> high.err
grep -q -- "--vtln-high=-500" high.err && grep -q -- "--high-freq" high.err \
  || fail "vtln-high error: $(cat high.err)"
run 1 "$FEATPOOL" extract "$WAV" --vtln-warp=0 -o x.npy 2> warp.err
grep -q -- "--vtln-warp" warp.err || fail "vtln-warp error: $(cat warp.err)"
# Kaldi checks the cutoffs only when warping.
run 0 "$FEATPOOL" extract "$WAV" --vtln-low=10 -o y.npy

# --resume: outputs made with another warp are not reused.
mkdir in && cp "$WAV" in/a.wav
run 0 "$FEATPOOL" extract in -o out/ 2> first.err
run 0 "$FEATPOOL" extract in -o out/ --vtln-warp=0.9 --resume 2> second.err
grep -q "^featpool: 1 processed, 0 failed, " second.err || fail "reused an unwarped output: $(cat second.err)"
run 0 "$FEATPOOL" extract in -o out/ --vtln-warp=0.9 --resume 2> third.err
grep -q "(1 done by an earlier run" third.err || fail "same warp not resumed: $(cat third.err)"
