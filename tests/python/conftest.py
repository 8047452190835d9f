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


@pytest.fixture()
def fs_serve(fs_bin):
    """Starts a real fs serve: fs_serve(cwd, store, *flags, env=None) -> URL; stopped after the test."""
    import re
    procs = []

    def start(cwd, store, *flags, env=None):
        proc = subprocess.Popen([fs_bin, "serve", "--store", str(store), "--addr", "127.0.0.1:0", "--quiet", *flags],
                                cwd=cwd, env={**os.environ, **(env or {})}, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        line = proc.stderr.readline()
        m = re.search(r"at (https?://127\.0\.0\.1:\d+) ", line)
        if not m:
            raise AssertionError(f"fs serve did not start: {line}{proc.stderr.read() if proc.poll() is not None else ''}")
        return m.group(1)

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (CI set) a skipped test is a failed one: every test must run there. Elsewhere a
    skip says why (pytest -rs prints it)."""
    outcome = yield
    rep = outcome.get_result()
    if os.environ.get("CI") and rep.skipped and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome, rep.longrepr = "failed", f"skipped in CI, where every test must run: {reason}"
