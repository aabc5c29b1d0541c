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

# featpool extract --cmvn=speaker on the data directory: its spk2utt gives
# the speakers; each utterance is normalised by its speaker's stats, as
# compute-cmvn-stats --spk2utt then apply-cmvn --utt2spk would. The missing
# utterance fails alone, named by its error.
run 1 "$FEATPOOL" extract data/train --cmvn=speaker -o ark,scp:spk/feats.ark,spk/feats.scp \
  --progress=never 2>err.txt
grep -q "error: 'missing.wav'" err.txt || fail "missing utterance: $(cat err.txt)"
[[ $(grep -c "error:" err.txt) == 1 ]] || fail "one error expected: $(cat err.txt)"
# The progress bar shows the stats pass before any output (it stood at
# 0 files while the speakers' utterances were read), then the output.
# (A slow command makes the pass last long enough to be drawn.)
mkdir -p slow
printf 's1-a sleep 0.5; cat a.wav |\ns1-b sleep 0.5; cat b.wav |\n' > slow/wav.scp
printf 's1-a s1\ns1-b s1\n' > slow/utt2spk
run 0 "$FEATPOOL" extract slow --cmvn=speaker -o ark:bar.ark --progress=always -j 1 2>bar.txt
grep -q "speaker stats: [0-1]/2 files read, then 0/2 files" bar.txt || fail "stats pass: $(cat bar.txt)"
tr '\r' '\n' < bar.txt | grep -v "speaker stats" | grep -q "[0-2]/2 files" \
  || fail "output pass: $(cat bar.txt)"
# The same with the table of stats featpool cmvn-stats wrote (cmvn.scp).
run 1 "$FEATPOOL" extract data/train --cmvn=speaker --cmvn-stats=scp:data/train/cmvn.scp \
  -o ark,scp:tab/feats.ark,tab/feats.scp --progress=never 2>/dev/null
cmp spk/feats.ark tab/feats.ark || fail "--cmvn-stats table and accumulated stats differ"
# An utt2spk that does not list an utterance fails that utterance.
printf 's1-a s1\ns1-b s1\ns3-x s3\n' > part.utt2spk
run 1 "$FEATPOOL" extract data/train --cmvn=speaker --utt2spk=part.utt2spk \
  -o ark,scp:part/feats.ark,part/feats.scp --progress=never 2>err.txt
grep -q "utterance 's2-c' has no speaker: 'part.utt2spk' does not list it" err.txt || fail "$(cat err.txt)"
[[ $(grep -c "error:" err.txt) == 2 ]] || fail "two errors expected: $(cat err.txt)"
cat > kaldi_io.py <<'PY'
import numpy as np
def read_feats(scp):
    """The float matrices of a Kaldi ark,scp (binary "\0BFM " records)."""
    out = {}
    for line in open(scp):
        key, where = line.split()
        path, offset = where.rsplit(":", 1)
        b = open(path, "rb").read()
        o = int(offset)
        assert b[o:o + 5] == b"\0BFM " and b[o + 5] == 4 and b[o + 10] == 4, line
        rows = int.from_bytes(b[o + 6:o + 10], "little")
        cols = int.from_bytes(b[o + 11:o + 15], "little")
        out[key] = np.frombuffer(b, "<f4", rows * cols, o + 15).reshape(rows, cols)
    return out
def kaldi_stats(mats):
    # transform/cmvn.cc AccCmvnStats: double += float x, double += float(x * x).
    x = np.concatenate(mats)
    s = np.cumsum(x.astype(np.float64), axis=0)[-1]
    q = np.cumsum((x * x).astype(np.float64), axis=0)[-1]
    return np.array([np.append(s, len(x)), np.append(q, 0.0)])
