#!/usr/bin/env bash
# Installs what is missing, builds Release, and extracts 80-bin fbank
# features of the sample speech in data/, printing duration, shape and time;
# then draws them (waveform, features, 2x2 max pooling) to build/speech-16k.png.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
# Its own build directory with every option given (tools/test.sh uses others).
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFEATPOOL_BUILD_TESTS=OFF -DFEATPOOL_BUILD_TOOLS=ON \
  -DFEATPOOL_SANITIZE=OFF -DFEATPOOL_TSAN=OFF -DFEATPOOL_FUZZ=OFF -DFEATPOOL_NATIVE=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

input=data/speech-16k.wav
output=build/speech-16k.fbank.npy
start=$(date +%s.%N)
build/tools/featpool extract "$input" --num-mel-bins=80 -o "$output" "$@"
end=$(date +%s.%N)
build/tools/featpool info "$input" | sed -n 's/^duration: */input duration: /p'
python3 - "$output" <<'PY' 2>/dev/null || od -A d -c -N 128 "$output" | head -4
import ast, sys
with open(sys.argv[1], "rb") as f:
    head = f.read(10)
    header = f.read(head[8] | head[9] << 8).decode()
print("output shape:", ast.literal_eval(header)["shape"], "->", sys.argv[1])
PY
awk -v s="$start" -v e="$end" 'BEGIN { printf "time taken: %.3f s\n", e - s }'
picture=build/speech-16k.png
build/tools/featpool plot "$input" --num-mel-bins=80 --pool=max --pool-kernel=2 -o "$picture"
echo "picture: $picture"
