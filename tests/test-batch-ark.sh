#!/usr/bin/env bash
# Kaldi ark/scp output, read back by an independent reader written here in
# Python + numpy from the format (key, space, "\0B", "FM ", '\4' int32 rows,
# '\4' int32 cols, float32 data; scp "key ark:offset" with the offset at
# "\0B"), against the .npy outputs; ark:- on stdout; and 4 shards run with GNU
# parallel whose union equals one unsharded run.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cat > kaldi_ark.py <<'PY'
"""Independent reader of Kaldi binary float-matrix archives."""
import numpy as np


def read_matrix(f):
    assert f.read(2) == b"\0B", "no binary marker"
    assert f.read(3) == b"FM ", "not a float matrix"
    sizes = []
    for _ in range(2):
        assert f.read(1) == b"\x04", "int32 size byte"
        sizes.append(int(np.frombuffer(f.read(4), "<i4")[0]))
    rows, cols = sizes
    data = np.frombuffer(f.read(4 * rows * cols), "<f4")
    assert data.size == rows * cols, "data cut short"
    return data.reshape(rows, cols)


def read_ark(path):
    """[(key, offset of \\0B, matrix)] in file order; the file must end cleanly."""
    out = []
    with open(path, "rb") as f:
        while True:
            key = b""
            while True:
                c = f.read(1)
                if not c:
                    assert key == b"", "file ends inside a key"
                    return out
                if c == b" ":
                    break
                key += c
            offset = f.tell()
            out.append((key.decode(), offset, read_matrix(f)))


def read_scp(path):
    """[(key, ark path, offset)]"""
    out = []
    for line in open(path):
        key, location = line.split()
        ark, offset = location.rsplit(":", 1)
        out.append((key, ark, int(offset)))
    return out


def read_at(ark, offset):
    with open(ark, "rb") as f:
        f.seek(offset)
        return read_matrix(f)
PY

"$PY" "$FEATPOOL_SOURCE_DIR/tests/make-batch-audio.py" in 60 --bad
good=60
bad=$(wc -l < in/bad-ids.txt)

run 1 "$FEATPOOL" extract in -o npy/ -j 2 2>/dev/null
run 1 "$FEATPOOL" extract in -o ark,scp:out/feats.ark,out/feats.scp -j 2 2> ark.err
grep -q "^featpool: $good processed, $bad failed" ark.err || fail "summary: $(tail -1 ark.err)"
[[ -f out/manifest.jsonl ]] || fail "no manifest beside the scp"
[[ -z $(find out -name '.*') ]] || fail "leftover temporary files: $(find out -name '.*')"

"$PY" - "$good" <<'PY'
import json, sys
import numpy as np
from kaldi_ark import read_ark, read_scp, read_at
good = int(sys.argv[1])
records = read_ark("out/feats.ark")
scp = read_scp("out/feats.scp")
manifest = [json.loads(l) for l in open("out/manifest.jsonl")]
ok = [e for e in manifest if e["status"] == "ok"]
assert len(records) == len(scp) == len(ok) == good
assert [k for k, _, _ in records] == [k for k, _, _ in scp] == [e["id"] for e in ok]
for (key, offset, m), (skey, ark, soffset), e in zip(records, scp, ok):
    assert ark == "out/feats.ark" and soffset == offset, (key, offset, soffset)
    assert e["output"] == "%s:%d" % (ark, offset)
    assert list(m.shape) == e["shape"]
    assert np.array_equal(read_at(ark, soffset), m)
    ref = np.load("npy/%s.npy" % key)
    assert ref.dtype == np.float32 and np.array_equal(ref, m), key
print("ark ok:", len(records), "matrices")
PY

# ark:- writes the same bytes to stdout; ark without scp works too.
run 1 "$FEATPOOL" extract in -o ark:- -j 2 > stdout.ark 2> stdout.err
cmp stdout.ark out/feats.ark || fail "ark:- differs from the archive file"
! grep -q progress stdout.err || fail "progress on stdout run"
run 1 "$FEATPOOL" extract in -o ark:only/feats.ark 2>/dev/null
cmp only/feats.ark out/feats.ark && [[ -f only/manifest.jsonl ]] || fail "ark without scp"
# One audio file into a bare archive, as compute-fbank-feats is used: no
# manifest unless asked (none in the current directory); a dataset gets one.
one=in/spk00/utt0000.wav
mkdir -p single && (cd single && "$FEATPOOL" extract "../$one" -o ark:one.ark 2>/dev/null) ||
  fail "one file into ark"
