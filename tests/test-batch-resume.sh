#!/usr/bin/env bash
# --resume after kill -9: for .npy-directory and ark/scp output, a run is
# killed (1) while it waits on one input (a named pipe put in the dataset, so
# the point is exact) and (2) at a random moment mid-run. After the kill no
# output under its final name is half-written and no archive or manifest is
# finalised; the resumed run redoes only what is missing and its result is
# byte-identical to an uninterrupted run. Also: a second run on the same
# output is refused, and --resume never reuses outputs made with other options.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# wait_lines FILE N PID: until FILE has at least N lines or process PID has
# ended (60 s at most).
wait_lines() {
  for _ in $(seq 6000); do
    [[ $(cat "$1" 2>/dev/null | wc -l) -ge $2 ]] && return 0
    kill -0 "$3" 2>/dev/null || return 0
    sleep 0.01
  done
  fail "timed out waiting for $2 lines in $1"
}
# same_outputs REF DIR: byte-identical trees, manifests compared with the
# output directory name substituted.
same_outputs() {
  diff -r -x 'manifest.jsonl' -x '*.scp' "$1" "$2" || fail "$2 differs from $1"
  for f in manifest.jsonl feats.scp; do
    [[ -f $1/$f ]] || continue
    sed "s#$2/#$1/#g" "$2/$f" | cmp -s - "$1/$f" || fail "$2/$f differs from $1/$f"
  done
  [[ -z $(find "$2" -name '.*') ]] || fail "leftover files in $2: $(find "$2" -name '.*')"
}
# no_half_written DIR: every visible .npy loads completely; no finished
# manifest, archive or scp.
no_half_written() {
  [[ ! -e $1/manifest.jsonl && ! -e $1/feats.ark && ! -e $1/feats.scp ]] \
    || fail "$1: finalised output after kill"
  "$PY" - "$1" <<'PY'
import glob, sys
import numpy as np
for f in glob.glob(sys.argv[1] + "/**/*.npy", recursive=True):
    x = np.load(f)  # raises on a truncated file
    assert x.ndim == 2 and x.shape[1] == 23, f
PY
}

"$PY" "$FEATPOOL_SOURCE_DIR/tests/make-batch-audio.py" in 300 --seconds=0.5,3
total=300
run 0 "$FEATPOOL" extract in -o ref/ -j 1 2>/dev/null
run 0 "$FEATPOOL" extract in -o ark,scp:refark/feats.ark,refark/feats.scp -j 1 2>/dev/null

# The input at position 120 (sorted order) becomes a named pipe: the run
# blocks opening it with exactly 120 utterances finished.
pos=120
victim=$(find in -name '*.wav' | sort | sed -n "$((pos + 1))p")
mv "$victim" victim.wav
mkfifo "$victim"

for kind in npy ark; do
  if [[ $kind == npy ]]; then out=run; spec=run/; journal=run/.manifest.jsonl.partial
  else out=runark; spec=ark,scp:runark/feats.ark,runark/feats.scp
    journal=runark/.manifest.jsonl.partial
  fi
  "$FEATPOOL" extract in -o "$spec" -j 1 --progress=never 2> "$out.err" &
  pid=$!
  wait_lines "$journal" $pos $pid
  # A second run on the same output is refused while the first holds it.
  run 1 "$FEATPOOL" extract in -o "$spec" -j 1 2> second.err
  grep -q "another featpool run is writing" second.err || fail "no lock: $(cat second.err)"
  kill -9 $pid
  wait $pid 2>/dev/null || true
  [[ $(wc -l < "$journal") == "$pos" ]] || fail "$kind: journal has $(wc -l < "$journal") lines"
  no_half_written "$out"
  if [[ $kind == npy ]]; then
    [[ $(find run -name '*.npy' | wc -l) == "$pos" ]] || fail "npy count after kill"
  else
    "$PY" - <<'PY'
import os
# The partial archive holds exactly the first 120 records of the reference.
ref = open("refark/feats.ark", "rb").read()
partial = open("runark/.feats.ark.partial", "rb").read()
assert ref.startswith(partial) and len(partial) > 0
n = sum(1 for line in open("refark/feats.scp"))
offsets = [int(l.split(":")[-1]) for l in open("refark/feats.scp")]
key_len = [len(l.split()[0]) + 1 for l in open("refark/feats.scp")]
assert len(partial) == offsets[120] - key_len[120], (len(partial), offsets[120])
PY
  fi
done
rm "$victim"
mv victim.wav "$victim"

run 0 "$FEATPOOL" extract in -o run/ -j 2 --resume 2> resume.err
grep -q "^featpool: $((total - pos)) processed, 0 failed ($pos done by an earlier run" resume.err \
  || fail "resume summary: $(tail -1 resume.err)"
same_outputs ref run
run 0 "$FEATPOOL" extract in -o ark,scp:runark/feats.ark,runark/feats.scp -j 2 --resume 2> r2.err
grep -q "^featpool: $((total - pos)) processed" r2.err || fail "ark resume: $(tail -1 r2.err)"
same_outputs refark runark
cmp refark/feats.ark runark/feats.ark || fail "resumed archive differs"

# Resuming a finished run does nothing; other options redo everything.
run 0 "$FEATPOOL" extract in -o run/ --resume 2> again.err
grep -q "^featpool: 0 processed, 0 failed ($total done by an earlier run" again.err \
  || fail "resume of a finished run: $(tail -1 again.err)"
same_outputs ref run
run 0 "$FEATPOOL" extract in -o ark,scp:runark/feats.ark,runark/feats.scp --resume 2>/dev/null
cmp refark/feats.ark runark/feats.ark || fail "resume of a finished archive changed it"
run 0 "$FEATPOOL" extract in -o run/ --resume --num-mel-bins=40 2> other.err
grep -q "^featpool: $total processed, 0 failed, " other.err || fail "other options: $(tail -1 other.err)"
"$PY" -c "
import glob, numpy as np
assert all(np.load(f).shape[1] == 40 for f in glob.glob('run/**/*.npy', recursive=True))"

# --- kill at a random moment mid-run, several times ------------------------------------
for kind in npy ark; do
  if [[ $kind == npy ]]; then out=t; spec=t/; else out=tark; spec=ark,scp:tark/feats.ark,tark/feats.scp; fi
  killed=0
  for attempt in 1 2 3; do
    "$FEATPOOL" extract in -o "$spec" -j 1 --progress=never $([[ $attempt == 1 ]] || echo --resume) \
      2>/dev/null &
    pid=$!
    wait_lines "$out/.manifest.jsonl.partial" $((attempt * 20)) $pid
    sleep 0.0$((RANDOM % 3))$((RANDOM % 10))
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    if [[ ! -e $out/manifest.jsonl ]]; then
      killed=$((killed + 1))
      no_half_written "$out"
    fi
  done
  echo "$kind: $killed of 3 kills landed mid-run"
  [[ $killed -ge 1 ]] || fail "$kind: every run finished before the kill"
  run 0 "$FEATPOOL" extract in -o "$spec" -j 2 --resume 2> "$out.err"
  same_outputs "$([[ $kind == npy ]] && echo ref || echo refark)" "$out"
done
cmp refark/feats.ark tark/feats.ark || fail "archive after random kills differs"
echo "test-batch-resume: ok"