def apply_cmvn(stats, feats):
    # transform/cmvn.cc ApplyCmvn (kaldi-asr/kaldi f4007661), without
    # var_norm: offset.AddVec(-1.0 / count, mean_stats), a float vector
    # (alpha made a float, times the double sums, stored as float), then
    # feats->AddVecToRows(1.0, offset) in float.
    dim = stats.shape[1] - 1
    alpha = np.float32(-1.0 / stats[0, dim])
    offset = (np.float64(alpha) * stats[0, :dim]).astype(np.float32)
    return (feats + offset).astype(np.float32)
PY
"$PY" - <<'PY' || fail "speaker CMVN is not apply-cmvn --utt2spk's"
import numpy as np
from kaldi_io import read_feats, kaldi_stats, apply_cmvn
a, b, c = (np.load(n + ".npy") for n in "abc")
got = read_feats("spk/feats.scp")
assert list(got) == ["s1-a", "s1-b", "s2-c"], list(got)
s1, s2 = kaldi_stats([a, b]), kaldi_stats([c])
for key, feats, stats in (("s1-a", a, s1), ("s1-b", b, s1), ("s2-c", c, s2)):
    want = apply_cmvn(stats, feats)
    assert (got[key] == want).all(), (key, np.abs(got[key] - want).max())
part = read_feats("part/feats.scp")
assert list(part) == ["s1-a", "s1-b"], list(part)
assert all((part[k] == got[k]).all() for k in part)
PY

# Shards keep speakers whole; together they are the unsharded run.
run 1 "$FEATPOOL" extract data/train --cmvn=speaker -o full/ --progress=never 2>/dev/null
for k in 1 2; do
  "$FEATPOOL" extract data/train --cmvn=speaker --shard=$k/2 -o shards/ --progress=never \
    2>/dev/null || true
done
[[ -f shards/s1-a.npy && -f shards/s1-b.npy && -f shards/s2-c.npy ]] || fail "shard outputs"
for u in s1-a s1-b s2-c; do cmp full/$u.npy shards/$u.npy || fail "shard output $u"; done
"$PY" - <<'PY' || fail "a speaker was split between shards"
import json
shard_of = {}
for k in (1, 2):
    for line in open("shards/manifest.%d-of-2.jsonl" % k):
        shard_of[json.loads(line)["id"]] = k
assert sorted(shard_of) == ["s1-a", "s1-b", "s2-c", "s3-x"], shard_of
assert shard_of["s1-a"] == shard_of["s1-b"], shard_of
assert len(set(shard_of.values())) == 2, shard_of
PY

# VTLN warps: a data directory's utt2warp, or its spk2warp with utt2spk (as
# steps/make_fbank.sh passes them), --utt2warp, and Kaldi's --vtln-map with
# or without --utt2spk, each equal to --vtln-warp=W per utterance.
for u in a b c; do
  for w in 0.9 1.1 0.95 1.05; do
    run 0 "$FEATPOOL" extract $u.wav --vtln-warp=$w -o $u-$w.npy
  done
done
mkdir -p data/vu data/vs
printf 's1-a a.wav\ns1-b b.wav\ns2-c c.wav\n' | tee data/vu/wav.scp > data/vs/wav.scp
printf 's1-a 0.9\ns1-b 1.1\ns2-c 0.95\n' > data/vu/utt2warp
printf 's1-a s1\ns1-b s1\ns2-c s2\n' > data/vs/utt2spk
printf 's1 1.05\ns2 0.9\n' > data/vs/spk2warp
check_warps() {  # DIR WARP-OF-a WARP-OF-b WARP-OF-c
  cmp "$1/s1-a.npy" a-$2.npy && cmp "$1/s1-b.npy" b-$3.npy && cmp "$1/s2-c.npy" c-$4.npy ||
    fail "$1: not --vtln-warp's features"
}
run 0 "$FEATPOOL" extract data/vu -o vu/ --progress=never
check_warps vu 0.9 1.1 0.95
run 0 "$FEATPOOL" extract data/vs -o vs/ --progress=never
check_warps vs 1.05 1.05 0.9
run 0 "$FEATPOOL" extract scp:data/vu/wav.scp --utt2warp=ark:data/vu/utt2warp -o u2w/ \
  --progress=never