[[ -s single/one.ark && ! -e single/manifest.jsonl ]] || fail "one file into ark: $(ls single)"
"$FEATPOOL" extract "$one" -o ark:single/two.ark --manifest=single/asked.jsonl 2>/dev/null
cmp single/one.ark single/two.ark && [[ -s single/asked.jsonl ]] || fail "one file, --manifest"
# A target that is not a regular file (a named pipe here; /dev/null alike) is
# written through, never replaced by a rename.
mkfifo pipe.ark pipe.npy
timeout 60 cat pipe.ark > from-pipe.ark &
run 1 "$FEATPOOL" extract in -o ark:pipe.ark --manifest=pipe.jsonl 2>/dev/null
wait || true
[[ -p pipe.ark ]] || fail "the named pipe pipe.ark was replaced"
cmp from-pipe.ark out/feats.ark || fail "archive through a pipe differs"
timeout 60 cat pipe.npy > from-pipe.npy &
run 0 "$FEATPOOL" extract in/spk00/utt0000.wav -o pipe.npy 2>/dev/null
wait || true
[[ -p pipe.npy ]] && cmp from-pipe.npy npy/spk00/utt0000.npy || fail ".npy through a pipe"
# Wspecifier errors.
# Text archives (ark,t): Kaldi's text matrices, as copy-feats ark,t: (and
# `extract FILE -o -`) prints them; scp offsets point after "key ", as Kaldi's.
printf 'utt0000 in/spk00/utt0000.wav\nutt0007 in/spk00/utt0007.wav\n' > t.scp.in
run 0 "$FEATPOOL" extract scp:t.scp.in -o ark,scp,t:t.ark,t.scp 2>/dev/null
{ "$FEATPOOL" extract in/spk00/utt0000.wav -o -; "$FEATPOOL" extract in/spk00/utt0007.wav -o -; } \
  > t.ref
cmp t.ark t.ref || fail "ark,t differs from Kaldi's text form"
off=$(awk '$1=="utt0007"{n=split($2,a,":"); print a[n]}' t.scp)
[[ $(tail -c +$((off + 1)) t.ark | head -c 3) == " [" && $(head -c $off t.ark | tail -c 8) == "utt0007 " ]] \
  || fail "ark,t scp offset $off"
run 1 "$FEATPOOL" extract scp:t.scp.in -o ark,t:x.ark --compress 2> t.err
grep -q "text archive (t) cannot" t.err || fail "ark,t --compress: $(cat t.err)"
run 1 "$FEATPOOL" extract scp:t.scp.in -o ark,t:x.ark --resume 2> t.err
grep -q "reads binary archives only" t.err || fail "ark,t --resume: $(cat t.err)"
run 1 "$FEATPOOL" extract in -o ark,scp:-,x.scp 2> s.err
grep -q "scp needs the archive in a file" s.err || fail "ark,scp:- message: $(cat s.err)"
run 1 "$FEATPOOL" extract in -o ark:- --resume 2> r.err
grep -q -- "--resume needs outputs in files" r.err || fail "--resume with ark:-"
# Keys must be Kaldi tokens.
mkdir -p sp && cp in/spk00/utt0000.wav "sp/has space.wav"
run 1 "$FEATPOOL" extract sp -o ark:sp.ark 2> key.err
grep -q "invalid Kaldi key 'has space'" key.err || fail "key check: $(cat key.err)"

# --- 4 shards with GNU parallel; union equals the single run -----------------------
command -v parallel >/dev/null || fail "needs GNU parallel (tools/install-deps.sh --tests)"
parallel --will-cite -j 4 "$FEATPOOL" extract in --shard={}/4 -j 1 --progress=never \
  -o ark,scp:shards/feats.{}.ark,shards/feats.{}.scp ::: 1 2 3 4 2> parallel.err || true
for k in 1 2 3 4; do
  [[ -f shards/feats.$k.scp && -f shards/manifest.$k-of-4.jsonl ]] || fail "shard $k outputs"
done
cat shards/feats.?.scp > merged.scp
cat shards/manifest.?-of-4.jsonl > merged.jsonl
[[ $(grep -c '^featpool: error:' parallel.err) == "$bad" ]] || fail "bad files reported once overall"
"$PY" - <<'PY'
import json
import numpy as np
from kaldi_ark import read_scp, read_at
single = {k: (a, o) for k, a, o in read_scp("out/feats.scp")}
merged = read_scp("merged.scp")
assert sorted(k for k, _, _ in merged) == sorted(single), "shard union differs"
for k, ark, offset in merged:
    assert np.array_equal(read_at(ark, offset), read_at(*single[k])), k
def entries(path):
    out = {}
    for e in map(json.loads, open(path)):
        e.pop("output", None)
        out[e["id"]] = e
    return out
a, b = entries("out/manifest.jsonl"), entries("merged.jsonl")
assert a == b, "manifest union differs"
# Each shard is in input order and the shards are balanced by size.
import os
sizes = []
for k in range(1, 5):
    ids = [e["id"] for e in map(json.loads, open("shards/manifest.%d-of-4.jsonl" % k))]
    assert ids == sorted(ids)
    sizes.append(sum(os.lstat(e["path"]).st_size for e in map(json.loads,
                 open("shards/manifest.%d-of-4.jsonl" % k))))
assert max(sizes) - min(sizes) < 0.1 * sum(sizes) / 4 + 150000, sizes
print("shards ok:", [len(open("shards/feats.%d.scp" % k).readlines()) for k in range(1, 5)], sizes)
PY

# Shards of .npy output into one directory: same files as one run.
for k in 1 2 3; do
  run 1 "$FEATPOOL" extract in --shard=$k/3 -o npyshards/ 2>/dev/null
done
diff -r -x 'manifest*.jsonl' npy npyshards || fail "npy shard union differs"
[[ $(cat npyshards/manifest.?-of-3.jsonl | wc -l) == $((good + bad)) ]] || fail "npy shard manifests"
echo "test-batch-ark: ok"
