"""Builds featpool._featpool with the project's own CMake build (see
pyproject.toml): configure with the running interpreter, build the module
target only, and put the compiled module, the type stubs the build
generated from it and the presets (data/conf/presets) into the package.

FEATPOOL_CMAKE_BUILD_DIR reuses (and keeps) one CMake build directory;
FEATPOOL_CMAKE_ARGS adds arguments to the configure step; the build runs
with CMAKE_BUILD_PARALLEL_LEVEL jobs (default: the CPU count).
"""
import os
import re
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def project_version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        return re.search(r"project\(featpool VERSION ([0-9.]+)", f.read()).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("FEATPOOL_CMAKE_BUILD_DIR") or os.path.join(
            os.path.abspath(self.build_temp), "cmake")
        configure = ["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                     "-DFEATPOOL_PYTHON=ON", "-DFEATPOOL_BUILD_TESTS=OFF",
                     "-DFEATPOOL_BUILD_TOOLS=OFF", "-DFEATPOOL_BUILD_SHARED=OFF",
                     "-DPython3_EXECUTABLE=" + sys.executable]
        configure += shlex.split(os.environ.get("FEATPOOL_CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        subprocess.run(
            ["cmake", "--build", build_dir, "--target", "featpool_python_stubs", "-j", jobs],
            check=True)
        built = os.path.join(build_dir, "lib", "python", "module", "featpool")
        names = [n for n in os.listdir(built) if n.startswith("_featpool") and n.endswith(".so")]
        if len(names) != 1:
            raise RuntimeError("expected one compiled module in %s, found %s" % (built, names))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(built, names[0]), target)
        # The stubs the build generated from this module.
        shutil.copyfile(os.path.join(built, "__init__.pyi"),
                        os.path.join(os.path.dirname(target), "__init__.pyi"))
        # The presets (featpool.list_presets()), found in the package.
        presets = os.path.join(os.path.dirname(target), "presets")
        os.makedirs(presets, exist_ok=True)
        for name in sorted(os.listdir(os.path.join(built, "presets"))):
            if name.endswith(".conf"):
                shutil.copyfile(os.path.join(built, "presets", name), os.path.join(presets, name))


setup(
    version=project_version(),
    ext_modules=[Extension("featpool._featpool", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)
