"""Shared fixtures: the fs binary, built once per session."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def fs_bin(tmp_path_factory):
    out = tmp_path_factory.mktemp("bin") / "fs"
    subprocess.run(["go", "build", "-o", str(out), "./cmd/fs"], cwd=ROOT, check=True)
    return str(out)


@pytest.fixture()
def run_fs(fs_bin, tmp_path):
    def run(*args, check=True):
        proc = subprocess.run([fs_bin, *args], cwd=tmp_path, capture_output=True, text=True,
                              env={**os.environ, "FS_STORE": str(tmp_path / ".fs")})
        if check and proc.returncode != 0:
            raise AssertionError(f"fs {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
        return proc
    return run


@pytest.fixture(scope="session")
def mlflow_uri():
    """The real mlflow server the test command started."""
    uri = os.environ.get("FS_MLFLOW_URI")
    if not uri:
        if os.environ.get("CI"):
            pytest.fail("FS_MLFLOW_URI is not set in CI: the test command must start the mlflow server")
        pytest.skip("FS_MLFLOW_URI is not set: run the tests with scripts/test.sh, which starts a real mlflow server")
    return uri
