#!/usr/bin/env bash
# featpool extract --pool streams (audio blocks -> features -> pooled rows ->
# the output as rows become final): for pooling configurations with padding,
# ceil mode and dilation, and the adaptive modes (pooled offline instead),
# every output kind (one .npy, a pipe, DIR/, an ark) holds the bytes of
# `featpool extract` then `featpool pool`, which pools the whole matrix.
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
echo "test-fused-stream: all checks passed"