check_warps u2w 0.9 1.1 0.95
run 0 "$FEATPOOL" extract scp:data/vu/wav.scp --vtln-map=ark:data/vu/utt2warp -o vmu/ \
  --progress=never
check_warps vmu 0.9 1.1 0.95
run 0 "$FEATPOOL" extract scp:data/vs/wav.scp --vtln-map=ark:data/vs/spk2warp \
  --utt2spk=ark:data/vs/utt2spk -o vms/ --progress=never
check_warps vms 1.05 1.05 0.9
# An utterance the warp map does not cover fails alone, named.
printf 's1-a 0.9\ns1-b 1.1\n' > part.utt2warp
run 1 "$FEATPOOL" extract scp:data/vu/wav.scp --utt2warp=part.utt2warp -o vpart/ \
  --progress=never 2>err.txt
grep -q "s2-c" err.txt && [[ $(grep -c "error:" err.txt) == 1 ]] || fail "$(cat err.txt)"
cmp vpart/s1-a.npy a-0.9.npy || fail "the other utterances go on"
# A map no option uses is refused, as compute-mfcc-feats refuses --utt2spk
# without --vtln-map.
run 1 "$FEATPOOL" extract scp:data/vu/wav.scp --utt2spk=data/vs/utt2spk -o x/ 2>err.txt
grep -q -- "--utt2spk is only needed with --cmvn=speaker" err.txt || fail "$(cat err.txt)"
run 1 "$FEATPOOL" extract data/vs --feature=spectrogram --spk2warp=data/vs/spk2warp \
  --utt2spk=data/vs/utt2spk -o x/ 2>err.txt
grep -q "has no VTLN" err.txt || fail "$(cat err.txt)"

# A recording cut into segments that cannot be read: one error per segment.
mkdir -p data/seg
printf 'ra a.wav\nrb missing.wav\n' > data/seg/wav.scp
printf 's1-u1 ra 0 1.5\ns1-u2 ra 1.5 3.7\ns2-u1 rb 0 1\ns2-u2 rb 1 2\n' > data/seg/segments
printf 's1-u1 s1\ns1-u2 s1\ns2-u1 s2\ns2-u2 s2\n' > data/seg/utt2spk
run 1 "$FEATPOOL" extract data/seg --cmvn=speaker -o seg/ --progress=never 2>err.txt
[[ $(grep -c "error:" err.txt) == 2 && $(grep -c "'s2-u1'" err.txt) == 1 &&
   $(grep -c "'s2-u2'" err.txt) == 1 ]] || fail "$(cat err.txt)"
[[ -f seg/s1-u1.npy && -f seg/s1-u2.npy ]] || fail "segments of the good recording"

# --resume with another utt2spk recomputes; with the same one it reuses.
cp -r full resumed
printf 's1-a s1\ns1-b s2\ns2-c s2\ns3-x s3\n' > other.utt2spk
run 1 "$FEATPOOL" extract data/train --cmvn=speaker --utt2spk=other.utt2spk -o fresh/ \
  --progress=never 2>/dev/null
run 1 "$FEATPOOL" extract data/train --cmvn=speaker --utt2spk=other.utt2spk -o resumed/ \
  --resume --progress=never 2>err.txt
grep -q "3 processed" err.txt || fail "not recomputed: $(cat err.txt)"
for u in s1-a s1-b s2-c; do cmp fresh/$u.npy resumed/$u.npy || fail "resumed $u"; done
cmp -s full/s1-a.npy fresh/s1-a.npy && fail "another utt2spk gave the same output"
run 1 "$FEATPOOL" extract data/train --cmvn=speaker --utt2spk=other.utt2spk -o resumed/ \
  --resume --progress=never 2>err.txt
grep -q "0 processed" err.txt || fail "the same utt2spk recomputed: $(cat err.txt)"
true
