"""The two ways to reach a store: the fs binary (a store directory) and the
HTTP API (an fs server). Both return the JSON the command line prints with
--json, and raise the same exceptions."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from importlib import resources
from typing import Any, Optional

from . import _errors


def binary() -> str:
    """The fs binary: FS_BIN, else the one built into this package, else fs on the PATH."""
    if os.environ.get("FS_BIN"):
        return os.environ["FS_BIN"]
    for name in ("fs", "fs.exe"):
        p = resources.files("fs_features") / "bin" / name
        if p.is_file():
            return str(p)
    found = shutil.which("fs")
    if found:
        return found
    raise _errors.FsError("the fs binary is not in this package", hint="install the package with pip install ./python (it builds fs with Go), or set FS_BIN")


class Local:
    """Runs the fs binary on a store directory (None: found as the command line finds it)."""

    def __init__(self, path: Optional[str]):
        self.path = None if path is None else os.fspath(path)
        self.stderr = ""  # the last run's

    def run(self, *args: str, want_json: bool = True, ok: tuple[int, ...] = (0,)) -> tuple[int, Any]:
        """Runs fs ARGS [--json]; returns the exit code and the parsed stdout.
        Exit codes in ok are not errors (gate, reproduce, validate results)."""
        env = {**os.environ, "FS_ERRORS": "json"}
        if self.path is not None:
            env["FS_STORE"] = self.path
        cmd = [binary(), *args] + (["--json"] if want_json else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        self.stderr = proc.stderr
        if proc.returncode not in ok and proc.returncode not in (0,):
            raise self._error(proc)
        out: Any = proc.stdout
        if want_json and proc.stdout.strip():
            out = json.loads(proc.stdout)
        return proc.returncode, out

    @staticmethod
    def _error(proc: subprocess.CompletedProcess) -> _errors.FsError:
        for line in reversed(proc.stderr.strip().splitlines()):
            if line.startswith('{"error"'):
                return _errors.from_body(json.loads(line)["error"], proc.returncode)
        return _errors.FsError(proc.stderr.strip() or f"fs exited with {proc.returncode}")


class Remote:
    """Speaks the HTTP API of an fs server."""

    def __init__(self, url: str, token: Optional[str]):
        self.url = url.rstrip("/")
        self.token = token if token is not None else os.environ.get("FS_TOKEN")

    def _request(self, method: str, path: str, query: Optional[dict] = None, body: Any = None) -> urllib.request.Request:
        url = self.url + "/api/v1" + path
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        return req

    def raw(self, method: str, path: str, query: Optional[dict] = None, body: Any = None) -> bytes:
        try:
            with urllib.request.urlopen(self._request(method, path, query, body), timeout=120) as resp:
                return resp.read()
        except urllib.error.HTTPError as e:
            try:
                raise _errors.from_body(json.loads(e.read())["error"]) from None
            except (ValueError, KeyError):
                raise _errors.FsError(f"the fs server at {self.url} answered {e.code} to {method} {path}") from None
        except urllib.error.URLError as e:
            raise _errors.NoStore(f"cannot reach the fs server at {self.url}: {e.reason}", code="no_store",
                                  hint="start it with fs serve, or check the URL") from None

    def get(self, path: str, **query: Any) -> Any:
        return json.loads(self.raw("GET", path, {k: v for k, v in query.items() if v is not None}))

    def post(self, path: str, body: Any) -> Any:
        return json.loads(self.raw("POST", path, body=body))

    def job(self, path: str, body: Any) -> dict:
        """Starts a job and follows it; returns the finished job. A failed job
        raises its error, unless it also has a result (train)."""
        job = self.post(path, body)
        while job["state"] in ("queued", "running"):
            job = self.get("/jobs/" + job["id"], wait=10)
        if job.get("error") and job.get("result") is None:
            raise _errors.from_body(job["error"])
        return job

    def output(self, job: dict) -> bytes:
        return self.raw("GET", "/jobs/" + job["id"] + "/output")
