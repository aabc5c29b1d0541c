#!/usr/bin/env bash
# Kaldi's --subtract-mean (featbin/compute-fbank-feats.cc and
# compute-mfcc-feats.cc, kaldi-asr/kaldi f4007661): each column's mean over
# the utterance, summed in float as VectorBase::AddRowSumMat does, times
# the float 1/N, subtracted in float; before the other stages; from the
# command line and from a Kaldi conf file; the same in batch output; the
# options tag tells the outputs apart for --resume.
source "$FEATPOOL_SOURCE_DIR/tests/common.sh"
WAV="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"

for feature in fbank mfcc; do
  run 0 "$FEATPOOL" extract "$WAV" --feature=$feature -o $feature.npy
  run 0 "$FEATPOOL" extract "$WAV" --feature=$feature --subtract-mean -o $feature-cms.npy
  run 0 "$FEATPOOL" extract "$WAV" --feature=$feature --subtract_mean=true --cmvn=utterance \
    --norm-vars -o $feature-cms-cmvn.npy
done
"$PY" - <<'PY' || fail "--subtract-mean is not Kaldi's float mean subtraction"
import numpy as np
def kaldi_subtract_mean(x):
    mean = np.zeros(x.shape[1], np.float32)
    for row in x:                      # AddRowSumMat: rows added in float, in order
        mean = mean + row
    mean = mean * np.float32(1.0 / x.shape[0])  # Scale(1.0 / NumRows()), float alpha
    return x - mean                    # AddVec(-1.0, mean)
for feature in ("fbank", "mfcc"):
    x = np.load(feature + ".npy")
    y = np.load(feature + "-cms.npy")
    assert x.shape == y.shape and x.dtype == y.dtype == np.float32
    want = kaldi_subtract_mean(x)
    assert (y == want).all(), (feature, np.abs(y - want).max())
    # Summed in double the means would differ: the rule is not a no-op.
    d = x - (x.astype(np.float64).mean(0)).astype(np.float32)
    assert (d != y).any(), feature
    assert np.abs(y.mean(0)).max() < 1e-3, feature
    # Then utterance CMVN (apply-cmvn, double stats) on the subtracted rows.
    z = np.load(feature + "-cms-cmvn.npy")
    assert np.abs(z.mean(0)).max() < 1e-4 and np.abs(z.std(0) - 1).max() < 1e-4, feature
PY

# A Kaldi conf file (fbank.conf) carrying it, as recipes pass it.
printf -- '--num-mel-bins=40\n--subtract-mean=true  # CMS\n' >cms.conf
run 0 "$FEATPOOL" extract "$WAV" --config=cms.conf -o conf.npy
run 0 "$FEATPOOL" extract "$WAV" --num-mel-bins=40 --subtract-mean -o flags.npy
cmp conf.npy flags.npy || fail "--subtract-mean from a conf file differs"
printf -- '--num-mel-bins=40\n--subtract-mean=maybe\n' >bad.conf
run 1 "$FEATPOOL" extract "$WAV" --config=bad.conf -o bad.npy 2>bad.err
grep -q "bad.conf:2" bad.err && grep -q -- "--subtract-mean" bad.err \
  || fail "a bad --subtract-mean in a conf file must name FILE:LINE and the flag: $(cat bad.err)"

# Batch output holds the same matrices; --resume does not reuse outputs
# made without it.
mkdir in && cp "$WAV" in/a.wav
run 0 "$FEATPOOL" extract in -o out/ 2>first.err
run 0 "$FEATPOOL" extract in -o out/ --subtract-mean --resume 2>second.err
grep -q "^featpool: 1 processed, 0 failed, " second.err || fail "reused: $(cat second.err)"
cmp out/a.npy fbank-cms.npy || fail "batch --subtract-mean differs from a single file's"
