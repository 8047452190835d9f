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


class S3:
    """The S3-compatible server the test command started (versitygw): its AWS environment, a client,
    fresh buckets."""

    def __init__(self, endpoint, access, secret):
        import boto3
        self.env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret,
                    "AWS_REGION": "us-east-1"}
        self.client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access, aws_secret_access_key=secret,
                                   region_name="us-east-1")

    def bucket(self, versioned=False):
        import secrets
        name = "fs-py-" + secrets.token_hex(6)
        self.client.create_bucket(Bucket=name)
        if versioned:
            self.client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name


@pytest.fixture(scope="session")
def s3():
    endpoint = os.environ.get("FS_TEST_S3_ENDPOINT")
    if not endpoint:
        if os.environ.get("CI"):
            pytest.fail("FS_TEST_S3_ENDPOINT is not set in CI: the test command must start the S3-compatible server")
        pytest.skip("FS_TEST_S3_ENDPOINT is not set: run the tests with scripts/test.sh, which starts versitygw")
    return S3(endpoint, os.environ["FS_TEST_S3_ACCESS_KEY"], os.environ["FS_TEST_S3_SECRET_KEY"])


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
