#!/usr/bin/env bash
# Kaldi data directories as they are: a wav.scp with plain paths, piped
# commands (flac -dc ... |, sox ... |, cat ... |), a missing file and a failing
# command, a segments file; per-utterance features equal those of the cut
# audio extracted directly, ids from segments, one error per bad entry, the
# rest goes on, and --resume is byte-identical. Also rspecifier options,
# --min-duration, --allow-downsample=false, --pipe-timeout.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
SPEECH="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"
# cut_wav IN OUT BEGIN END: samples [BEGIN, END) of a 16-bit WAV, with Python's
# wave module (the reference does not depend on sox).
cut_wav() {
  "$PY" - "$@" <<'PYEOF'
import sys, wave
src, dst, b, e = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with wave.open(src) as w:
    p = w.getparams(); w.setpos(b); data = w.readframes(e - b)
with wave.open(dst, "wb") as o:
    o.setparams(p); o.writeframes(data)
PYEOF
}
cp "$SPEECH" rec.wav
mkdir -p data/train
FLAC_ENTRY="cat $PWD/rec.wav |"
if command -v flac >/dev/null; then
  flac -s -f rec.wav -o rec.flac
  FLAC_ENTRY="flac -dcs $PWD/rec.flac |"
elif [[ "${FEATPOOL_TESTS_NO_SKIP:-}" == 1 ]]; then
  fail "flac is missing (tools/install-deps.sh --tests)"
fi
SOX_ENTRY="cat rec.wav | cat |"
if command -v sox >/dev/null; then
  SOX_ENTRY="sox rec.wav -t wav - |"
elif [[ "${FEATPOOL_TESTS_NO_SKIP:-}" == 1 ]]; then
  fail "sox is missing (tools/install-deps.sh --tests)"
