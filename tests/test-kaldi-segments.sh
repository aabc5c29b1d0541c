#!/usr/bin/env bash
# Recordings cut into many segments: info runs each recording's command once
# however many segments it has, reports each segment's own length, and lists
# every segment of a failing recording (a missing file, a failing command).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cp "$FEATPOOL_SOURCE_DIR/data/speech-16k.wav" rec.wav
mkdir -p data/train
cat > data/train/wav.scp <<EOS
recA rec.wav
recD missing.wav
recE echo broken >&2; exit 3 |
recP echo run >> $PWD/runs.txt; cat $PWD/rec.wav |
EOS
: > data/train/segments
for rec in D E P; do
  for k in 1 2 3 4; do
    echo "$rec-$k rec$rec $((k - 1)).0 $k.5" >> data/train/segments
  done
done
echo "A-1 recA 0.5 1.5" >> data/train/segments

# info: each recording opened once (the command runs once), one line per
# segment with the segment's own duration, every failing segment listed.
rm -f runs.txt
run 1 "$FEATPOOL" info data/train --json -j 2 > info.jsonl
[[ $(wc -l < runs.txt) == 1 ]] || fail "info ran recP's command $(wc -l < runs.txt) times"
"$PY" - <<'PYEOF' || fail "info --json: $(cat info.jsonl)"
import json
lines = [json.loads(l) for l in open("info.jsonl")]
by_id = {l["id"]: l for l in lines if "id" in l}
summary = lines[-1]
assert summary["files"] == 13 and summary["unreadable"] == 8 and summary["readable"] == 5, summary
for k in range(1, 5):
    p = by_id["P-%d" % k]
    assert p["status"] == "ok" and p["recording"] == "recP", p
    # Segment k is [k-1, k+0.5) s: 24000 samples, not the whole recording.
    assert p["samples"] == 24000 and abs(p["duration"] - 1.5) < 1e-9, p
    d, e = by_id["D-%d" % k]["error"], by_id["E-%d" % k]["error"]
    assert d.startswith("'D-%d': recording 'recD': 'missing.wav'" % k), d
    assert e.startswith("'E-%d': recording 'recE': command " % k) and "status 3" in e, e
assert abs(by_id["A-1"]["duration"] - 1.0) < 1e-9
assert abs(summary["hours"] * 3600 - 7.0) < 0.01, summary  # hours in %.6f
PYEOF
run 1 "$FEATPOOL" info data/train > info.txt
grep -q "files:        13 (5 readable, 8 unreadable)" info.txt || fail "info: $(cat info.txt)"
grep -q "^  'E-4': recording 'recE': command" info.txt || fail "info: $(cat info.txt)"
