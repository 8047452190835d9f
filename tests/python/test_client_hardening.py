"""The Python client against hostile servers and bad arguments (issue 27, items 7,
9, 16; issue 28, items 1 and 5): no token follows a redirect, no answer is read
for ever, every bad argument is an FsError that both kinds of store raise alike,
warnings are Python warnings, hints name Python arguments, as_of takes the same
forms both ways."""
import datetime
import http.server
import pathlib
import subprocess
import threading
import time
import warnings

import pandas as pd
import pytest

import fs_features as fs
from fs_features import _backends

AS_OF = "2021-05-01T00:00:00Z"


class _Server:
    """A loopback HTTP server whose every answer handler decides (the client's tests
    need answers no fs server gives)."""

    def __init__(self, handler):
        class H(http.server.BaseHTTPRequestHandler):
            seen = []

            def do_GET(self):
                H.seen.append(dict(self.headers))
                handler(self)

            do_POST = do_GET

            def log_message(self, *a):
                pass
        self.seen = H.seen
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def test_no_token_follows_a_redirect():
    elsewhere = _Server(lambda h: (h.send_response(200), h.end_headers(), h.wfile.write(b"[]")))

    def redirect(h):
        h.send_response(302)
        h.send_header("Location", elsewhere.url + "/api/v1/features")
        h.end_headers()
    first = _Server(redirect)
    try:
        with pytest.raises(fs.FsError) as e:
            fs.Store(first.url, token="secret-token-0123456789").features()
        assert "redirect" in e.value.message
        assert not elsewhere.seen, f"the other host was contacted: {elsewhere.seen}"
    finally:
        first.close()
        elsewhere.close()


