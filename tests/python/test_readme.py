"""README.md's Python examples run as written: each ```python block is run in
a fresh interpreter, from a scratch directory holding the tree's data/."""

import os
import re
import subprocess
import sys

import pytest

if os.environ.get("FEATPOOL_PYTHON_REQUIRED"):
    import featpool
else:
    featpool = pytest.importorskip("featpool", reason="the featpool module is not built")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def python_blocks():
    with open(os.path.join(ROOT, "README.md")) as f:
        return re.findall(r"^```python\n(.*?)^```$", f.read(), re.S | re.M)


def test_readme_has_python_examples():
    assert len(python_blocks()) >= 2


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_python_block_runs(tmp_path, index):
    os.symlink(os.path.join(ROOT, "data"), tmp_path / "data")
    # The package as this test imported it; a warning (e.g. about the sample
    # scale) is an error: the examples must be right as written.
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(featpool.__file__)))
    env = dict(os.environ, PYTHONPATH=package_dir)
    done = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c",
                           python_blocks()[index]], cwd=tmp_path, capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stderr
