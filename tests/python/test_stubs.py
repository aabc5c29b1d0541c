"""The type stubs the build generates (featpool/__init__.pyi, by
tools/gen-python-stubs.py) say what the module has: they are the stubs of
the module as it is imported, they cover every public name, and `mypy
--strict` accepts a user script against them and rejects a wrong keyword."""

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

if os.environ.get("FEATPOOL_PYTHON_REQUIRED"):
    import featpool
else:
    featpool = pytest.importorskip("featpool", reason="the featpool module is not built")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TYPED = os.path.join(ROOT, "tests", "python", "typed")


def load_generator():
    spec = importlib.util.spec_from_file_location(
        "gen_python_stubs", os.path.join(ROOT, "tools", "gen-python-stubs.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_packages_stubs_are_those_of_the_module():
    package = os.path.dirname(featpool.__file__)
    assert os.path.exists(os.path.join(package, "py.typed"))
    with open(os.path.join(package, "__init__.pyi")) as f:
        shipped = f.read()
    assert shipped == load_generator().stub_text(featpool), "the build did not regenerate them"
    for name in featpool.__all__:
        assert ("def %s(" % name in shipped or "class %s" % name in shipped
                or "\n%s:" % name in shipped), name
    for t in featpool._featpool._feature_types():
        for f in t["fields"]:
            assert "%s: " % f["key"] in shipped, f["key"]


def mypy(tmp_path, script):
    if shutil.which("mypy") is None and importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (tools/install-deps.sh --tests installs it)")
    env = dict(os.environ, MYPYPATH=os.path.dirname(os.path.dirname(featpool.__file__)))
    command = [sys.executable, "-m", "mypy"] if importlib.util.find_spec("mypy") else ["mypy"]
    return subprocess.run(command + ["--strict", "--no-incremental",
                                     "--cache-dir", str(tmp_path / "cache"), script],
                          capture_output=True, text=True, env=env)


def test_mypy_strict_accepts_a_user_script(tmp_path):
    done = mypy(tmp_path, os.path.join(TYPED, "user_script.py"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_rejects_a_wrong_keyword(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import featpool\n"
                   "featpool.fbank([0.0] * 400, num_mel_bins='80')\n"
                   "featpool.mfcc([0.0] * 400, num_mel_bins_typo=80)\n"
                   "featpool.extract([0.0] * 400, preset=1)\n"
                   "featpool.extract([0.0] * 400, pool_kernel_typo=2)\n"
                   "featpool.OnlineExtractor(preset='whisper', cmvn_typo='sliding')\n")
    done = mypy(tmp_path, str(bad))
    assert done.returncode == 1
    assert "num_mel_bins" in done.stdout and "num_mel_bins_typo" in done.stdout, done.stdout
    assert '"preset"' in done.stdout and "pool_kernel_typo" in done.stdout, done.stdout
    assert "cmvn_typo" in done.stdout, done.stdout


def test_mypy_checks_extract_dataset(tmp_path):
    bad = tmp_path / "bad_dataset.py"
    bad.write_text("import featpool\n"
                   "s = featpool.extract_dataset('in', 'out/', jobz=2)\n"
                   "n: str = featpool.extract_dataset(['in'], 'out/', jobs=2)['ok']\n")
    done = mypy(tmp_path, str(bad))
    assert done.returncode == 1
    # The summary is typed: its "ok" is an int.
    assert '"jobz"' in done.stdout and "bad_dataset.py:3: error" in done.stdout, done.stdout
