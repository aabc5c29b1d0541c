# Sourced by the command-level tests (tests/test-*.sh): a fresh scratch
# directory as the working directory, sanitizer exit codes that cannot pass for
# an expected status, a Python with numpy in $PY, and fail/run helpers.
set -euo pipefail
: "${FEATPOOL:?}" "${FEATPOOL_SOURCE_DIR:?}" "${TEST_TMPDIR:?}"
rm -rf "$TEST_TMPDIR" && mkdir -p "$TEST_TMPDIR" && cd "$TEST_TMPDIR"
# Sanitizer reports must not pass for the expected exit status 1.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86"
PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c "import numpy" 2>/dev/null; then PY=$p; break; fi
done
[[ -n "$PY" ]] || { echo "FAIL: needs python3 with numpy (tools/install-deps.sh --tests)"; exit 1; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# run EXPECTED_STATUS command...: runs, checks the exit status.
run() {
  local want=$1; shift
  local got=0
  "$@" || got=$?
  [[ $got == "$want" ]] || fail "exit status $got, expected $want: $*"
}
