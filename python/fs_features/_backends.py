"""The two ways to reach a store: the fs binary (a store directory) and the
HTTP API (an fs server). Both return the JSON the command line prints with
--json, and raise the same exceptions."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
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
        if proc.returncode != 0 and want_json and not proc.stdout.strip():
            raise self._error(proc)  # an exit code in ok, but an error, not a result
        out: Any = proc.stdout
        if want_json and proc.stdout.strip():
            out = json.loads(proc.stdout)
        return proc.returncode, out

    def notices(self) -> list[str]:
        """The last run's warnings and notes, without the "fs: " of each line."""
        return [line[len("fs: "):] for line in self.stderr.splitlines()
                if line.startswith("fs: ") and not line.startswith(("fs: error:", "fs: hint:"))]

    @staticmethod
    def _error(proc: subprocess.CompletedProcess) -> _errors.FsError:
        for line in reversed(proc.stderr.strip().splitlines()):
            if line.startswith('{"error"'):
                return _errors.from_body(json.loads(line)["error"], proc.returncode)
        return _errors.FsError(proc.stderr.strip() or f"fs exited with {proc.returncode}")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """fs servers never redirect: a redirect would carry the bearer token to
    whatever host it names (urllib copies headers), so it is refused."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise _errors.FsError(f"the fs server answered {code} with a redirect to {newurl}; fs follows none",
                              code="internal", hint="check the server URL (fs serves its API at /api/v1 itself)")


class Remote:
    """Speaks the HTTP API of an fs server.

    What it takes from a server is bounded, so that a server that hangs,
    trickles or streams for ever cannot hold or fill the client: no bytes for
    ``idle`` seconds, a JSON answer not whole after ``total`` seconds or
    larger than ``max_json`` bytes, a job's output without its length or
    longer than it: each is an ``FsError``."""

    idle, total, max_json = 60.0, 300.0, 256 << 20

    def __init__(self, url: str, token: Optional[str]):
        self.url = url.rstrip("/")
        self.token = token if token is not None else os.environ.get("FS_TOKEN")
        self._opener = urllib.request.build_opener(_NoRedirects)

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

    def raw(self, method: str, path: str, query: Optional[dict] = None, body: Any = None, output: bool = False) -> bytes:
        """The body of a 2xx answer (a JSON answer, or with ``output`` a job's
        file); any other answer raises the error it carries."""
        try:
            with self._opener.open(self._request(method, path, query, body), timeout=self.idle) as resp:
                data = self._read(resp, method, path, output)
                _errors.warn(resp.headers.get_all("Fs-Notice") or [])
                return data
        except urllib.error.HTTPError as e:
            try:
                raise _errors.from_body(json.loads(e.read(1 << 20))["error"]) from None
            except (ValueError, KeyError, TypeError):
                raise _errors.FsError(f"the fs server at {self.url} answered {e.code} to {method} {path}") from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, _errors.FsError):
                raise e.reason from None
            raise _errors.NoStore(f"cannot reach the fs server at {self.url}: {e.reason}", code="no_store",
                                  hint="start it with fs serve, or check the URL") from None
        except (TimeoutError, OSError) as e:
            raise _errors.FsError(f"the fs server at {self.url} sent nothing for {self.idle:g} s ({e})", code="internal",
                                  hint="check the server's log; retry when it answers again") from None

    def _read(self, resp: Any, method: str, path: str, output: bool) -> bytes:
        length = resp.headers.get("Content-Length")
        if output:
            if length is None:
                raise _errors.FsError(f"the fs server at {self.url} sent a job's output without its length", code="internal")
            data = resp.read(int(length) + 1)
            if len(data) != int(length):
                raise _errors.FsError(f"the fs server at {self.url} sent {len(data)} bytes where it announced {length}", code="internal")
            return data
        start, chunks, size = time.monotonic(), [], 0
        while True:
            chunk = resp.read1(1 << 16)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            chunks.append(chunk)
            if size > self.max_json:
                raise _errors.FsError(f"the fs server at {self.url} sent more than {self.max_json >> 20} MiB for {method} {path}",
                                      code="internal", hint="is it an fs server? no answer of fs is that large")
            if time.monotonic() - start > self.total:
                raise _errors.FsError(f"the fs server at {self.url} did not finish its answer to {method} {path} within {self.total:g} s",
                                      code="internal", hint="check the server's log; retry when it answers again")

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
        return self.raw("GET", "/jobs/" + job["id"] + "/output", output=True)


def segment(s: str) -> str:
    """A path segment of the API, escaped: a name can hold no ? or /."""
    return urllib.parse.quote(s, safe="")
