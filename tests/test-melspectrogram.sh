#!/usr/bin/env bash
# `featpool extract --feature=melspectrogram` (and mel-mfcc) through the real command: a
# single file and batch mode, the unit sample scale ([-1, 1], as
# torchaudio.load gives), torch.stft's frame counts (1 + L//hop, drop-last
# L//hop), and option errors spelled as flags.
source "$(dirname "$0")/common.sh"
wav="$FEATPOOL_SOURCE_DIR/tests/data/kaldi/speech-16k.wav"  # 8080 samples

run 0 "$FEATPOOL" extract "$wav" --feature=melspectrogram -o m.npy
run 0 "$FEATPOOL" extract "$wav" --feature=melspectrogram --hop-length=160 --frames=drop-last \
  --mel-scale=slaney --norm=slaney --log=log10 -o w.npy
"$PY" - <<'PY' || fail "melspectrogram shapes"
import numpy as np
m = np.load("m.npy"); w = np.load("w.npy")
assert m.shape == (1 + 8080 // 200, 128), m.shape  # torchaudio defaults: hop 200
assert w.shape == (8080 // 160, 128), w.shape      # Whisper: the last frame dropped
assert np.isfinite(m).all() and (m >= 0).all()
assert np.isfinite(w).all() and w.min() >= -10.0
PY

# The unit scale: a full-scale-0.5 sine of 1 kHz has |X_k| = 0.5 * 400 / 4
# = 50 at its bin with the periodic hann window of 400, a power of 2500,
# and a rectangular mel bank of one filter wide enough to hold it sums the
# bins around it (a few thousand); on Kaldi's scale it would be 2^30 times
# larger.
"$PY" - <<'PY'
import numpy as np, wave
t = np.arange(16000)
x = np.round(0.5 * 32767 * np.sin(2 * np.pi * 1000 * t / 16000)).astype("<i2")
with wave.open("sine.wav", "wb") as f:
    f.setnchannels(1); f.setsampwidth(2); f.setframerate(16000); f.writeframes(x.tobytes())
PY
run 0 "$FEATPOOL" extract sine.wav --feature=melspectrogram --n-mels=1 --f-min=900 \
  --f-max=1100 --norm=none -o s.npy
"$PY" - <<'PY' || fail "unit sample scale"
import numpy as np
s = np.load("s.npy")[5:-5, 0]
assert 1000 < s.min() and s.max() < 5000, (s.min(), s.max())
PY

# Batch mode over a directory.
mkdir -p in
cp "$wav" in/a.wav
cp sine.wav in/b.wav
run 0 "$FEATPOOL" extract in -o out/ --feature=melspectrogram --n-mels=40 --log=db \
  --progress=never 2> batch.err
"$PY" - <<'PY' || fail "batch melspectrogram"
import numpy as np
a = np.load("out/a.npy"); b = np.load("out/b.npy")
assert a.shape == (41, 40) and b.shape == (81, 40), (a.shape, b.shape)
PY

# mel-mfcc: the DCT of the dB mel spectrogram, its own options.
run 0 "$FEATPOOL" extract "$wav" --feature=mel-mfcc --n-mfcc=13 --lifter=22 -o c.npy
"$PY" -c 'import numpy as np; c = np.load("c.npy"); assert c.shape == (41, 13), c.shape' ||
  fail "mel-mfcc shape"

# Errors name the flag; options of other types name their type.
expect() {
  local name=$1 expected=$2; shift 2
  run 1 "$FEATPOOL" extract "$wav" -o "err-$name.npy" "$@" 2> "$name.err"
  grep -qF -- "$expected" "$name.err" || fail "$name: expected '$expected', got: $(cat "$name.err")"
  [[ ! -e "err-$name.npy" ]] || fail "$name: an output was left"
}
expect odd-fft "--n-fft=401: must be even" --feature=melspectrogram --n-fft=401
expect win-too-long "--win-length=500: cannot exceed --n-fft=400" --feature=melspectrogram \
  --win-length=500
expect bad-log "--log=log2" --feature=melspectrogram --log=log2
expect fmin-fmax "--f-min=9000: must be below --f-max" --feature=melspectrogram --f-min=9000
expect kaldi-option "--window-type=hann: is an option of fbank, mfcc and spectrogram, not of --feature=melspectrogram" \
  --feature=melspectrogram --window-type=hann
expect stft-option "--n-mels=80: is an option of melspectrogram and mel-mfcc, not of --feature=fbank" --n-mels=80
expect mfcc-too-many "--n-mfcc=41: cannot exceed --n-mels=40" --feature=mel-mfcc --n-mels=40 \
  --n-mfcc=41
expect mfcc-log "--log=ln: is an option of melspectrogram, not of --feature=mel-mfcc" \
  --feature=mel-mfcc --log=ln
echo "ok"
