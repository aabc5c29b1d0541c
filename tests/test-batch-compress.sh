#!/usr/bin/env bash
# --compress=true ark output (Kaldi's copy-feats --compress=true): every record
# is what the reference encoder transcribed from Kaldi (tests/gen-compress-
# fixtures.py) makes of the uncompressed features, for the default method and
# the others; decoded values are within Kaldi's quantisation error; a run
# killed mid-way and resumed gives a byte-identical archive; --resume with
# another method (or without --compress) redoes everything; misuse is refused.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$PY" "$FEATPOOL_SOURCE_DIR/tests/make-batch-audio.py" in 24 --seconds=0.3,1.5
total=24
run 0 "$FEATPOOL" extract in -o ark,scp:plain/feats.ark,plain/feats.scp -j 2 2>/dev/null
run 0 "$FEATPOOL" extract in -o ark,scp:ref/feats.ark,ref/feats.scp -j 2 --compress=true \
  2>/dev/null
for m in 2 3 4 5 6 7; do
  run 0 "$FEATPOOL" extract in -o ark,scp:m$m/feats.ark,m$m/feats.scp -j 2 --compress=true \
    --compression-method=$m 2>/dev/null
done
run 0 "$FEATPOOL" extract in -o ark,scp:named/feats.ark,named/feats.scp --compress \
  --compression-method=two-byte-auto 2>/dev/null
cmp named/feats.ark m3/feats.ark || fail "--compression-method=two-byte-auto differs from 3"
run 0 "$FEATPOOL" extract in -o ark:- --compress=true 2>/dev/null > stdout.ark
cmp stdout.ark ref/feats.ark || fail "ark:- --compress=true differs from the file archive"

# check_against_reference DIR METHOD: each record of DIR/feats.ark (found
# through its scp) equals the reference encoder's bytes for the same record
# of plain/, and decodes within the quantisation bound.
check_against_reference() {
  "$PY" - "$FEATPOOL_SOURCE_DIR/tests/gen-compress-fixtures.py" "$1" "$2" <<'PY'
import importlib.util, struct, sys
import numpy as np
spec = importlib.util.spec_from_file_location("ref", sys.argv[1])
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)
out, method = sys.argv[2], int(sys.argv[3])

def scp(path):
    return [(l.split()[0], l.split()[1].rsplit(":", 1)) for l in open(path)]

plain = open("plain/feats.ark", "rb").read()
comp = open(out + "/feats.ark", "rb").read()
entries = [(k, int(o)) for k, (_, o) in scp(out + "/feats.scp")]
plain_entries = [(k, int(o)) for k, (_, o) in scp("plain/feats.scp")]
assert [k for k, _ in entries] == [k for k, _ in plain_entries]
# A record runs to the next record's "key " (or to the end of the archive).
ends = [o - len(k) - 1 for k, o in entries[1:]] + [len(comp)]
worst = 0.0
for (key, off), (_, poff), end in zip(entries, plain_entries, ends):
    assert plain[poff:poff + 5] == b"\0BFM "
    rows, cols = struct.unpack("<xixi", plain[poff + 5:poff + 15])
    m = np.frombuffer(plain[poff + 15:poff + 15 + 4 * rows * cols], dtype="<f4").reshape(rows, cols)
    expected = ref.compress(m, method)
    assert comp[off:off + 2] == b"\0B", key
    got = comp[off + 2:end]
    assert got == expected, "%s: differs from the reference encoder (method %d)" % (key, method)
    if method in (1, 2, 3, 5):  # automatic ranges: every value is representable
        d = ref.decompress(got).astype(np.float64)
        lo, hi = float(m.min()), float(m.max())
        if got[:3] == b"CM ":
            # half the widest piece step (a piece spans at most the range in
            # 63 steps), plus the uint16 grid of the column percentiles
            bound = (hi - lo) / 126 + (hi - lo) / 65535
        elif got[:3] == b"CM2":
            bound = 0.501 * (hi - lo) / 65535
        else:
            bound = 0.501 * (hi - lo) / 255
        bound += 4 * 2.0**-23 * max(abs(lo), abs(hi))
        err = float(np.abs(d - m).max())
        assert err <= bound, (key, err, bound)
        worst = max(worst, err / bound)
