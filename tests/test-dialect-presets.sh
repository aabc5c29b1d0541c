#!/usr/bin/env bash
# The model presets (data/conf/presets/{whisper,whisper-128,nemo-80,nemo-128,
# espnet,speechbrain,funasr-paraformer}.conf) against each model's frontend written in
# torch from its source (tests/gen-dialect-fixtures.py: whisper/audio.py,
# NeMo FilterbankFeatures in eval mode, ESPnet2 DefaultFrontend with
# utterance_mvn, SpeechBrain Fbank (its symmetric triangles: --mel-shape), FunASR WavFrontend's fbank + apply_lfr + apply_cmvn with a
# synthetic am.mvn), in float64, on 1.3 s of real speech whose length is not a
# multiple of the hop. Shapes must be exact. Values:
#  * STRONG ones (within 50 dB of the frame's peak in power, or Whisper's
#    clamped ones, which take the global max's value): 1e-4 relative in power,
#    carried to the output domain per column by the generator (log10: / ln 10,
#    Whisper's (x+4)/4: / 4; NeMo: + 1e-4 for the bin's mean and std, over its
#    std; ESPnet: + 1e-4 for the mean; FunASR: times am.mvn's scale);
#  * WEAK ones: float32 rounding noise there is set by the frame's strong
#    bins, so no more than 3 times the largest error of torch's own float32
#    run of the same rule (+1e-6).
# FunASR's preset needs the model's am.mvn: without --cmvn-stats it fails.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
DIR="$FEATPOOL_SOURCE_DIR/tests/data/dialects/presets"
WAV="$DIR/speech-1.3s.wav"

for name in whisper whisper-128 nemo-80 nemo-128 espnet speechbrain; do
  "$FEATPOOL" extract "$WAV" --preset=$name -o $name.npy
done
"$FEATPOOL" extract "$WAV" --preset=funasr-paraformer --cmvn-stats="$DIR/am.mvn" \
  -o funasr-paraformer.npy

"$PY" - "$DIR" <<'PY'
import sys
import numpy as np
d = sys.argv[1]
for name in ["whisper", "whisper-128", "nemo-80", "nemo-128", "espnet", "speechbrain",
             "funasr-paraformer"]:
    got = np.load(name + ".npy").astype(np.float64)
    ref = np.load("%s/%s.f64.npy" % (d, name)).astype(np.float64)
    f32 = np.load("%s/%s.f32.npy" % (d, name)).astype(np.float64)
    s = np.load("%s/%s.strong.npz" % (d, name))
    assert got.shape == ref.shape, (name, got.shape, ref.shape)
    strong = np.unpackbits(s["mask"])[:ref.size].reshape(ref.shape).astype(bool)
    tol = np.broadcast_to(s["tol"][None, :], ref.shape)
    err = np.abs(got - ref)
    assert strong.sum() > ref.shape[0], (name, "too few strong values")
    bad = strong & (err > tol)
    assert not bad.any(), (name, "strong", np.argwhere(bad)[:5], err[bad][:5], tol[bad][:5])
    weak = ~strong
    ours = err[weak].max() if weak.any() else 0.0
    torch32 = np.abs(f32 - ref)[weak].max() if weak.any() else 0.0
    assert ours <= 3 * torch32 + 1e-6, (name, "weak", ours, torch32)
    print("%-18s %3d x %3d  strong max %.2e (%.0f%% of tolerance)  weak max %.2e (torch f32 %.2e)"
          % (name, ref.shape[0], ref.shape[1], err[strong].max(),
             100 * (err[strong] / tol[strong]).max(), ours, torch32))
PY

# FunASR's preset without the model's am.mvn is refused, naming the option.
run 1 "$FEATPOOL" extract "$WAV" --preset=funasr-paraformer -o x.npy 2>err.txt
grep -q -- "--cmvn-stats is required" err.txt || fail "funasr-paraformer without --cmvn-stats: $(cat err.txt)"
[[ ! -e x.npy ]] || fail "a failed run left x.npy"
echo "dialect presets: ok"
