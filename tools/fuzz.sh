#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz; clang, ASan + UBSan) in
# build-fuzz, replays every committed corpus and regression input, then fuzzes
# each harness for SECONDS (default 12; tools/test.sh runs this default, about
# a minute in all) from a scratch copy of its corpus, so the committed corpus
# never grows by itself. Any crash, leak, timeout (> 10 s for one input) or
# memory use over 2 GB fails the command; the input is kept in
# build-fuzz/findings/<harness>/ (commit it under tests/fuzz/regressions/
# <harness>/ with the fix). A longer run: tools/fuzz.sh 3600
# Usage: tools/fuzz.sh [SECONDS-PER-HARNESS] [HARNESS...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-12}
shift || true

command -v clang++ >/dev/null || { echo "tools/fuzz.sh: needs clang (tools/install-deps.sh --tests)" >&2; exit 1; }
harnesses=("$@")
if ((${#harnesses[@]} == 0)); then
  for f in tests/fuzz/fuzz-*.cc; do harnesses+=("$(basename "$f" .cc)"); done
fi

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFEATPOOL_FUZZ=ON -DFEATPOOL_SANITIZE=ON -DFEATPOOL_TSAN=OFF -DFEATPOOL_BUILD_TESTS=OFF \
  -DFEATPOOL_BUILD_TOOLS=ON -DFEATPOOL_BUILD_SHARED=OFF -DFEATPOOL_PYTHON=OFF \
  -DFEATPOOL_NATIVE=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${harnesses[@]}"

# Leaks inside libsndfile/libvorbis that featpool cannot free are listed in
# tests/fuzz/lsan.supp; everything else fails.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"

# Replay: every input ever committed, once.
regex="^($(IFS='|'; echo "${harnesses[*]}"))-replay\$"
(cd build-fuzz && ctest --no-tests=error --output-on-failure -j"$(nproc)" -R "$regex")

# Absolute paths: fuzz-config works in a directory of its own.
scratch=$PWD/build-fuzz/run
findings=$PWD/build-fuzz/findings
failed=()
for h in "${harnesses[@]}"; do
  rm -rf "$scratch/$h" && mkdir -p "$scratch/$h/corpus" "$scratch/$h/tmp" "$findings/$h"
  [[ -d tests/fuzz/corpus/$h ]] && cp -r "tests/fuzz/corpus/$h/." "$scratch/$h/corpus/"
  echo "tools/fuzz.sh: $h for ${seconds} s"
  if ! TMPDIR="$scratch/$h/tmp" "build-fuzz/tests/fuzz/$h" -max_total_time="$seconds" \
      -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$findings/$h/" "$scratch/$h/corpus" \
      > "$scratch/$h/log" 2>&1; then
    failed+=("$h")
    tail -60 "$scratch/$h/log" >&2
  fi
  grep -E "^stat::number_of_executed_units|^Done [0-9]+ runs" "$scratch/$h/log" | tail -1 || true
done
if ((${#failed[@]})); then
  echo "tools/fuzz.sh: findings in ${failed[*]}: inputs in build-fuzz/findings/" >&2
  exit 1
fi
echo "tools/fuzz.sh: ${#harnesses[@]} harnesses, ${seconds} s each, no findings"
