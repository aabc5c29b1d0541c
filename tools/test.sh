#!/usr/bin/env bash
# Installs what is missing, then builds and tests featpool four ways, each in
# its own build directory with every option given (tools/run.sh's `build` is
# never reused, so no cached option can switch tests off):
#   build-test  Release: every test; nothing may skip (FEATPOOL_TESTS_NO_SKIP)
#   build-asan  Debug, AddressSanitizer + UndefinedBehaviorSanitizer: every
#               test (the Python module is not built there: its test shows as
#               skipped)
#   build-tsan  ThreadSanitizer: the concurrency tests (CTest label threads)
#   build-fuzz  clang, libFuzzer + ASan + UBSan: tools/fuzz.sh replays every
#               committed corpus and regression input and fuzzes each harness
#               (skipped, on a SKIP line, when clang++ is missing)
# Any failure, and a CTest run that finds no tests, fails the command.
# Usage: tools/test.sh [FUZZ-SECONDS-PER-HARNESS]   (default: tools/fuzz.sh's)
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh --tests
jobs=$(nproc)
start=$SECONDS

# configure DIR OPTION...: the options every build states, then OPTION...
configure() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DFEATPOOL_BUILD_TESTS=ON -DFEATPOOL_BUILD_TOOLS=ON \
    -DFEATPOOL_BUILD_SHARED=ON -DFEATPOOL_NATIVE=OFF -DFEATPOOL_FUZZ=OFF "$@" >/dev/null
}
# check DIR CTEST-ARGUMENT...
check() {
  local dir=$1; shift
  (cd "$dir" && ctest --no-tests=error --output-on-failure -j"$jobs" "$@")
}

configure build-test -DCMAKE_BUILD_TYPE=Release -DFEATPOOL_SANITIZE=OFF -DFEATPOOL_TSAN=OFF \
  -DFEATPOOL_PYTHON=ON
cmake --build build-test -j"$jobs"
FEATPOOL_TESTS_NO_SKIP=1 check build-test

configure build-asan -DCMAKE_BUILD_TYPE=Debug -DFEATPOOL_SANITIZE=ON -DFEATPOOL_TSAN=OFF \
  -DFEATPOOL_PYTHON=OFF
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 check build-asan

configure build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFEATPOOL_SANITIZE=OFF -DFEATPOOL_TSAN=ON \
  -DFEATPOOL_PYTHON=OFF
cmake --build build-tsan -j"$jobs" --target featpool-tests featpool-command  # no benchmarks
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 check build-tsan -L threads

# Without clang (install-deps.sh --tests installs it) the fuzzers cannot be
# built: said on a SKIP line and in the last line, never silently.
skipped=""
if command -v clang++ >/dev/null; then
  tools/fuzz.sh "$@"
else
  echo "featpool: SKIP build-fuzz: no clang++ on PATH, the fuzzers were neither built nor run" >&2
  skipped=" (SKIP: fuzzing, no clang++)"
fi

echo "featpool: tools/test.sh passed in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s$skipped"
