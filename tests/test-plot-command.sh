#!/usr/bin/env bash
# `featpool plot` and `featpool extract -o` formats through the real command:
# PNGs of audio and of a .npy matrix (valid, sized as asked), pooled panels,
# the stages and presets extract runs (extract -o x.png is plot's picture),
# zoom; extract's -o extension picks .npy, .txt, - (Kaldi text on stdout) or
# .png, and any other extension is an error listing the accepted ones.
source "$(dirname "$0")/common.sh"
wav="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"

# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk, after checking the
# signature and the chunk's CRC.
png_size() {
  "$PY" - "$1" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
length, kind = struct.unpack(">I4s", data[8:16])
assert kind == b"IHDR" and length == 13, kind
body = data[12:12 + 4 + length]
assert zlib.crc32(body) == struct.unpack(">I", data[12 + 4 + length:12 + 8 + length])[0], "bad CRC"
width, height = struct.unpack(">II", data[16:24])
assert data.endswith(b"IEND\xaeB`\x82"), "no IEND"
print("%dx%d" % (width, height))
PY
}

# expect_error NAME EXPECTED ARGS...: exit status 1 or 2, one line on stderr.
expect_error() {
  local name=$1 expected=$2
  shift 2
  local status=0
  "$FEATPOOL" "$@" >"$name.out" 2>"$name.err" || status=$?
  ((status == 1 || status == 2)) || fail "$name: exit status $status: $(cat "$name.err")"
  [[ $(wc -l <"$name.err") == 1 ]] || fail "$name: not one line on stderr: $(cat "$name.err")"
  grep -qF -- "$expected" "$name.err" || fail "$name: no '$expected' in: $(cat "$name.err")"
  echo "ok $name: $(cat "$name.err")"
}

# --- plot of audio: the three panels, default and given sizes -----------
run 0 "$FEATPOOL" plot "$wav" -o speech.png --num-mel-bins=80 --pool=max --pool-kernel=2
[[ $(png_size speech.png) == 1600x* ]] || fail "default width: $(png_size speech.png)"
run 0 "$FEATPOOL" plot "$wav" -o small.png --width=700 --height=500 --cmap=gray
[[ $(png_size small.png) == 700x500 ]] || fail "--width/--height: $(png_size small.png)"
run 0 "$FEATPOOL" plot "$wav" -o zoom.png --feature=spectrogram --start=1 --duration=0.5 \
  --pool=stats --cmap=magma
png_size zoom.png >/dev/null
for mode in "--pool=stack" "--pool=adaptive-avg --pool-output-size=50x10" "--pool=avg --pool-kernel=3x1 --pool-stride=1"; do
  # shellcheck disable=SC2086
  run 0 "$FEATPOOL" plot "$wav" -o modes.png $mode
  png_size modes.png >/dev/null
done
echo "ok plot audio"

# --- the stages extract runs, presets included ---------------------------
am_mvn="$FEATPOOL_SOURCE_DIR/tests/data/dialects/presets/am.mvn"
run 0 "$FEATPOOL" plot "$wav" -o whisper.png --preset=whisper --width=800
run 0 "$FEATPOOL" extract "$wav" -o whisper-extract.png --preset=whisper
run 0 "$FEATPOOL" plot "$wav" -o whisper-default.png --preset=whisper
cmp -s whisper-default.png whisper-extract.png || fail "extract -o x.png --preset=whisper is not plot's picture"
run 0 "$FEATPOOL" plot "$wav" -o funasr.png --preset=funasr-paraformer --cmvn-stats="$am_mvn"
run 0 "$FEATPOOL" plot "$wav" -o chain.png --cmvn=utterance --norm-vars --deltas=2 \
  --left-context=1 --right-context=1 --pool=avg --pool-kernel=2x3
run 0 "$FEATPOOL" extract "$wav" -o chain-extract.png --cmvn=utterance --norm-vars --deltas=2 \
  --left-context=1 --right-context=1 --pool=avg --pool-kernel=2x3
cmp -s chain.png chain-extract.png || fail "extract -o x.png with stages is not plot's picture"
for f in whisper funasr chain; do png_size $f.png >/dev/null; done
expect_error plot-funasr "--cmvn-stats is required" plot "$wav" -o x.png --preset=funasr-paraformer
expect_error plot-stages "--stages" plot "$wav" -o x.png --cmvn=utterance --stages=deltas
echo "ok plot stages and presets"

