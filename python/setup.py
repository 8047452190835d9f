"""Builds the fs binary with Go into the package, and tags the wheel for
this platform (the binary is the platform's; Python's ABI does not matter)."""
import os
import pathlib
import subprocess
import sys

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel

HERE = pathlib.Path(__file__).resolve().parent


def go_source() -> pathlib.Path:
    """fs's Go module: FS_GO_SOURCE, else the nearest directory above with go.mod and cmd/fs."""
    if os.environ.get("FS_GO_SOURCE"):
        return pathlib.Path(os.environ["FS_GO_SOURCE"])
    for d in (HERE, *HERE.parents):
        if (d / "go.mod").is_file() and (d / "cmd" / "fs").is_dir():
            return d
    raise SystemExit("fs-features: fs's Go source (go.mod and cmd/fs) is not above python/; set FS_GO_SOURCE")


class BuildWithGo(build_py):
    def run(self):
        super().run()
        exe = "fs.exe" if sys.platform == "win32" else "fs"
        out = pathlib.Path(self.build_lib).resolve() / "fs_features" / "bin" / exe
        out.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CGO_ENABLED": "0"}
        subprocess.run(["go", "build", "-trimpath", "-ldflags=-s -w", "-o", str(out), "./cmd/fs"],
                       cwd=go_source(), env=env, check=True)


class BinaryDistribution(Distribution):
    """A distribution with a platform binary: installed to platlib, its wheel not pure."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        return ("py3", "none", super().get_tag()[2])


setup(distclass=BinaryDistribution, cmdclass={"build_py": BuildWithGo, "bdist_wheel": PlatformWheel})