fi
cat > data/train/wav.scp <<EOS
recA rec.wav
recB $FLAC_ENTRY
recC $SOX_ENTRY
recD missing.wav
recE echo broken >&2; exit 3 |
EOS
cat > data/train/segments <<EOS
A-1 recA 0.5 1.5
A-2 recA 1.25 -1
B-1 recB 0.5 1.5
B-2 recB 2.00003 3.7
C-1 recC 0.5 1.5
D-1 recD 0 1
E-1 recE 0 1
Z-1 recZ 0 1
A-3 recA 7.0 9
EOS
run 1 "$FEATPOOL" extract data/train -o out/ -j 2 2> out.err
# References: the cut audio extracted directly (Kaldi extract-segments:
# int32(t * 16000 + 0.5); an end within 0.5 s past the end is clipped).
cut_wav rec.wav a1.wav 8000 24000
cut_wav rec.wav a2.wav 20000 116429
cut_wav rec.wav b2.wav 32000 59200
for pair in A-1:a1 A-2:a2 B-1:a1 B-2:b2 C-1:a1; do
  id=${pair%%:*} ref=${pair##*:}
  [[ -f $ref.npy ]] || run 0 "$FEATPOOL" extract $ref.wav -o $ref.npy
  cmp -s out/$id.npy $ref.npy || fail "$id differs from its cut audio extracted directly"
done
# One error line per bad entry, naming the id (and the command or file).
[[ $(grep -c 'featpool: error:' out.err) == 4 ]] || fail "errors: $(cat out.err)"
grep -q "error: 'D-1': 'missing.wav'" out.err || fail "missing file: $(cat out.err)"
grep -q "error: 'E-1': command 'echo broken >&2; exit 3' exited with status 3 (it said: broken)" \
  out.err || fail "failing command: $(cat out.err)"
grep -q "recording 'recZ' of segment 'Z-1' is not in wav.scp" out.err || fail "unknown recording"
grep -q "segment 'A-3' .* ends more than 0.5 s after" out.err || fail "overshoot: $(cat out.err)"
grep -q "5 processed, 4 failed, 5 segments cut from 5 recordings (each read once)" out.err \
  || fail "summary: $(tail -1 out.err)"
"$PY" - <<'PYEOF'
import json
m = [json.loads(l) for l in open("out/manifest.jsonl")]
ids = [e["id"] for e in m]
assert ids == ["A-1", "A-2", "B-1", "B-2", "C-1", "D-1", "E-1", "Z-1", "A-3"], ids
e = m[3]
assert (e["recording"], e["start"], e["end"], e["samples"]) == ("recB", 2.00003, 3.7, 27200), e
assert m[1]["recording"] == "recA" and "end" not in m[1], m[1]
assert [e["status"] for e in m].count("ok") == 5
PYEOF

# --resume after a finished run, and after a run whose journal lost its end:
# byte-identical outputs.
cp -r out ref
run 1 "$FEATPOOL" extract data/train -o out/ --resume 2> resume.err
diff -r out ref >/dev/null || fail "--resume changed a finished run"
grep -q "9 done by an earlier run, 4 of them failed" resume.err && [[ $(grep -c 'recorded by an earlier run' resume.err) == 4 ]] \
  || fail "resume summary: $(cat resume.err)"
head -n 3 out/manifest.jsonl > out/.manifest.jsonl.partial && rm out/manifest.jsonl out/B-2.npy
run 1 "$FEATPOOL" extract data/train -o out/ --resume 2> resume2.err
diff -r out ref || fail "--resume after a partial run is not byte-identical"

# Ark output of the same data directory: the same rows; resume byte-identical.
run 1 "$FEATPOOL" extract data/train -o ark,scp:fb/raw.ark,fb/raw.scp 2> ark.err
[[ $(cut -d' ' -f1 fb/raw.scp | tr '\n' ' ') == "A-1 A-2 B-1 B-2 C-1 " ]] || fail "scp ids"
cp fb/raw.ark raw.ark.ref
# What steps/make_fbank.sh leaves in the data directory: feats.scp,
# utt2num_frames and utt2dur as Kaldi's ark,t writers print them ("key value \n",
# precision 7), frame_shift.
cmp -s fb/raw.scp data/train/feats.scp || fail "data/train/feats.scp"
printf 'A-1 98 \nA-2 601 \nB-1 98 \nB-2 168 \nC-1 98 \n' | cmp -s - data/train/utt2num_frames \
  || fail "utt2num_frames: $(cat -A data/train/utt2num_frames)"
printf 'A-1 1 \nA-2 6.026813 \nB-1 1 \nB-2 1.7 \nC-1 1 \n' | cmp -s - data/train/utt2dur \
  || fail "utt2dur: $(cat -A data/train/utt2dur)"
[[ $(cat data/train/frame_shift) == 0.01 ]] || fail "frame_shift"
run 1 "$FEATPOOL" extract data/train -o ark,scp:fb/raw.ark,fb/raw.scp --frame-shift=12 \
  --write-utt2dur=false 2> /dev/null
[[ $(cat data/train/frame_shift) == 0.012 && -f data/train/.backup/feats.scp ]] \
  || fail "frame_shift 12 ms / backup"
grep -q '^A-1 82 $' data/train/utt2num_frames || fail "utt2num_frames with --frame-shift=12"
grep -q '^A-1 1 $' data/train/utt2dur || fail "--write-utt2dur=false rewrote utt2dur"
run 1 "$FEATPOOL" extract data/train -o ark,scp:fb/raw.ark,fb/raw.scp 2> /dev/null
run 1 "$FEATPOOL" extract data/train -o ark,scp:fb/raw.ark,fb/raw.scp --resume 2> /dev/null
cmp fb/raw.ark raw.ark.ref || fail "ark --resume not byte-identical"

# The same segments through scp,p: and --segments; rspecifier options Kaldi
# knows are accepted, others are rejected by name.
run 1 "$FEATPOOL" extract 'scp,p:data/train/wav.scp' --segments=data/train/segments -o seg/ 2>/dev/null
diff -r -x manifest.jsonl seg out >/dev/null || fail "--segments differs from the data directory"
run 1 "$FEATPOOL" extract 'scp,o,s,cs:data/train/wav.scp' -o whole/ 2> whole.err
cmp -s whole/recA.npy whole/recB.npy && cmp -s whole/recA.npy whole/recC.npy \
  || fail "piped entries differ from the file"
[[ $(grep -c 'featpool: error:' whole.err) == 2 ]] || fail "whole: $(cat whole.err)"
run 1 "$FEATPOOL" extract 'scp,q:data/train/wav.scp' -o bad/ 2> bad.err
grep -q "unknown rspecifier option 'q'" bad.err || fail "bad option: $(cat bad.err)"
run 1 "$FEATPOOL" extract 'ark:data/train/wav.scp' -o bad/ 2> bad.err
grep -q "archives of audio (ark) are not supported" bad.err || fail "ark input: $(cat bad.err)"
echo "x rec.ark:1234" > offset.scp
run 1 "$FEATPOOL" extract scp:offset.scp -o bad/ 2> bad.err
grep -q "archive offsets" bad.err || fail "offset: $(cat bad.err)"

# A command that hangs is killed at --pipe-timeout; the others go on.
printf 'ok rec.wav\nhang sleep 60 |\n' > hang.scp
start=$(date +%s)
run 1 "$FEATPOOL" extract scp:hang.scp -o hang/ --pipe-timeout=0.5 2> hang.err
(( $(date +%s) - start < 20 )) || fail "--pipe-timeout did not bound the command"
grep -q "error: 'hang': --pipe-timeout=0.5: command 'sleep 60' did not finish within" hang.err && [[ -f hang/ok.npy ]] \
  || fail "timeout: $(cat hang.err)"
# A command writing more than --pipe-max-bytes fails, bounded.
printf 'big cat /dev/zero |\n' > big.scp
run 1 "$FEATPOOL" extract scp:big.scp -o big/ --pipe-max-bytes=100000 2> big.err
grep -q -- "--pipe-max-bytes=100000: command 'cat /dev/zero' wrote more than 100000 bytes; killed" big.err || fail "cap: $(cat big.err)"

# --min-duration: shorter utterances give no output, reported, not failures.
printf 'long rec.wav\nshort a1.wav\n' > dur.scp
run 0 "$FEATPOOL" extract scp:dur.scp -o dur/ --min-duration=2 2> dur.err
[[ -f dur/long.npy && ! -e dur/short.npy ]] || fail "--min-duration outputs"
grep -q -- "skipped: '.*': --min-duration=2: its .* s are shorter; no output" dur.err && grep -q "1 shorter than --min-duration" dur.err \
  || fail "--min-duration: $(cat dur.err)"
grep -q '"id":"short".*"status":"short"' dur/manifest.jsonl || fail "--min-duration manifest"

# Resampling is never silent; --allow-downsample=false makes it an error.
printf 'a rec.wav\nb %s\n' "$FEATPOOL_SOURCE_DIR/data/speech-48k.wav" > rates.scp
run 0 "$FEATPOOL" extract scp:rates.scp -o rates/ 2> rates.err
grep -q ", 1 resampled," rates.err || fail "resampled count: $(cat rates.err)"
grep -q '"id":"b".*"resampled_from":48000' rates/manifest.jsonl || fail "resampled_from"
run 1 "$FEATPOOL" extract scp:rates.scp -o rates2/ --allow-downsample=false 2> rates2.err
grep -q "': --allow-downsample=false: sampled at 48000 Hz, not 16000 Hz (--sample-frequency)" rates2.err \
  && [[ -f rates2/a.npy ]] || fail "--allow-downsample=false: $(cat rates2.err)"
run 0 "$FEATPOOL" extract scp:rates.scp -o rates3/ --allow-upsample=false 2> /dev/null
echo "kaldi data ok"
