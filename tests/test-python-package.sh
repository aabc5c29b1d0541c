#!/usr/bin/env bash
# The Python package builds and installs offline from the source tree
# (pyproject.toml, setup.py driving the CMake build): `pip install
# --no-build-isolation .` in a fresh venv, then `python3 -m build --wheel
# --no-isolation` and the wheel installed in another fresh venv; each
# imports featpool and computes features (and a preset's, from the presets
# the package ships) outside the source tree. Works on a
# copy of the tree (the build leaves files next to setup.py); both builds
# share one CMake directory, so the second is incremental.
source "$(dirname "$0")/common.sh"
: "${FEATPOOL_BUILD_DIR:?}"

env_file="$FEATPOOL_BUILD_DIR/featpool-python.env"
[[ -f "$env_file" ]] || skip "$env_file is missing"
setting() { sed -n "s/^$1=//p" "$env_file"; }
[[ "$(setting FEATPOOL_PYTHON)" == "ON" ]] || skip "built with FEATPOOL_PYTHON=OFF"
python=$(setting PYTHON)
"$python" -m venv --help >/dev/null 2>&1 || skip "$python has no venv (python3-venv)"
"$python" -c "import build, setuptools, wheel" 2>/dev/null \
  || skip "$python cannot import build, setuptools and wheel (python3-build, python3-setuptools, python3-wheel)"

mkdir src
tar -C "$FEATPOOL_SOURCE_DIR" --exclude='./build*' --exclude=./.git -cf - . | tar -C src -xf -
export FEATPOOL_CMAKE_BUILD_DIR="$PWD/cmake" PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1

check_import() {  # VENV: featpool imports from the venv and computes, away from the tree
  (cd / && "$1/bin/python" - "$FEATPOOL_SOURCE_DIR/data/speech-16k.wav" "$1") <<'PY'
import os, sys
import featpool
assert featpool.__file__.startswith(sys.argv[2]), featpool.__file__
samples, rate = featpool.read_audio(sys.argv[1])
assert featpool.fbank(samples, rate).shape == (726, 23)
package = os.path.dirname(featpool.__file__)
for name in ("py.typed", "__init__.pyi", "presets/whisper.conf"):
    assert os.path.exists(os.path.join(package, name)), name
# The presets come from the package itself.
os.environ.pop("FEATPOOL_PRESET_DIR", None)
assert featpool._preset_directory() == os.path.join(package, "presets")
assert "whisper" in featpool.list_presets() and "kaldi-fbank-80" in featpool.list_presets()
samples, rate = featpool.read_audio(sys.argv[1], preset="whisper")
assert featpool.extract(samples, rate, preset="whisper").shape == (len(samples) // 160, 80)
print("featpool", featpool.__version__, "from", package)
PY
}

"$python" -m venv --system-site-packages venv-pip
(cd src && ../venv-pip/bin/python -m pip install -q --no-build-isolation .) \
  || fail "pip install --no-build-isolation . failed"
check_import "$PWD/venv-pip" || fail "the pip-installed package does not work"

(cd src && "$python" -m build --wheel --no-isolation --outdir "$TEST_TMPDIR/dist" >build.log 2>&1) \
  || { tail -20 src/build.log; fail "python3 -m build --wheel --no-isolation failed"; }
wheels=(dist/featpool-*.whl)
[[ ${#wheels[@]} == 1 && -f "${wheels[0]}" ]] || fail "expected one wheel in dist/: ${wheels[*]}"
"$python" -m venv --system-site-packages venv-wheel
venv-wheel/bin/python -m pip install -q "${wheels[0]}" || fail "the wheel does not install"
check_import "$PWD/venv-wheel" || fail "the installed wheel does not work"
echo "PASS: ${wheels[0]##*/}"
