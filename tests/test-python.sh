#!/usr/bin/env bash
# Runs the Python binding tests (tests/python, pytest) against the module in
# the build tree. Passes with a message when the module was not built
# (FEATPOOL_PYTHON=OFF, e.g. the sanitizer build).
set -euo pipefail

env_file="$FEATPOOL_BUILD_DIR/featpool-python.env"
if [[ ! -f "$env_file" ]]; then
  echo "test-python: skipped: $env_file is missing (the build predates the Python module)"
  exit 0
fi
setting() { sed -n "s/^$1=//p" "$env_file"; }
if [[ "$(setting FEATPOOL_PYTHON)" != "ON" ]]; then
  echo "test-python: skipped: built with FEATPOOL_PYTHON=OFF"
  exit 0
fi
python=$(setting PYTHON)
module_dir=$(setting MODULE_DIR)
if ! "$python" -c "import pytest" 2>/dev/null; then
  echo "test-python: $python cannot import pytest (tools/install-deps.sh --tests installs python3-pytest)" >&2
  exit 1
fi

mkdir -p "$TEST_TMPDIR"
status=0
# -p no:cacheprovider: the source tree stays clean. FEATPOOL_PYTHON_REQUIRED
# makes a module that fails to import an error instead of a skip.
FEATPOOL_PYTHON_REQUIRED=1 PYTHONPATH="$module_dir${PYTHONPATH:+:$PYTHONPATH}" \
  PYTHONDONTWRITEBYTECODE=1 FEATPOOL_COMMAND="$FEATPOOL" \
  "$python" -m pytest -p no:cacheprovider -q -rs "$FEATPOOL_SOURCE_DIR/tests/python" \
  --basetemp="$TEST_TMPDIR/pytest" || status=$?
# pytest exits with 5 when it collected no tests at all; report it but do not
# fail CTest for it (the failing cases are exit codes 1 to 4).
if [[ $status -eq 5 ]]; then
  echo "test-python: skipped: pytest collected no tests"
  exit 0
fi
exit $status
