#!/usr/bin/env bash
# lhotse manifests: a RecordingSet (recordings.jsonl.gz) as input, and the
# FeatureSet featpool writes (-o lhotse:DIR, --lhotse=FILE with ark,scp)
# checked against lhotse's own schema. lhotse is not a Debian package, so the
# schema is transcribed here from lhotse 2.0.0a3: lhotse/features/base.py
# `Features` (its fields and types), lhotse/qa.py `validate_features` (the
# checks lhotse runs on a manifest) with lhotse/utils.py `compute_num_frames`,
# and lhotse/features/io.py (storage "numpy_files": np.load of
# storage_path/storage_key; "kaldiio": storage_path is the feats.scp and
# storage_key the utterance id in it).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

data="$FEATPOOL_SOURCE_DIR/data"
mkdir -p audio
cp "$data/speech-16k.wav" audio/a.wav
cp "$data/speech-8k.wav" audio/b.wav
cp "$data/speech-48k.wav" audio/c.wav

cat > lhotse_schema.py <<'PY'
"""lhotse's Features schema and validate_features, transcribed (see the test header)."""
import gzip, json, os
import numpy as np

# lhotse/features/base.py, class Features: (field, types, required)
FIELDS = [
    ("type", (str,), True), ("num_frames", (int,), True), ("num_features", (int,), True),
    ("frame_shift", (float, int), True), ("sampling_rate", (int,), True),
    ("start", (float, int), True), ("duration", (float, int), True),
    ("storage_type", (str,), True), ("storage_path", (str,), True),
    ("storage_key", (str,), True), ("recording_id", (str, type(None)), False),
    ("channels", (int, list, type(None)), False),
]


