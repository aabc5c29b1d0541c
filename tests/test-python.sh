#!/usr/bin/env bash
# Runs the Python binding tests (tests/python, pytest) against the module in
# the build tree. Shows as skipped (never as passed) when the module was not
# built (FEATPOOL_PYTHON=OFF, e.g. the sanitizer builds).
source "$(dirname "$0")/common.sh"
: "${FEATPOOL_BUILD_DIR:?}"

env_file="$FEATPOOL_BUILD_DIR/featpool-python.env"
[[ -f "$env_file" ]] || skip "$env_file is missing (the build predates the Python module)"
setting() { sed -n "s/^$1=//p" "$env_file"; }
[[ "$(setting FEATPOOL_PYTHON)" == "ON" ]] || skip "built with FEATPOOL_PYTHON=OFF"
python=$(setting PYTHON)
module_dir=$(setting MODULE_DIR)
"$python" -c "import pytest" 2>/dev/null \
  || fail "$python cannot import pytest (tools/install-deps.sh --tests installs python3-pytest)"

status=0
# -p no:cacheprovider: the source tree stays clean. FEATPOOL_PYTHON_REQUIRED
# makes a module that fails to import an error instead of a skip.
FEATPOOL_PYTHON_REQUIRED=1 PYTHONPATH="$module_dir${PYTHONPATH:+:$PYTHONPATH}" \
  PYTHONDONTWRITEBYTECODE=1 FEATPOOL_COMMAND="$FEATPOOL" \
  "$python" -m pytest -p no:cacheprovider -q -rs "$FEATPOOL_SOURCE_DIR/tests/python" \
  --basetemp="$TEST_TMPDIR/pytest" || status=$?
# pytest exits with 5 when it collected no tests at all: nothing was checked.
[[ $status -ne 5 ]] || fail "pytest collected no tests in tests/python"
exit $status