# --- plot of a .npy matrix ----------------------------------------------
run 0 "$FEATPOOL" extract "$wav" -o feats.npy --num-mel-bins=40
run 0 "$FEATPOOL" plot feats.npy -o npy.png --width=900 --pool=avg --pool-kernel=4x2
[[ $(png_size npy.png) == 900x* ]] || fail ".npy input: $(png_size npy.png)"
run 0 "$FEATPOOL" plot feats.npy -o npy-stages.png --cmvn=utterance --deltas=1 --pool=stack \
  --stages=pool,deltas,cmvn
png_size npy-stages.png >/dev/null
# A .npy extract wrote with a preset already went through its stages:
# plotting it with the same preset runs none of them again (the picture is
# the preset's framing without its normalize line), while a stage given on
# the command line still runs.
run 0 "$FEATPOOL" extract "$wav" -o whisper.npy --preset=whisper
grep -v "^--normalize" "$FEATPOOL_SOURCE_DIR/data/conf/presets/whisper.conf" > framing.conf
run 0 "$FEATPOOL" plot whisper.npy -o w-preset.png --preset=whisper
run 0 "$FEATPOOL" plot whisper.npy -o w-framing.png --config=framing.conf
cmp -s w-preset.png w-framing.png || fail "plot of a .npy ran the preset's stages again"
run 0 "$FEATPOOL" plot whisper.npy -o w-cmvn.png --preset=whisper --cmvn=utterance
run 0 "$FEATPOOL" plot whisper.npy -o w-cmvn2.png --config=framing.conf --cmvn=utterance
cmp -s w-cmvn.png w-cmvn2.png || fail "a command-line stage on a .npy"
cmp -s w-cmvn.png w-preset.png && fail "--cmvn on the command line did not run on the .npy"
echo "ok plot .npy"

# --- extract -o by extension ---------------------------------------------
run 0 "$FEATPOOL" extract "$wav" -o feats.txt --num-mel-bins=40
"$PY" - feats.npy feats.txt <<'PY' || fail ".txt differs from .npy"
import sys, numpy as np
a = np.load(sys.argv[1]); b = np.loadtxt(sys.argv[2], dtype=np.float32, ndmin=2)
assert a.shape == b.shape, (a.shape, b.shape)
# 7 significant digits, as Kaldi writes text matrices.
assert np.allclose(a, b, rtol=1e-6, atol=1e-6), np.abs(a - b).max()
PY
run 0 "$FEATPOOL" extract "$wav" -o - --num-mel-bins=40 >stdout.txt
"$PY" - feats.npy stdout.txt <<'PY' || fail "-o - is not a Kaldi text record of the features"
import sys, numpy as np
a = np.load(sys.argv[1]); text = open(sys.argv[2]).read()
head, _, body = text.partition("[")
assert head == "speech-16k  ", repr(head)  # "key " then Kaldi's " ["
assert body.endswith(" ]\n"), repr(body[-10:])
rows = [line.split() for line in body[:-3].strip("\n").split("\n")]
b = np.array(rows, dtype=np.float32)
assert b.shape == a.shape and np.allclose(a, b, rtol=1e-6, atol=1e-6)
PY
run 0 "$FEATPOOL" extract "$wav" -o pooled.txt --num-mel-bins=40 --pool=max --pool-kernel=2
[[ $(wc -l <pooled.txt) == $(( $(wc -l <feats.txt) / 2 )) ]] || fail "--pool with .txt"
run 0 "$FEATPOOL" extract "$wav" -o extract.png --num-mel-bins=40
[[ $(png_size extract.png) == 1600x* ]] || fail "extract -o .png"
run 0 "$FEATPOOL" extract "$wav" -o noext --num-mel-bins=40
cmp -s noext feats.npy || fail "no extension is not .npy"
echo "ok extract formats"

# --- errors ----------------------------------------------------------------
expect_error bad-extension "accepted: .npy, .txt, .png, or - for text on stdout" \
  extract "$wav" -o feats.wav
[[ ! -e feats.wav ]] || fail "bad extension left a file"
expect_error plot-not-png ".png" plot "$wav" -o out.npy
expect_error bad-cmap "--cmap=jet" plot "$wav" -o x.png --cmap=jet
expect_error bad-width "--width=10" plot "$wav" -o x.png --width=10
expect_error start-past-end "--start=100" plot "$wav" -o x.png --start=100
expect_error small-height "--height=200" plot "$wav" -o x.png --height=200 --pool=max --pool-kernel=2
expect_error missing "missing.wav" plot missing.wav -o x.png
expect_error bad-pool "--pool-kernel" plot "$wav" -o x.png --pool=max
[[ ! -e x.png ]] || fail "a failed plot left x.png"
ls -A | grep -q '^\.x\.png' && fail "a failed plot left a temporary file"
echo "ok errors"
