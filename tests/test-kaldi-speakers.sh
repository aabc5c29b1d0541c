#!/usr/bin/env bash
# Speakers in a Kaldi data directory. featpool cmvn-stats writes per-speaker
# stats as steps/compute_cmvn_stats.sh leaves them (compute-cmvn-stats
# --spk2utt=ark:data/spk2utt ... ark,scp:cmvn.ark,cmvn.scp, then cmvn.scp
# copied into the data directory): binary double 2 x (D+1) records, each
# speaker's utterances accumulated in spk2utt order (featbin/
# compute-cmvn-stats.cc, transform/cmvn.cc AccCmvnStats, kaldi-asr/kaldi
# f4007661); checked against a transcription in numpy.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
SPEECH="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"
"$PY" - "$SPEECH" <<'PY'
import sys, wave
with wave.open(sys.argv[1]) as w:
    p = w.getparams(); data = w.readframes(w.getnframes())
# Three utterances of different lengths (bytes of 16-bit mono samples).
for name, (b, e) in {"a": (0, 60000), "b": (30000, 116429), "c": (10000, 45000)}.items():
    with wave.open(name + ".wav", "wb") as o:
        o.setparams(p); o.writeframes(data[2 * b:2 * e])
PY
mkdir -p data/train
cat > data/train/wav.scp <<EOS
s1-a a.wav
s1-b cat b.wav |
s2-c c.wav
s3-x missing.wav
EOS
printf 's1-a s1\ns1-b s1\ns2-c s2\ns3-x s3\n' > data/train/utt2spk
printf 's1 s1-a s1-b\ns2 s2-c\ns3 s3-x\n' > data/train/spk2utt
for u in a b c; do run 0 "$FEATPOOL" extract $u.wav -o $u.npy; done

run 1 "$FEATPOOL" cmvn-stats data/train -o ark,scp:cmvn/cmvn_train.ark,cmvn/cmvn_train.scp \
  2> stats.err
grep -q "error: 's3-x': 'missing.wav'" stats.err || fail "missing utterance: $(cat stats.err)"
grep -q "no stats accumulated for speaker 's3'" stats.err || fail "$(cat stats.err)"
cmp data/train/cmvn.scp cmvn/cmvn_train.scp || fail "cmvn.scp not copied into the data directory"
"$PY" - <<'PY' || fail "per-speaker stats are not compute-cmvn-stats --spk2utt's"
import numpy as np
def kaldi_stats(mats):
    x = np.concatenate(mats)                          # the speaker's frames, spk2utt order
    rows = []
    # AccCmvnStats: double += float x; double += float(x * x); frame after frame.
    s = np.cumsum(x.astype(np.float64), axis=0)[-1]
    q = np.cumsum((x * x).astype(np.float64), axis=0)[-1]
    return np.array([np.append(s, len(x)), np.append(q, 0.0)])
def read_table(ark, scp):
    b = open(ark, "rb").read()
    out = {}
    for line in open(scp):
        key, where = line.split()
        path, offset = where.rsplit(":", 1)
        o = int(offset)
        assert path == ark and b[o - len(key) - 1:o] == (key + " ").encode(), line
        assert b[o:o + 5] == b"\0BDM " and b[o + 5] == 4 and b[o + 10] == 4
        rows, cols = int.from_bytes(b[o + 6:o + 10], "little"), int.from_bytes(b[o + 11:o + 15], "little")
        out[key] = np.frombuffer(b, "<f8", rows * cols, o + 15).reshape(rows, cols)
    return out
t = read_table("cmvn/cmvn_train.ark", "cmvn/cmvn_train.scp")
assert list(t) == ["s1", "s2"], list(t)
a, b, c = (np.load(n + ".npy") for n in "abc")
assert (t["s1"] == kaldi_stats([a, b])).all(), np.abs(t["s1"] - kaldi_stats([a, b])).max()
assert (t["s2"] == kaldi_stats([c])).all()
PY

# --spk2utt and --utt2spk given explicitly; per-utterance stats without a
# map (compute-cmvn-stats to a table without --spk2utt).
run 1 "$FEATPOOL" cmvn-stats scp:data/train/wav.scp --spk2utt=ark:data/train/spk2utt \
  -o ark,scp:s.ark,s.scp 2>/dev/null
cmp s.ark cmvn/cmvn_train.ark || fail "--spk2utt differs from the data directory's"
run 0 "$FEATPOOL" cmvn-stats a.wav c.wav -o ark:utt.ark 2>/dev/null
run 0 "$FEATPOOL" cmvn-stats a.npy c.npy -o ark:npy.ark 2>/dev/null
cmp utt.ark npy.ark || fail "per-utterance stats of .npy and audio differ"
head -c 2 utt.ark | grep -q "^a" || fail "per-utterance stats keyed by utterance"
# Stats per speaker are a table; the map's errors name FILE:LINE.
run 1 "$FEATPOOL" cmvn-stats data/train --utt2spk=data/train/utt2spk -o stats.mat 2>err.txt
grep -q "per-speaker stats are a table" err.txt || fail "$(cat err.txt)"
printf 's1-a s1\ns1-b\n' > bad.utt2spk
run 1 "$FEATPOOL" cmvn-stats data/train --utt2spk=bad.utt2spk -o ark:x.ark 2>err.txt
grep -q "bad.utt2spk:2: expected 'utterance-id speaker-id'" err.txt || fail "$(cat err.txt)"
printf 's1-a s1\n' > short.utt2spk
run 1 "$FEATPOOL" cmvn-stats a.wav --utt2spk=short.utt2spk -o ark:y.ark 2>err.txt
grep -q "'a' has no speaker in 'short.utt2spk'" err.txt || fail "$(cat err.txt)"
