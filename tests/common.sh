# Sourced by the command-level tests (tests/test-*.sh): a fresh scratch
# directory as the working directory, sanitizer exit codes that cannot pass for
# an expected status, a Python with numpy in $PY, and fail/run/skip helpers.
set -euo pipefail
: "${FEATPOOL:?}" "${FEATPOOL_SOURCE_DIR:?}" "${TEST_TMPDIR:?}"
rm -rf "$TEST_TMPDIR" && mkdir -p "$TEST_TMPDIR" && cd "$TEST_TMPDIR"
# Sanitizer reports must not pass for the expected exit status 1.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86"
export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}exitcode=86"
PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c "import numpy" 2>/dev/null; then PY=$p; break; fi
done
[[ -n "$PY" ]] || { echo "FAIL: needs python3 with numpy (tools/install-deps.sh --tests)"; exit 1; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# skip REASON: ends the test as skipped (exit 77, CTest's SKIP_RETURN_CODE in
# tests/CMakeLists.txt), never as passed. With FEATPOOL_TESTS_NO_SKIP=1
# (tools/test.sh's Release run, where everything is installed) a skip fails.
skip() {
  [[ "${FEATPOOL_TESTS_NO_SKIP:-}" != 1 ]] || fail "would skip, but FEATPOOL_TESTS_NO_SKIP=1: $*"
  echo "SKIPPED: $*"
  exit 77
}
# run EXPECTED_STATUS command...: runs, checks the exit status.
run() {
  local want=$1; shift
  local got=0
  "$@" || got=$?
  [[ $got == "$want" ]] || fail "exit status $got, expected $want: $*"
}