@pytest.mark.parametrize("kind", ["streams for ever", "trickles", "stops in the middle"])
def test_answers_are_bounded(kind, monkeypatch):
    monkeypatch.setattr(_backends.Remote, "idle", 0.5)
    monkeypatch.setattr(_backends.Remote, "total", 2.0)
    monkeypatch.setattr(_backends.Remote, "max_json", 1 << 20)

    def handler(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.end_headers()
        try:
            if kind == "streams for ever":
                while True:
                    h.wfile.write(b'{"name": "x"},' * 1000)
            elif kind == "trickles":
                for _ in range(1000):
                    h.wfile.write(b" ")
                    h.wfile.flush()
                    time.sleep(0.05)
            else:
                h.wfile.write(b'[{"name": ')
                h.wfile.flush()
                time.sleep(5)
        except OSError:
            pass
    srv = _Server(handler)
    try:
        start = time.monotonic()
        with pytest.raises(fs.FsError) as e:
            fs.Store(srv.url).features()
        assert time.monotonic() - start < 10
        want = {"streams for ever": "more than", "trickles": "did not finish", "stops in the middle": "sent nothing"}[kind]
        assert want in e.value.message, e.value.message
    finally:
        srv.close()


@pytest.fixture()
def both(fs_bin, tmp_path, fs_serve, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FS_BIN", fs_bin)
    subprocess.run([fs_bin, "demo", "--data-only", "."], check=True, capture_output=True)
    local = fs.Store.init("local")
    fs.Store.init("team")
    remote = fs.Store(fs_serve(tmp_path, "team", "--data-root", str(tmp_path)))
    for s in (local, remote):
        s.register("features.yaml")
    return local, remote


BAD_CALLS = [
    ("task", lambda s, t: s.train(t, "trip_completed", task="bogus")),
    ("alpha nan", lambda s, t: s.train(t, "trip_completed", alpha=float("nan"))),
    ("alpha text", lambda s, t: s.train(t, "trip_completed", alpha="much")),
    ("l1_ratio", lambda s, t: s.train(t, "trip_completed", l1_ratio=2)),
    ("c with regression", lambda s, t: s.train(t, "trip_completed", c=1)),
    ("alpha with classification", lambda s, t: s.train(t, "trip_completed", task="classification", alpha=0.1)),
    ("seed", lambda s, t: s.train(t, "trip_completed", seed=-1)),
    ("max_iter", lambda s, t: s.train(t, "trip_completed", max_iter=0)),
    ("test_size", lambda s, t: s.train(t, "trip_completed", test_size=1.5)),
    ("tol", lambda s, t: s.train(t, "trip_completed", tol=float("inf"))),
    ("gate", lambda s, t: s.train(t, "trip_completed", max_rmse=float("nan"))),
    ("split", lambda s, t: s.train(t, "trip_completed", split="sideways")),
    ("target", lambda s, t: s.train(t, "")),
    ("drop_nulls", lambda s, t: s.train(t, "trip_completed", drop_nulls="yes")),
    ("features as a string", lambda s, t: s.training_set("conv_rate", entities="orders.tsv")),
    ("both features and set", lambda s, t: s.training_set(["conv_rate"], feature_set="driver_ranking", entities="orders.tsv")),
    ("no features", lambda s, t: s.training_set(entities="orders.tsv")),
    ("as_of", lambda s, t: s.training_set(["conv_rate"], entities="orders.tsv", as_of="not a time")),
    ("engine", lambda s, t: s.training_set(["conv_rate"], entities="orders.tsv", engine="gpu")),
    ("memory_limit", lambda s, t: s.training_set(["conv_rate"], entities="orders.tsv", memory_limit="lots")),
    ("entities", lambda s, t: s.training_set(["conv_rate"], entities=42)),
    ("feature name", lambda s, t: s.feature("")),
    ("feature query", lambda s, t: s.feature("conv_rate?x=1")),
    ("feature slash", lambda s, t: s.feature("../runs")),
    ("run id", lambda s, t: s.run(None)),
    ("lineage direction", lambda s, t: s.lineage("conv_rate", direction="sideways")),
    ("lineage depth", lambda s, t: s.lineage("conv_rate", depth=-1)),
    ("register path", lambda s, t: s.register(3)),
    ("reproduce", lambda s, t: s.reproduce("")),
    ("profile", lambda s, t: s.profile(None)),
]


def test_bad_arguments_are_the_same_errors_both_ways(both):
    got = {}
    for store in both:
        train = store.training_set(["conv_rate", "acc_rate"], entities="orders.tsv", as_of=AS_OF)
        for name, call in BAD_CALLS:
            try:
                call(store, train)
            except fs.FsError as e:
                got.setdefault(name, []).append((type(e).__name__, e.code, e.message))
            except Exception as e:  # noqa: BLE001 - the point: nothing but FsError
                pytest.fail(f"{name}: {type(e).__name__}: {e}")
            else:
                pytest.fail(f"{name}: accepted")
    for name, (local, remote) in got.items():
        assert local == remote, f"{name}: local {local}, remote {remote}"
    assert got["feature query"][0][1] == "not_found" and got["task"][0][0] == "UsageError"


def test_as_of_takes_the_same_forms_both_ways(both):
    ids = set()
    for store in both:
        for as_of in ("2021-05-01", "2021-05-01 00:00:00", AS_OF, datetime.datetime(2021, 5, 1),
                      pd.Timestamp("2021-05-01", tz="UTC")):
            train = store.training_set(["conv_rate"], entities="orders.tsv", as_of=as_of)
            ids.add(train.attrs["fs"]["dataset_id"])
    assert len(ids) == 1, ids


def test_warnings_and_hints_speak_python(both):
    for store in both:
        train = store.training_set(["conv_rate", "acc_rate"], entities="orders.tsv", as_of=AS_OF)
        with pytest.raises(fs.FsError) as e:
            store.train(train, "trip_completed")
        assert "drop_nulls=True" in e.value.hint and "--" not in e.value.hint, e.value.hint
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            store.train(train, "trip_completed", drop_nulls=True, alpha=1e-6, max_iter=1, tol=1e-12)
        msgs = [str(w.message) for w in caught if issubclass(w.category, fs.FsWarning)]
        assert any("did not converge" in m and "max_iter=" in m for m in msgs), msgs


def test_a_dataframes_entities_are_kept_in_the_store(both):
    orders = pd.read_csv("orders.tsv", sep="\t")
    for store, kept in zip(both, ("local", "team")):
        train = store.training_set(["conv_rate"], entities=orders, as_of=AS_OF)
        assert not list(pathlib.Path(".").glob(".fs-entities/**/*.parquet")), "a temporary entity file was left"
        assert list(pathlib.Path(kept, "entities").glob("*.parquet")), "the store keeps no copy"
        run = store.train(train, "trip_completed", drop_nulls=True)
        assert store.reproduce(run)["identical"]
