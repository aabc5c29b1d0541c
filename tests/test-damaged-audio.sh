#!/usr/bin/env bash
# Damaged audio in batch and single-file mode: an OGG cut at every tenth, with
# a 64-byte hole (zeroes, removed) or a flipped byte, a cut FLAC and WAV are
# each one "error" line in the manifest and one line on stderr naming the file
# and the reason, never "ok"; the intact OGG is ok with its duration, also
# read through a pipe (where the header does not know the length); a
# 1024-channel file gives one line, its error or its warning.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

data="$FEATPOOL_SOURCE_DIR/tests/data/kaldi"
mkdir in
"$PY" - "$data" <<'PY'
import struct, sys
data = sys.argv[1]
ogg = open(data + "/short.ogg", "rb").read()
flac = open(data + "/short-s24.flac", "rb").read()
wav = open(data + "/short-s16.wav", "rb").read()
def put(name, b):
    open("in/" + name, "wb").write(b)
put("good.ogg", ogg)
for i in range(1, 10):
    put("cut-%d.ogg" % i, ogg[: len(ogg) * i // 10])
m = len(ogg) // 2
put("zeroed.ogg", ogg[:m] + bytes(64) + ogg[m + 64:])
put("removed.ogg", ogg[:m] + ogg[m + 64:])
flip = bytearray(ogg)
flip[m] ^= 0x10
put("flipped.ogg", bytes(flip))
put("flac-cut.flac", flac[: len(flac) // 2])
put("wav-cut.wav", wav[:-100])
def wav_header(channels, frames):
    size = channels * frames * 2
    return (b"RIFF" + struct.pack("<I", 36 + size) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, channels, 16000, 32000 * channels, 2 * channels, 16) +
            b"data" + struct.pack("<I", size) + bytes(size))
put("ch1024-short.wav", wav_header(1024, 100))  # under one frame (400 samples)
put("ch1024.wav", wav_header(1024, 500))
PY

run 1 "$FEATPOOL" extract in -o out/ -j 2 --progress=never 2> batch.err
"$PY" - <<'PY'
import json
lines = {e["id"]: e for e in map(json.loads, open("out/manifest.jsonl"))}
for e in lines.values():
    if e["status"] == "ok":
        assert e.get("duration", -1) > 0, e
    assert e.get("duration", 0) >= 0, e
ok = {i for i, e in lines.items() if e["status"] == "ok"}
assert ok == {"good", "ch1024"}, ok
assert abs(lines["good"]["duration"] - 0.25) < 1e-9, lines["good"]
assert "1024 channels" in lines["ch1024"]["warning"], lines["ch1024"]
reasons = {i: e["error"] for i, e in lines.items() if e["status"] == "error"}
for i in range(1, 10):
    assert "truncated OGG file: no end-of-stream page" in reasons["cut-%d" % i], reasons
for name in ("zeroed", "removed", "flipped"):
    assert "corrupt OGG file" in reasons[name] and "fails its CRC check" in reasons[name], reasons
assert "truncated" in reasons["flac-cut"] and "truncated" in reasons["wav-cut"], reasons
assert "shorter than one frame" in reasons["ch1024-short"], reasons
assert "warning" not in lines["ch1024-short"], lines["ch1024-short"]
for i, r in reasons.items():
    assert "'in/%s." % i in r, (i, r)
print("manifest ok:", len(lines), "entries,", len(reasons), "errors")
PY
# Every failed file is one error line and nothing else.
grep -v "^featpool: [0-9]* processed" batch.err > lines.err || true
for f in in/cut-*.ogg in/zeroed.ogg in/removed.ogg in/flipped.ogg in/flac-cut.flac \
  in/wav-cut.wav in/ch1024-short.wav; do
  [[ $(grep -c "'$f'" lines.err) == 1 ]] || fail "$f: not exactly one line: $(grep "'$f'" lines.err)"
  grep -q "^featpool: error: '$f'" lines.err || fail "$f: not an error line"
done
[[ $(grep -c "'in/ch1024.wav'" lines.err) == 1 ]] || fail "ch1024.wav: not one warning line"

# Single file: a damaged short OGG reports the damage, not "shorter than one
# frame"; a 1024-channel file too short for a frame: one line.
run 1 "$FEATPOOL" extract in/cut-5.ogg -o x.npy 2> one.err
[[ $(wc -l < one.err) == 1 ]] || fail "cut-5.ogg: $(cat one.err)"
grep -q "^featpool: 'in/cut-5.ogg': truncated OGG file: no end-of-stream page" one.err ||
  fail "cut-5.ogg: $(cat one.err)"
run 1 "$FEATPOOL" extract in/ch1024-short.wav -o x.npy 2> one.err
[[ $(wc -l < one.err) == 1 ]] || fail "ch1024-short.wav: $(cat one.err)"
grep -q "shorter than one frame" one.err || fail "ch1024-short.wav: $(cat one.err)"
run 0 "$FEATPOOL" extract in/ch1024.wav -o x.npy 2> one.err
[[ $(wc -l < one.err) == 1 ]] && grep -q "warning: 'in/ch1024.wav' has 1024 channels" one.err ||
  fail "ch1024.wav: $(cat one.err)"
for f in in/flac-cut.flac in/wav-cut.wav; do
  run 1 "$FEATPOOL" extract $f -o x.npy 2> one.err
  [[ $(wc -l < one.err) == 1 ]] && grep -q "^featpool: '$f': .*truncated" one.err ||
    fail "$f: $(cat one.err)"
done

# Through a pipe the header does not know the length: the manifest has the
# decoded one. (A streamed WAV on a pipe is whole, not truncated.)
mkfifo pipe.ogg pipe.wav
cat in/good.ogg > pipe.ogg &
"$PY" -c "
import struct
b = bytearray(open('$data/short-s16.wav', 'rb').read())
b[4:8] = b[40:44] = struct.pack('<I', 0xFFFFFFFF)
open('pipe.wav', 'wb').write(b)" &
printf 'ogg pipe.ogg\nwav pipe.wav\n' > pipe.scp
run 0 "$FEATPOOL" extract scp:pipe.scp -o piped/ -j 1 --progress=never 2> pipe.err
wait
"$PY" - <<'PY'
import json
lines = [json.loads(l) for l in open("piped/manifest.jsonl")]
assert [e["status"] for e in lines] == ["ok", "ok"], lines
assert [e["duration"] for e in lines] == [0.25, 0.25], lines
PY
echo "damaged audio ok"
