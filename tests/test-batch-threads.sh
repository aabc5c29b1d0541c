#!/usr/bin/env bash
# Batch extraction with 8 workers (-j 8) on a mixed dataset, with pooling,
# to .npy files and to one ark/scp, then a --resume with 8 workers: the
# results equal the 1-worker run's. Labelled `threads`: tools/test.sh also runs
# it under ThreadSanitizer.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$PY" "$FEATPOOL_SOURCE_DIR/tests/make-batch-audio.py" in 24 --bad --seconds=0.3,1.5
opts=(--num-mel-bins=40 --pool=max --pool-kernel=3x2 --progress=never)

run 1 "$FEATPOOL" extract in -o j1/ -j 1 "${opts[@]}" 2> j1.err
run 1 "$FEATPOOL" extract in -o j8/ -j 8 "${opts[@]}" 2> j8.err
diff -r -x manifest.jsonl j1 j8 || fail "-j 8 .npy output differs from -j 1"
[[ $(find j8 -name '*.npy' | wc -l) == 24 ]] || fail "expected 24 .npy files"

run 1 "$FEATPOOL" extract in -o ark,scp:a1.ark,a1.scp -j 1 "${opts[@]}" 2>/dev/null
run 1 "$FEATPOOL" extract in -o ark,scp:a8.ark,a8.scp -j 8 "${opts[@]}" 2>/dev/null
cmp a1.ark a8.ark || fail "-j 8 archive differs from -j 1"
sed s/a8.ark/a1.ark/ a8.scp | cmp -s - a1.scp || fail "-j 8 scp differs from -j 1"

# --resume with 8 workers after a run that finished half the utterances.
find in -path in/bad -prune -o -name '*.wav' -print | sort \
  | while read -r f; do id=${f#in/}; echo "${id%.wav} $f"; done > all.scp
head -12 all.scp > half.scp
run 0 "$FEATPOOL" extract scp:half.scp -o r8/ -j 8 "${opts[@]}" 2>/dev/null
run 0 "$FEATPOOL" extract scp:all.scp -o r8/ -j 8 --resume "${opts[@]}" 2> r8.err
grep -q "^featpool: 12 processed, 0 failed (12 done by an earlier run" r8.err \
  || fail "resume summary: $(tail -1 r8.err)"
diff -r -x manifest.jsonl -x bad j1 r8 || fail "resumed -j 8 output differs"
echo "test-batch-threads: -j 8 equals -j 1 (npy, ark/scp, --resume)"
