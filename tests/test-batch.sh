#!/usr/bin/env bash
# Batch extraction over a mixed dataset: 110 good WAVs (16/8/48 kHz, stereo,
# 24-bit, float) and 7 bad files (empty, garbage, truncated, header only, too
# short, NaN, dangling link). Every good file is processed and equals the
# single-file output, each bad one is reported once on stderr and in the
# manifest, the exit status is 1; the output is bit-identical for any -j;
# --strict stops at the first failure; scp inputs, conf files, info.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$PY" "$FEATPOOL_SOURCE_DIR/tests/make-batch-audio.py" in 110 --bad
good=110
bad=$(wc -l < in/bad-ids.txt)

# --- a mixed batch, -j 1 ------------------------------------------------------
run 1 "$FEATPOOL" extract in -o j1/ -j 1 --progress=never 2> j1.err
[[ $(find j1 -name '*.npy' | wc -l) == "$good" ]] || fail "expected $good .npy files"
[[ $(wc -l < j1/manifest.jsonl) == $((good + bad)) ]] || fail "manifest line count"
grep -q "^featpool: $good processed, $bad failed, .* h audio, .* s wall, RTF .* real time)$" j1.err \
  || fail "summary line: $(tail -1 j1.err)"
while read -r id; do
  [[ ! -e "j1/$id.npy" ]] || fail "output for bad input $id"
  [[ $(grep -c "^featpool: error: 'in/$id.wav'" j1.err) == 1 ]] || fail "$id not reported once"
done < in/bad-ids.txt
[[ $(grep -c '^featpool: error:' j1.err) == "$bad" ]] || fail "unexpected error lines"
! grep -q 'progress' j1.err || fail "--progress=never printed progress"

# Manifest: input order, statuses, shapes against the WAV headers (Kaldi
# NumFrames with snip-edges: 1 + (N - 400) // 160 at 16 kHz), reasons.
"$PY" - "$good" <<'PY'
import json, struct, sys
import numpy as np
good = int(sys.argv[1])
lines = [json.loads(l) for l in open("j1/manifest.jsonl")]
ids = [e["id"] for e in lines]
assert ids == sorted(ids), "manifest not in input order"
bad = set(open("in/bad-ids.txt").read().split())
assert {e["id"] for e in lines if e["status"] == "error"} == bad
reasons = {e["id"]: e["error"] for e in lines if e["status"] == "error"}
assert "empty" in reasons["bad/empty"] and "truncated" in reasons["bad/truncated"]
assert "shorter than one frame" in reasons["bad/too-short"], reasons["bad/too-short"]
assert "non-finite" in reasons["bad/nan"] and "No such file" in reasons["bad/dangling"]
ok = [e for e in lines if e["status"] == "ok"]
assert len(ok) == good
for e in ok:
    raw = open(e["path"], "rb").read()
    channels, rate = struct.unpack("<HI", raw[22:28])
    width = struct.unpack("<H", raw[34:36])[0] // 8
    n = (len(raw) - 44) // (channels * width)
    assert (e["sample_rate"], e["channels"]) == (rate, channels), e
    assert abs(e["duration"] - n / rate) < 1e-5, e
    n16 = round(n * 16000 / rate)
    frames = 1 + (n16 - 400) // 160
    assert e["frames"] == frames and e["dims"] == 23 and e["shape"] == [frames, 23], (e, frames)
    x = np.load(e["output"])
    assert x.dtype == np.float32 and list(x.shape) == e["shape"] and np.isfinite(x).all()
    assert ("warning" in e) == (channels == 2), e
print("manifest ok:", len(lines), "entries")
PY