def compute_num_frames(duration, frame_shift, sampling_rate):  # lhotse/utils.py
    num_samples = round(duration * sampling_rate)
    window_hop = round(frame_shift * sampling_rate)
    return int((num_samples + window_hop // 2) // window_hop)


def validate_features(f, frames_rule):  # lhotse/qa.py validate_features
    assert f["start"] >= 0 and f["duration"] > 0 and f["num_frames"] > 0, f
    assert f["num_features"] > 0 and f["sampling_rate"] > 0 and f["frame_shift"] > 0, f
    hop = round(f["frame_shift"] * f["sampling_rate"], 12)
    assert float(int(hop)) == hop, f
    if frames_rule:  # holds for Kaldi framing with snip_edges=false (lhotse's own choice)
        assert compute_num_frames(f["duration"], f["frame_shift"], f["sampling_rate"]) == f["num_frames"], f


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        items = [json.loads(l) for l in f if l.strip()]
    names = [n for n, _, _ in FIELDS]
    for item in items:
        for key in item:
            assert key in names, "field lhotse does not know: %s" % key
        for name, types, required in FIELDS:
            if required:
                assert name in item, "missing %s in %s" % (name, item)
            if name in item:
                assert isinstance(item[name], types), (name, item[name])
    return items


def read_scp(path):
    out = {}
    for line in open(path):
        key, loc = line.split()
        out[key] = loc
    return out
PY

# --- RecordingSet in, FeatureSet out (numpy_files) ---------------------------
"$PY" - <<'PY'
import gzip, json
recs = []
for rid, name, rate, n in [("rec-a", "a", 16000, 116429), ("rec-b", "b", 8000, 22062),
                           ("rec-c", "c", 48000, 68545)]:
    recs.append({"id": rid, "sources": [{"type": "file", "channels": [0], "source": "audio/%s.wav" % name}],
                 "sampling_rate": rate, "num_samples": n, "duration": n / rate})
with gzip.open("recordings.jsonl.gz", "wt") as f:
    for r in recs:
        f.write(json.dumps(r) + "\n")
PY
"$FEATPOOL" extract recordings.jsonl.gz -o lhotse:out --snip-edges=false --num-mel-bins=40 2>/dev/null
[[ -s out/features.jsonl.gz && -s out/manifest.jsonl ]] || fail "lhotse:out wrote $(ls out)"
"$FEATPOOL" extract audio/a.wav --snip-edges=false --num-mel-bins=40 -o direct-a.npy
"$PY" - <<'PY' || fail "lhotse FeatureSet (numpy_files)"
import os, numpy as np
from lhotse_schema import load, validate_features
items = load("out/features.jsonl.gz")
assert [i["recording_id"] for i in items] == ["rec-a", "rec-b", "rec-c"], items
for i in items:
    validate_features(i, frames_rule=True)
    assert i["storage_type"] == "numpy_files" and i["storage_path"] == "out", i
    assert i["type"] == "featpool-fbank" and i["sampling_rate"] == 16000, i
    assert i["frame_shift"] == 0.01 and i["start"] == 0 and i["channels"] == 0, i
    x = np.load(os.path.join(i["storage_path"], i["storage_key"]))
    assert x.shape == (i["num_frames"], i["num_features"]) and x.shape[1] == 40, (x.shape, i)
assert abs(items[0]["duration"] - 116429 / 16000) < 1e-6, items[0]
assert np.array_equal(np.load("out/rec-a.npy"), np.load("direct-a.npy"))
PY
zcat out/features.jsonl.gz >first.jsonl
"$FEATPOOL" extract recordings.jsonl.gz -o lhotse:out --snip-edges=false --num-mel-bins=40 \
  --resume 2>/dev/null
zcat out/features.jsonl.gz | cmp - first.jsonl || fail "--resume changed the FeatureSet"
echo "ok RecordingSet in, numpy_files FeatureSet out, resumed"

# --- ark,scp with --lhotse (kaldiio), pooled, sharded -------------------------
"$FEATPOOL" extract recordings.jsonl.gz -o ark,scp:feats.ark,feats.scp --lhotse=feats.jsonl \
  --pool=max --pool-kernel=3x1 --pool-stride=2x1 2>/dev/null
"$PY" - <<'PY' || fail "lhotse FeatureSet (kaldiio, pooled)"
from lhotse_schema import load, read_scp, validate_features
items = load("feats.jsonl")
scp = read_scp("feats.scp")
for i in items:
    validate_features(i, frames_rule=False)  # snip_edges=true, pooled: fewer rows than lhotse's rule
    assert i["storage_type"] == "kaldiio" and i["storage_path"] == "feats.scp", i
    assert i["storage_key"] in scp and i["storage_key"] == i["recording_id"], i
    assert i["frame_shift"] == 0.02 and i["type"] == "featpool-fbank-maxpool", i
PY
for k in 1 2; do
  "$FEATPOOL" extract recordings.jsonl.gz -o lhotse:sh --shard=$k/2 2>/dev/null
done
[[ -s sh/features.1-of-2.jsonl.gz && -s sh/features.2-of-2.jsonl.gz ]] || fail "shards: $(ls sh)"
"$PY" - <<'PY' || fail "lhotse shards"
from lhotse_schema import load
ids = sorted(i["recording_id"] for k in (1, 2) for i in load("sh/features.%d-of-2.jsonl.gz" % k))
assert ids == ["rec-a", "rec-b", "rec-c"], ids
PY
echo "ok kaldiio FeatureSet, pooled, sharded"

# --- Segments: Features of a supervision (recording_id, start, duration) ----
mkdir -p seg
echo "rec-a audio/a.wav" >seg/wav.scp
printf 'u1 rec-a 0.5 1.5\nu2 rec-a 2.25 4\n' >seg/segments
"$FEATPOOL" extract seg -o lhotse:segout --snip-edges=false 2>/dev/null
"$PY" - <<'PY' || fail "lhotse FeatureSet of segments"
import os, numpy as np
from lhotse_schema import load, validate_features
items = load("segout/features.jsonl.gz")
assert [(i["recording_id"], i["storage_key"]) for i in items] == [
    ("rec-a", "u1.npy"), ("rec-a", "u2.npy")], items
assert [i["start"] for i in items] == [0.5, 2.25], items
assert [round(i["duration"], 6) for i in items] == [1.0, 1.75], items
for i in items:
    validate_features(i, frames_rule=True)
    x = np.load(os.path.join(i["storage_path"], i["storage_key"]))
    assert x.shape == (i["num_frames"], i["num_features"]), (x.shape, i)
PY
echo "ok segments in a FeatureSet"

# --- Errors: one line naming the manifest line or the option ------------------
expect() {  # expect NAME SUBSTRING featpool-args...
  local name=$1 want=$2; shift 2
  local rc=0
  "$FEATPOOL" "$@" >/dev/null 2>"$name.err" || rc=$?
  [[ $rc != 0 && $rc != 86 ]] || fail "$name: exit $rc"
  [[ $(wc -l <"$name.err") == 1 ]] || fail "$name: not one line: $(cat "$name.err")"
  grep -qF -- "$want" "$name.err" || fail "$name: $(cat "$name.err")"
  echo "ok $name: $(cat "$name.err")"
}
# A "command" source runs as a piped wav.scp entry does.
printf '{"id":"cmd","sources":[{"type":"command","channels":[0],"source":"cat audio/a.wav"}],"sampling_rate":16000,"num_samples":116429,"duration":7.2768125}\n' >cmd.jsonl
"$FEATPOOL" extract cmd.jsonl -o cmd/ --snip-edges=false --num-mel-bins=40 2>/dev/null \
  || fail "a command source"
cmp -s cmd/cmd.npy direct-a.npy || fail "a command source differs from its file"
printf '{"id":"r1","sources":[{"type":"url","channels":[0],"source":"https://x/y.wav"}],"sampling_rate":16000,"num_samples":1,"duration":1}\n' >url.jsonl
expect url "url.jsonl' line 1: recording 'r1': source type 'url' is not supported" extract url.jsonl -o u/
printf '{"id":"r1","sources":[{"type":"file","channels":[0],"source":"audio/a.wav"}],"sampling_rate":16000,"num_samples":1,"duration":1,"transforms":[{"name":"Speed","kwargs":{"factor":1.1}}]}\n' >tr.jsonl
expect transforms "has \"transforms\"" extract tr.jsonl -o t/
printf '{"id":"r1","sources":[{"type":"file","channels":[0],"source":"audio/a.wav"}]}\nnot json\n' >bad.jsonl
expect bad-line "bad.jsonl' line 2: not a JSON object" extract bad.jsonl -o b/
printf 'garbage that is not gzip' >bad.jsonl.gz
expect not-gzip "bad.jsonl.gz' line 1: not a JSON object" extract bad.jsonl.gz -o g/
: >empty.jsonl
expect empty "has no recordings" extract empty.jsonl -o e/
expect lhotse-ark "--lhotse=x.jsonl: lhotse reads Kaldi archives through their scp" \
  extract recordings.jsonl.gz -o ark:x.ark --lhotse=x.jsonl
expect lhotse-adaptive "--pool=adaptive-avg: has no fixed time step" \
  extract recordings.jsonl.gz -o y/ --lhotse=y.jsonl --pool=adaptive-avg --pool-output-size=4x4
expect lhotse-single "--lhotse is for batch output" extract audio/a.wav -o one.npy --lhotse=z.jsonl
[[ ! -e x.jsonl && ! -e y.jsonl && ! -e z.jsonl ]] || fail "a manifest was written after an error"
echo "ok lhotse errors"