print("%s: %d records byte-identical to the reference encoder; %s" % (out, len(entries),
      "worst error %.3f of the bound" % worst if method in (1, 2, 3, 5) else "fixed range"))
PY
}
check_against_reference ref 1
for m in 2 3 4 5 6 7; do check_against_reference m$m $m; done
head -c 40 ref/feats.ark | grep -qa "CM " || fail "default method did not write CM records"

# --- kill mid-run, then --resume: byte-identical to the fresh run ---------------------
pos=10
victim=$(find in -name '*.wav' | sort | sed -n "$((pos + 1))p")
mv "$victim" victim.wav
mkfifo "$victim"
"$FEATPOOL" extract in -o ark,scp:run/feats.ark,run/feats.scp -j 1 --compress=true \
  --progress=never 2>/dev/null &
pid=$!
for _ in $(seq 6000); do
  [[ $(cat run/.manifest.jsonl.partial 2>/dev/null | wc -l) -ge $pos ]] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.01
done
kill -9 $pid
wait $pid 2>/dev/null || true
rm "$victim"
mv victim.wav "$victim"
[[ ! -e run/feats.ark ]] || fail "archive finalised after kill"
"$PY" - <<'PY'
ref = open("ref/feats.ark", "rb").read()
partial = open("run/.feats.ark.partial", "rb").read()
assert len(partial) > 0 and ref.startswith(partial), "partial archive is not a prefix"
PY
run 0 "$FEATPOOL" extract in -o ark,scp:run/feats.ark,run/feats.scp -j 2 --compress=true \
  --resume 2> resume.err
grep -q "^featpool: $((total - pos)) processed, 0 failed ($pos done by an earlier run" resume.err \
  || fail "resume summary: $(tail -1 resume.err)"
cmp ref/feats.ark run/feats.ark || fail "resumed compressed archive differs from a fresh run"
sed "s#run/#ref/#g" run/feats.scp | cmp -s - ref/feats.scp || fail "resumed scp differs"

# A finished compressed archive is kept by --resume; another method, or no
# compression, redoes every record.
run 0 "$FEATPOOL" extract in -o ark,scp:run/feats.ark,run/feats.scp --compress=true --resume \
  2> again.err
grep -q "^featpool: 0 processed, 0 failed ($total done by an earlier run" again.err \
  || fail "resume of a finished run: $(tail -1 again.err)"
cmp ref/feats.ark run/feats.ark || fail "resume of a finished archive changed it"
run 0 "$FEATPOOL" extract in -o ark,scp:run/feats.ark,run/feats.scp --compress=true \
  --compression-method=3 --resume 2> other.err
grep -q "^featpool: $total processed, 0 failed, " other.err || fail "other method: $(tail -1 other.err)"
cmp m3/feats.ark run/feats.ark || fail "method 3 after resume differs from a fresh method-3 run"
run 0 "$FEATPOOL" extract in -o ark,scp:run/feats.ark,run/feats.scp --resume 2> plain.err
grep -q "^featpool: $total processed, 0 failed, " plain.err || fail "uncompressed: $(tail -1 plain.err)"
cmp plain/feats.ark run/feats.ark || fail "uncompressed after resume differs"

# Misuse.
run 1 "$FEATPOOL" extract in -o npy/ --compress=true 2> npy.err
grep -q "compress is for Kaldi archive output" npy.err || fail "npy --compress: $(cat npy.err)"
run 1 "$FEATPOOL" extract "$(find in -name '*.wav' | sort | head -1)" -o one.npy --compress 2> one.err
grep -q "compress" one.err || fail "single .npy --compress: $(cat one.err)"
for bad in 0 8 fast; do
  run 1 "$FEATPOOL" extract in -o ark:x.ark --compress --compression-method=$bad 2> bad.err
  grep -q "invalid compression method '$bad'" bad.err || fail "method $bad: $(cat bad.err)"
done
echo "test-batch-compress: ok"