# Batch output equals single-file output, bit for bit (every 4th good file).
for f in $(find in -path in/bad -prune -o -name '*.wav' -print | sort | awk 'NR % 4 == 1'); do
  id=${f#in/}; id=${id%.wav}
  "$FEATPOOL" extract "$f" -o single.npy 2>/dev/null
  cmp -s single.npy "j1/$id.npy" || fail "batch output of $id differs from single-file output"
done

# --- bit-identical for any -j ------------------------------------------------------
for j in 2 5; do
  run 1 "$FEATPOOL" extract in -o "j$j/" -j "$j" 2> "j$j.err"
  diff -r -x manifest.jsonl j1 "j$j" || fail "-j $j output differs from -j 1"
  sed "s#\"output\":\"j$j/#\"output\":\"j1/#" "j$j/manifest.jsonl" | cmp -s - j1/manifest.jsonl \
    || fail "-j $j manifest differs"
  diff <(grep -v '^featpool: [0-9]* processed' j1.err) <(grep -v '^featpool: [0-9]* processed' "j$j.err") \
    || fail "-j $j stderr messages differ"
done
# Default -j (all CPUs) too.
run 1 "$FEATPOOL" extract in -o jall/ 2>/dev/null
diff -r -x manifest.jsonl j1 jall || fail "default -j output differs"

# --resume of that run: nothing is redone; recorded failures are reported
# again (once each) and still give exit status 1.
cp -r j1 j1-copy
run 1 "$FEATPOOL" extract in -o j1/ --resume 2> resume.err
grep -q "^featpool: 0 processed, $bad failed ($((good + bad)) done by an earlier run, $bad of them failed)" \
  resume.err || fail "resume summary: $(tail -1 resume.err)"
[[ $(grep -c '(recorded by an earlier run)$' resume.err) == "$bad" ]] || fail "resume: failures"
diff -r j1 j1-copy || fail "--resume of a finished run changed it"

# --- --strict: stop at the first bad file in input order ----------------------------
run 1 "$FEATPOOL" extract in/spk00 in/spk01 in/bad in/spk02 -o strict/ -j 1 --strict 2> strict.err
[[ $(grep -c '^featpool: error:' strict.err) == 1 ]] || fail "--strict reported more than one"
grep -q "^featpool: error: 'in/bad/dangling.wav'" strict.err || fail "--strict: wrong first failure"
grep -q 'stopped at the first failure' strict.err || fail "--strict: no stop message"
[[ ! -e strict/manifest.jsonl ]] || fail "--strict: manifest finalised"
n_before=$(find in/spk00 in/spk01 -name '*.wav' | wc -l)
# Every utterance before the failure has its output. Workers may already have
# finished (complete, atomically written) outputs of later ones; only the
# in-order journal says what the run accepted.
for wav in $(cd in && find spk00 spk01 -name '*.wav' -printf '%f\n'); do
  [[ -s "strict/${wav%.wav}.npy" ]] || fail "--strict: missing output for $wav"
done
[[ $(wc -l < strict/.manifest.jsonl.partial) == "$n_before" ]] || fail "--strict: journal"

# --- scp input ---------------------------------------------------------------------
{
  echo "a-1 in/spk00/utt0000.wav"
  echo "b-2	 $PWD/in/spk01/utt0001.wav  "
  echo "c-3 in/bad/empty.wav"
} > wav.scp
run 1 "$FEATPOOL" extract scp:wav.scp -o scpout/ 2> scp.err
cmp -s scpout/a-1.npy j1/spk00/utt0000.npy || fail "scp id a-1"
cmp -s scpout/b-2.npy j1/spk01/utt0001.npy || fail "scp id b-2"
[[ ! -e scpout/c-3.npy ]] && grep -q '"id":"c-3".*"status":"error"' scpout/manifest.jsonl \
  || fail "scp failure entry"
# Output pipes, duplicate ids and a file -o for many inputs: errors before any work
# (input commands, "cmd |", are tests/test-kaldi-data.sh's).
echo "p-1 | sox in/spk00/utt0000.wav -t wav -" > piped.scp
run 1 "$FEATPOOL" extract scp:piped.scp -o piped/ 2> piped.err
grep -q "is an output pipe" piped.err || fail "piped scp message: $(cat piped.err)"
printf 'x in/spk00/utt0000.wav\nx in/spk00/utt0007.wav\n' > dup.scp
run 1 "$FEATPOOL" extract scp:dup.scp -o dup/ 2> dup.err
grep -q "duplicate utterance ids: 'x'" dup.err || fail "duplicate message: $(cat dup.err)"
# Ids from an scp with a NUL or control bytes: the message shows them escaped,
# whole and on one line (a NUL used to end the message there).
printf 'a\0b/../.. in/spk00/utt0000.wav\n' > nul.scp
run 1 "$FEATPOOL" extract scp:nul.scp -o nul/ 2> nul.err
grep -qF "utterance id 'a\0b/../..' (" nul.err && grep -q "cannot name a file" nul.err \
  && [[ $(wc -l < nul.err) == 1 ]] || fail "NUL id message: $(od -c nul.err | head)"
printf 'x\033[2Jy in/spk00/utt0000.wav\n' > esc.scp
run 1 "$FEATPOOL" extract scp:esc.scp -o ark:esc.ark 2> esc.err
grep -qF "'x\x1b[2Jy'" esc.err || fail "ESC id message: $(od -c esc.err | head)"
printf 'n in/spk00/utt0000.wav\0junk\n' > nulpath.scp
run 1 "$FEATPOOL" extract scp:nulpath.scp -o nulpath/ 2> nulpath.err
grep -qF "'in/spk00/utt0000.wav\0junk' contains a NUL byte" nulpath.err \
  || fail "NUL path message: $(cat nulpath.err)"
[[ ! -e piped && ! -e dup && ! -e nul && ! -e nulpath ]] || fail "outputs created before the input check"
run 1 "$FEATPOOL" extract in/spk00/utt0000.wav in/spk00/utt0007.wav -o two.npy 2> two.err
grep -q "must be a directory (ending in '/')" two.err || fail "file -o with several inputs"

# --- single file: unchanged ---------------------------------------------------------
run 0 "$FEATPOOL" extract in/spk00/utt0000.wav -o one.npy
cmp -s one.npy j1/spk00/utt0000.npy || fail "single-file output"
run 1 "$FEATPOOL" extract in/spk00/utt0000.wav -o one.npy --resume 2> one.err
grep -q -- "--resume is for batch output" one.err || fail "batch flag on single output"
run 1 "$FEATPOOL" extract in/bad/empty.wav -o empty.npy 2> empty.err
grep -q "^featpool: 'in/bad/empty.wav' is empty" empty.err || fail "single-file error"

# --- conf files ---------------------------------------------------------------------
conf="$FEATPOOL_SOURCE_DIR/data/conf"
run 0 "$FEATPOOL" extract --config="$conf/fbank-80.conf" in/spk00 -o fbank80/ -j 2 2>/dev/null
run 0 "$FEATPOOL" extract --config="$conf/mfcc-13.conf" in/spk00 -o mfcc13/ -j 2 2>/dev/null
"$PY" - <<'PY'
import glob, numpy as np
for d, dims in (("fbank80", 80), ("mfcc13", 13)):
    files = glob.glob(d + "/*.npy")
    assert files and all(np.load(f).shape[1] == dims for f in files), d
PY
if "$FEATPOOL" extract --help | grep -q -- '--pool-kernel'; then
  run 0 "$FEATPOOL" extract --config="$conf/fbank-40-maxpool-2x2.conf" in/spk00 -o pool/ \
    2>/dev/null
  "$PY" - <<'PY'
import glob, json, numpy as np
for e in map(json.loads, open("pool/manifest.jsonl")):
    x = np.load(e["output"])
    assert e["dims"] == 40 and e["shape"] == [e["frames"] // 2, 20] == list(x.shape), e
PY
  # A pooling window longer than an utterance fails that utterance, named
  # with the extract flag's spelling.
  run 1 "$FEATPOOL" extract in/spk00 -o poolbad/ --pool=max --pool-kernel=100000x1 2> poolbad.err
  grep -q "^featpool: error: 'in/spk00/utt0000.wav': .*--pool-kernel=100000x1" poolbad.err \
    || fail "pool error: $(head -1 poolbad.err)"
  grep -q "^featpool: 0 processed, $(ls in/spk00 | wc -l) failed, 0.000 h audio, [0-9.]* s wall$" \
    poolbad.err || fail "pool summary: $(tail -1 poolbad.err)"
fi

# --- progress ---------------------------------------------------------------------------
run 0 "$FEATPOOL" extract in/spk00 -o prog/ --progress=always 2> prog.err
grep -q $'\r' prog.err && grep -q 'files' prog.err || fail "--progress=always drew no bar"
run 1 "$FEATPOOL" extract in -o prog2/ --progress=sometimes 2> prog2.err
grep -q 'invalid --progress=sometimes' prog2.err || fail "--progress value check"

# --- info on a dataset ---------------------------------------------------------------
run 1 "$FEATPOOL" info in > info.out 2> info.err
grep -q "^files: *$((good + bad)) ($((good + 3)) readable, 4 unreadable)" info.out \
  || fail "info: $(head -1 info.out)"
grep -q "16000 Hz: .*48000 Hz: .*8000 Hz: " info.out || fail "info rates"
grep -q "^channels: *1: $((good + 3 - 11)) files; 2: 11 files" info.out || fail "info channels"
for f in dangling empty garbage truncated; do
  grep -q "^  'in/bad/$f.wav'" info.out || fail "info: $f not listed"
done
run 1 "$FEATPOOL" info scp:wav.scp > info-scp.out
grep -q "^files: *3 (2 readable, 1 unreadable)" info-scp.out || fail "info scp: $(cat info-scp.out)"
echo "test-batch: ok"

# The run's option errors in the command's spelling (the library names keys).
run 1 "$FEATPOOL" extract in/spk00 in/spk01 -o out-shard/ --shard=0/4 2>shard.err
grep -q -- "--shard=0/4: expected K/N" shard.err || fail "--shard error: $(cat shard.err)"
run 1 "$FEATPOOL" extract in/spk00 in/spk01 -o out-ext/ --ext=wav, 2>ext.err
grep -q -- "--ext='': bad extension" ext.err || fail "--ext error: $(cat ext.err)"
run 1 "$FEATPOOL" extract in/spk00 in/spk01 -o ark:- --resume 2>res.err
grep -q -- "--resume needs outputs in files" res.err || fail "--resume error: $(cat res.err)"
