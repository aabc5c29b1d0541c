#!/usr/bin/env bash
# featpool extract --pool streams (audio blocks -> features -> pooled rows ->
# the output as rows become final): for pooling configurations with padding,
# ceil mode and dilation, and the adaptive modes (pooled offline instead),
# every output kind (one .npy, a pipe, DIR/, an ark) holds the bytes of
# `featpool extract` then `featpool pool`, which pools the whole matrix; a
# signal while the .npy is being written leaves no file.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
WAV="$FEATPOOL_SOURCE_DIR/data/speech-16k.wav"
mkdir -p wavs && cp "$WAV" wavs/a.wav

"$FEATPOOL" extract "$WAV" --num-mel-bins=40 -o feats.npy
configs=(
  "--mode=max --kernel=2x2"
  "--mode=max --kernel=3x3 --stride=2x2 --padding=1x1 --ceil-mode"
  "--mode=max --kernel=3x2 --dilation=2x1 --stride=1x2"
  "--mode=avg --kernel=5x3 --stride=3x2 --padding=2x1 --ceil-mode --count-include-pad=false"
  "--mode=lp --kernel=4x2 --stride=3x2 --ceil-mode --norm-type=2"
  "--mode=stats"
  "--mode=stack --stack-frames=5 --stack-stride=3"
  "--mode=adaptive-avg --output-size=50x20"
  "--mode=adaptive-max --output-size=keepx7"
)
n=0
for config in "${configs[@]}"; do
  n=$((n + 1))
  read -ra pool <<<"$config"
  # The same flags for extract: --mode=X is --pool=X, --kernel is --pool-kernel.
  fused=()
  for flag in "${pool[@]}"; do
    case $flag in
      --mode=*) fused+=("--pool=${flag#--mode=}") ;;
      *) fused+=("--pool-${flag#--}") ;;
    esac
  done
  "$FEATPOOL" pool feats.npy "${pool[@]}" -o "offline$n.npy"
  "$FEATPOOL" extract "$WAV" --num-mel-bins=40 "${fused[@]}" -o "fused$n.npy"
  cmp -s "offline$n.npy" "fused$n.npy" || fail "extract --pool differs from extract then pool: $config"
  # A pipe cannot be rewritten in place: the rows are written at the end.
  "$FEATPOOL" extract "$WAV" --num-mel-bins=40 "${fused[@]}" -o /dev/stdout | cat >"piped$n.npy"
  cmp -s "offline$n.npy" "piped$n.npy" || fail "extract --pool to a pipe differs: $config"
  "$FEATPOOL" extract wavs --num-mel-bins=40 "${fused[@]}" --progress=never -o "dir$n/" 2>/dev/null
  cmp -s "offline$n.npy" "dir$n/a.npy" || fail "extract --pool -o DIR/ differs: $config"
  "$FEATPOOL" extract wavs --num-mel-bins=40 "${fused[@]}" --progress=never \
    -o "ark,scp:ark$n.ark,ark$n.scp" 2>/dev/null
  "$PY" - "offline$n.npy" "ark$n.ark" "$config" <<'PY'
import struct
import sys
npy, ark, config = sys.argv[1:]
data = open(npy, "rb").read()
rows, cols = eval(data[:128].decode("latin1").split("'shape': ")[1].split(", }")[0])
record = open(ark, "rb").read()
head = b"a \0BFM \4" + struct.pack("<i", rows) + b"\4" + struct.pack("<i", cols)
assert record == head + data[128:], "ark record differs from extract then pool: " + config
PY
done
# No pooling: the features, to a file and to a pipe.
"$FEATPOOL" extract "$WAV" --num-mel-bins=40 -o /dev/stdout | cat >piped.npy
cmp -s feats.npy piped.npy || fail "extract to a pipe differs from extract to a file"

# A signal while the .npy is being written (its temporary file exists): the
# command ends by the signal at the next block of audio, leaving no file.
# The input is a named pipe that gives 1 s, waits for the signal, then more.
mkfifo slow.wav
"$PY" - <<'PY' &
import struct, time, os, math
samples = [int(3000 * math.sin(i * 0.05)) for i in range(16000)]
data = struct.pack("<%dh" % len(samples), *samples)
header = (b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVEfmt " +
          struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16) + b"data" +
          struct.pack("<I", 0xFFFFFFFF))
with open("slow.wav", "wb") as f:
    f.write(header + data)
    f.flush()
    for _ in range(500):  # until the command was signalled
        if os.path.exists("signalled"):
            break
        time.sleep(0.01)
    try:
        for _ in range(5):
            f.write(data)
            f.flush()
    except BrokenPipeError:
        pass
PY
writer=$!
"$FEATPOOL" extract slow.wav --pool=max --pool-kernel=2x2 -o slow.npy 2>slow.err &
pid=$!
for _ in $(seq 500); do
  compgen -G '.slow.npy.tmp.*' >/dev/null && break
  sleep 0.01
done
compgen -G '.slow.npy.tmp.*' >/dev/null || fail "no temporary file while writing slow.npy"
kill -TERM $pid
touch signalled
status=0
wait $pid || status=$?
wait $writer || true
[[ $status == 143 ]] || fail "signal while writing: exit status $status ($(cat slow.err))"
[[ ! -e slow.npy ]] || fail "signal while writing: slow.npy finalised"
! compgen -G '.slow.npy.tmp.*' >/dev/null || fail "signal while writing: temporary file left"
echo "test-fused-stream: all checks passed"
