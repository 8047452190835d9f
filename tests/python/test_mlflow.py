"""fs train and fs sync against a real mlflow server (started by the test
command): everything a run carries is read back with MLflow's own client."""
import http.server
import json
import threading
import urllib.error
import urllib.request
import uuid

import mlflow
from mlflow.entities import LoggedModelStatus
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

FEATS = ["conv_rate", "acc_rate", "avg_daily_trips", "trips_per_hour"]


@pytest.fixture()
def dataset(run_fs, tmp_path):
    run_fs("demo", "--data-only", ".")
    run_fs("init")
    reg = json.loads(run_fs("register", "features.yaml", "--json").stdout)
    run_fs("materialize", "--features", ",".join(FEATS), "--entities", "orders.tsv", "--out", "train.parquet",
           "--as-of", "2021-05-01T00:00:00Z")
    return {f["name"]: f["version"] for f in reg["features"]}


def train(run_fs, uri, *args, env=None, check=True):
    import os
    extra = {"MLFLOW_TRACKING_URI": uri, "USER": "tester", **(env or {})}
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        return run_fs("train", "--dataset", "train.parquet", "--target", "trip_completed", "--drop-nulls",
                      "--test-size", "0.2", "--seed", "17", *args, check=check)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def runs_with_tag(client, experiment, key, value):
    e = client.get_experiment_by_name(experiment)
    return client.search_runs([e.experiment_id], filter_string=f"tags.`{key}` = '{value}'")


def test_run_carries_everything(run_fs, tmp_path, dataset, mlflow_uri):
    exp, model_name = f"driver-ranking-{uuid.uuid4().hex[:8]}", f"driver-eta-{uuid.uuid4().hex[:8]}"
    out = json.loads(train(run_fs, mlflow_uri, "--alpha", "0.01", "--l1-ratio", "0.2", "--experiment", exp,
                           "--register-model", model_name, "--max-rmse", "0.9", "--json").stdout)
    run = out["run"]
    assert run["mlflow"]["state"] == "synced"
    client = MlflowClient(mlflow_uri)
    r = client.get_run(run["mlflow"]["run_id"])
    assert r.info.status == "FINISHED"
    assert client.get_experiment(r.info.experiment_id).name == exp
    p = r.data.params
    assert p["alpha"] == "0.01" and p["l1_ratio"] == "0.2" and p["test_size"] == "0.2" and p["seed"] == "17"
    assert p["split"] == "random" and p["max_iter"] == "1000" and p["tol"] == "0.0001" and p["target"] == "trip_completed"
    assert p["features"] == str(FEATS)
    assert p["fs.dataset_id"] == run["dataset"]["id"]
    for name in FEATS:
        assert p[f"fs.feature.{name}"] == dataset[name]
    m = r.data.metrics
    autolog_names = {"mse": "mean_squared_error", "rmse": "root_mean_squared_error", "mae": "mean_absolute_error",
                     "r2": "r2_score"}
    for k, name in autolog_names.items():
        assert m[f"training_{name}"] == pytest.approx(run["training"][k], rel=1e-15)
        assert m[f"testing_{k}"] == pytest.approx(run["testing"][k], rel=1e-15)
    assert m["training_score"] == m["training_r2_score"]
    assert p["positive"] == "False" and p["fit_intercept"] == "True" and p["random_state"] == "None"
    assert m["fit_time"] >= 0 and m["predict_time"] >= 0
    t = r.data.tags
    assert t["mlflow.runName"] == "fs-" + run["id"][:12]
    assert t["mlflow.user"] == "tester"
    assert t["mlflow.source.name"] == "fs train"
    assert t["fs.dataset_id"] == run["dataset"]["id"]
    assert json.loads(t["fs.feature_versions"]) == {n: dataset[n] for n in FEATS}
    assert t["fs.reproduce"].startswith("fs reproduce " + run["id"] + " --store ")
    assert t["fs.gate"] == "passed"
    (inp,) = r.inputs.dataset_inputs
    assert inp.dataset.digest == run["dataset"]["id"][:12]
    assert {tg.key: tg.value for tg in inp.tags}["mlflow.data.context"] == "training"
    assert [c["name"] for c in json.loads(inp.dataset.schema)["mlflow_colspec"]] == FEATS + ["trip_completed"]
    assert json.loads(inp.dataset.profile)["num_rows"] == 800
    assert json.loads(inp.dataset.source)["uri"].endswith("/train.parquet")
    mlflow.set_tracking_uri(mlflow_uri)  # runs:/RUN/model resolves to the logged model through the global tracking URI
    arts = {a.path for a in client.list_artifacts(r.info.run_id, "model")}
    assert {"model/MLmodel", "model/code", "model/data", "model/python_env.yaml", "model/requirements.txt"} <= arts
    (mv,) = client.search_model_versions(f"name = '{model_name}'")
    assert mv.run_id == r.info.run_id
    assert mv.tags[f"fs.feature.conv_rate"] == dataset["conv_rate"] and mv.tags["fs.run_id"] == run["id"]

    # The model in MLflow predicts what fs predict writes.
    run_fs("predict", "--model", run["id"], "--input", "train.parquet", "--out", "pred.parquet")
    pred = pd.read_parquet(tmp_path / "pred.parquet")
    ok = pred["prediction"].notna()
    mlflow.set_tracking_uri(mlflow_uri)
    for uri in [f"runs:/{r.info.run_id}/model", f"models:/{model_name}/{mv.version}"]:
        model = mlflow.pyfunc.load_model(uri)
        got = np.asarray(model.predict(pred.loc[ok, FEATS].astype("float64")))
        np.testing.assert_allclose(got, pred.loc[ok, "prediction"].to_numpy(), rtol=1e-12, atol=1e-12)

    listed = run_fs("runs", "list").stdout
    assert f"synced {r.info.run_id}" in listed

    # MLflow 3: the run's model is a logged model, READY, the run's output, with the estimator's params, fs's tags,
    # the run's metrics linked to it (and to the dataset), loadable as models:/<id> and the registered version's.
    (out_model,) = r.outputs.model_outputs
    lm = client.get_logged_model(out_model.model_id)
    assert lm.model_id == run["mlflow"]["model_id"] and lm.status == LoggedModelStatus.READY and lm.name == "model"
    assert lm.source_run_id == r.info.run_id and lm.tags["fs.run_id"] == run["id"]
    assert lm.tags["fs.feature.conv_rate"] == dataset["conv_rate"] and lm.tags["fs.dataset_id"] == run["dataset"]["id"]
    assert lm.params == {k: p[k] for k in lm.params} and {"alpha", "l1_ratio", "max_iter", "tol"} <= set(lm.params)
    linked = {x.key: x for x in lm.metrics}
    assert set(linked) == set(m) - {"fit_time", "predict_time"}  # the scores; the times are the run's
    assert all(x.model_id == lm.model_id and x.dataset_digest == run["dataset"]["id"][:12] for x in linked.values())
    # The registered version points at the logged model (MLflow lists it on the model's page).
    assert mv.source == f"models:/{lm.model_id}"
    assert json.loads(lm.tags["mlflow.modelVersions"]) == [{"name": model_name, "version": int(mv.version)}]
    model = mlflow.pyfunc.load_model(f"models:/{lm.model_id}")
    got = np.asarray(model.predict(pred.loc[ok, FEATS].astype("float64")))
    np.testing.assert_allclose(got, pred.loc[ok, "prediction"].to_numpy(), rtol=1e-12, atol=1e-12)
    est = mlflow.sklearn.load_model(f"models:/{lm.model_id}")  # the sklearn flavour: a fitted ElasticNet
    np.testing.assert_array_equal(est.predict(pred.loc[ok, FEATS]), pred.loc[ok, "prediction"].to_numpy())


def test_sweep_is_a_parent_with_children(run_fs, dataset, mlflow_uri):
    exp = f"sweep-{uuid.uuid4().hex[:8]}"
    out = json.loads(train(run_fs, mlflow_uri, "--alpha", "0.001,0.1", "--l1-ratio", "0.2,0.8", "--experiment", exp,
                           "--json").stdout)
    client = MlflowClient(mlflow_uri)
    e = client.get_experiment_by_name(exp)
    runs = client.search_runs([e.experiment_id])
    assert len(runs) == 5
    parent = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parent) == 1
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent[0].info.run_id]
    assert len(children) == 4
    assert all(r.info.status == "FINISHED" for r in runs)
    assert parent[0].data.tags["fs.best_run"] == out["run"]["id"]
    best = [c for c in children if c.data.tags["fs.run_id"] == out["run"]["id"]][0]
    assert best.data.metrics["testing_rmse"] == min(c.data.metrics["testing_rmse"] for c in children)
    # Each child run has its logged model; the best one's is tagged with the sweep; the parent has none.
    models = {m.source_run_id: m for m in client.search_logged_models(experiment_ids=[e.experiment_id])}
    assert set(models) == {c.info.run_id for c in children}
    tagged = [m for m in models.values() if "fs.best_in_sweep" in m.tags]
    assert [m.source_run_id for m in tagged] == [best.info.run_id]
    assert tagged[0].tags["fs.best_in_sweep"] == parent[0].data.tags["fs.run_id"]
    # Their times: each child's own fit, inside the parent's.
    assert parent[0].info.start_time <= min(c.info.start_time for c in children)
    assert parent[0].info.end_time >= max(c.info.end_time for c in children)


def test_failed_gate_is_logged_and_not_registered(run_fs, dataset, mlflow_uri):
    name = f"never-{uuid.uuid4().hex[:8]}"
    proc = train(run_fs, mlflow_uri, "--max-rmse", "0.01", "--register-model", name, "--json", check=False)
    assert proc.returncode == 3
    assert "the model was not registered" in proc.stderr
    run = json.loads(proc.stdout)["run"]
    client = MlflowClient(mlflow_uri)
    r = client.get_run(run["mlflow"]["run_id"])
    assert r.data.tags["fs.gate"].startswith("failed: rmse")
    assert client.search_model_versions(f"name = '{name}'") == []


FAST = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0.05",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


def closed_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_server_then_sync(run_fs, dataset, mlflow_uri):
    exp = f"offline-{uuid.uuid4().hex[:8]}"
    proc = train(run_fs, f"http://127.0.0.1:{closed_port()}", "--experiment", exp, "--json", env=FAST)
    assert proc.returncode == 0
    assert "is unreachable" in proc.stderr and "fs: hint: run fs sync" in proc.stderr
    # Never silent while it waits: it says where it logs and each retry.
    assert "fs: logging the run to MLflow at http://127.0.0.1:" in proc.stderr
    assert "trying again in" in proc.stderr and "(try 2 of 2)" in proc.stderr, proc.stderr
    run = json.loads(proc.stdout)["run"]
    assert run["mlflow"]["state"] == "pending" and not run["mlflow"].get("run_id")
    synced = json.loads(sync(run_fs, mlflow_uri))
    assert [r["mlflow"]["state"] for r in synced] == ["synced"]
    client = MlflowClient(mlflow_uri)
    (r,) = runs_with_tag(client, exp, "fs.run_id", run["id"])
    assert r.info.status == "FINISHED" and r.data.params["alpha"] == "1.0"
    # The run's own times, not the push's: MLflow's start and end are the fit's start and the evaluation's end
    # the store recorded, to the millisecond, and so are the metrics' times.
    started, ended = (int(pd.Timestamp(run[k]).value // 10**6) for k in ("started", "ended"))
    assert (r.info.start_time, r.info.end_time) == (started, ended), (r.info.start_time, r.info.end_time, run)
    assert ended - started < 10_000
    assert {m.timestamp for m in client.get_metric_history(r.info.run_id, "training_mean_squared_error")} == {ended}
    # Nothing left: a second sync does nothing and creates nothing.
    assert json.loads(sync(run_fs, mlflow_uri)) == []
    assert len(runs_with_tag(client, exp, "fs.run_id", run["id"])) == 1


def sync(run_fs, uri):
    import os
    old = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    try:
        return run_fs("sync", "--json").stdout
    finally:
        if old is None:
            os.environ.pop("MLFLOW_TRACKING_URI")
        else:
            os.environ["MLFLOW_TRACKING_URI"] = old


def ask_upstream(handler):
    """Sends the handler's request to the real server: (status, body)."""
    body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)) if handler.command != "GET" else None
    req = urllib.request.Request(handler.server.upstream + handler.path, data=body, method=handler.command,
                                 headers={"Content-Type": handler.headers.get("Content-Type", "application/json")})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def answer(handler, status, data):
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class DyingProxy(http.server.ThreadingHTTPServer):
    """Forwards to the real server until the run is created, then stops, as
    a server that goes away in the middle of a run."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.created = threading.Event()
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def forward(self):
        if self.server.created.is_set():
            self.close_connection = True
            return  # dropped: the server is gone
        status, data = ask_upstream(self)
        answer(self, status, data)
        if self.path.startswith("/api/2.0/mlflow/runs/create"):
            self.server.created.set()

            def stop(server=self.server):
                server.shutdown()
                server.server_close()  # later connections are refused
            threading.Thread(target=stop).start()

    do_GET = do_POST = do_PUT = do_PATCH = forward


def test_server_stops_mid_run_then_sync_finishes_it_once(run_fs, dataset, mlflow_uri):
    proxy = DyingProxy(mlflow_uri)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    proxy_uri = f"http://127.0.0.1:{proxy.server_address[1]}"
    exp = f"dying-{uuid.uuid4().hex[:8]}"
    proc = train(run_fs, proxy_uri, "--experiment", exp, "--json", env=FAST)
    assert proxy.created.is_set()
    assert "is unreachable" in proc.stderr
    run = json.loads(proc.stdout)["run"]
    mid = run["mlflow"]["run_id"]
    assert run["mlflow"]["state"] == "pending" and mid, "the MLflow run was created before the server went away"
    client = MlflowClient(mlflow_uri)
    assert client.get_run(mid).info.status == "RUNNING"
    synced = json.loads(sync(run_fs, mlflow_uri))
    assert synced[0]["mlflow"]["run_id"] == mid
    (r,) = runs_with_tag(client, exp, "fs.run_id", run["id"])
    assert r.info.run_id == mid and r.info.status == "FINISHED"
    assert r.data.params["features"] == str(FEATS) and "testing_rmse" in r.data.metrics
    mlflow.set_tracking_uri(mlflow_uri)  # runs:/RUN/model resolves to the logged model through the global tracking URI
    assert {a.path for a in client.list_artifacts(mid, "model")} >= {"model/MLmodel"}


class FailingUploadProxy(http.server.ThreadingHTTPServer):
    """Forwards everything but the uploads of a logged model's files, which fail with 500."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.failed = threading.Event()
        super().__init__(("127.0.0.1", 0), FailingUploadHandler)


class FailingUploadHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def forward(self):
        if self.command == "PUT" and "/models/m-" in self.path:
            self.server.failed.set()
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer(self, 500, b'{"error_code": "INTERNAL_ERROR", "message": "disk full"}')
            return
        status, data = ask_upstream(self)
        answer(self, status, data)

    do_GET = do_POST = do_PUT = do_PATCH = forward


def test_failed_model_upload_is_finished_by_sync(run_fs, dataset, mlflow_uri):
    """A logged model whose upload fails is left FAILED and the run pending; fs sync uploads it again and makes
    that same model READY: one model, no second."""
    proxy = FailingUploadProxy(mlflow_uri)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    exp = f"upload-{uuid.uuid4().hex[:8]}"
    proc = train(run_fs, f"http://127.0.0.1:{proxy.server_address[1]}", "--experiment", exp, "--json", env=FAST)
    proxy.shutdown()
    assert proxy.failed.is_set()
    run = json.loads(proc.stdout)["run"]
    assert run["mlflow"]["state"] == "pending" and "uploading the logged model" in proc.stderr, proc.stderr
    client = MlflowClient(mlflow_uri)
    model_id = run["mlflow"]["model_id"]
    assert client.get_logged_model(model_id).status == LoggedModelStatus.FAILED
    synced = json.loads(sync(run_fs, mlflow_uri))
    assert [r["mlflow"]["state"] for r in synced] == ["synced"] and synced[0]["mlflow"]["model_id"] == model_id
    exp_id = client.get_experiment_by_name(exp).experiment_id
    (m,) = client.search_logged_models(experiment_ids=[exp_id])
    assert m.model_id == model_id and m.status == LoggedModelStatus.READY
    mlflow.set_tracking_uri(mlflow_uri)
    assert mlflow.pyfunc.load_model(f"models:/{model_id}") is not None


class LosingProxy(http.server.ThreadingHTTPServer):
    """Forwards everything, but loses the answer to the first runs/create:
    the server creates the run, fs never hears of it (as when fs is killed
    between MLflow's answer and recording it)."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.lost = threading.Event()
        super().__init__(("127.0.0.1", 0), LosingHandler)


class LosingHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def forward(self):
        status, data = ask_upstream(self)
        if self.path.startswith("/api/2.0/mlflow/runs/create") and not self.server.lost.is_set():
            self.server.lost.set()
            self.close_connection = True
            return  # the run exists upstream; its answer is lost
        answer(self, status, data)

    do_GET = do_POST = do_PUT = do_PATCH = forward


def test_lost_create_answer_makes_no_second_run(run_fs, dataset, mlflow_uri):
    proxy = LosingProxy(mlflow_uri)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    exp = f"lost-{uuid.uuid4().hex[:8]}"
    proc = train(run_fs, f"http://127.0.0.1:{proxy.server_address[1]}", "--experiment", exp, "--json", env=FAST)
    proxy.shutdown()
    assert proxy.lost.is_set()
    assert "creating the run" in proc.stderr, proc.stderr
    run = json.loads(proc.stdout)["run"]
    assert run["mlflow"]["state"] == "synced"
    client = MlflowClient(mlflow_uri)
    (r,) = runs_with_tag(client, exp, "fs.run_id", run["id"])
    assert r.info.run_id == run["mlflow"]["run_id"] and r.info.status == "FINISHED"


def silent_server():
    """A server that accepts connections and never answers."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


def test_silent_server_neither_holds_the_store_nor_hangs(fs_bin, tmp_path, run_fs, dataset):
    import os
    import signal
    import subprocess
    import time
    srv = silent_server()
    env = {**os.environ, "FS_STORE": str(tmp_path / ".fs"), "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{srv.getsockname()[1]}",
           "FS_MLFLOW_DEADLINE": "4"}
    args = [fs_bin, "train", "--dataset", "train.parquet", "--target", "trip_completed", "--drop-nulls", "--json"]
    start = time.monotonic()
    train_proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    other = run_fs("runs", "list", "--json")  # the store is free while fs train waits for MLflow
    assert [r["mlflow"]["state"] for r in json.loads(other.stdout)] == ["pending"]
    out, err = train_proc.communicate(timeout=60)
    took = time.monotonic() - start
    assert train_proc.returncode == 0, err
    assert took < 15, f"fs train took {took:.1f} s with a 4 s MLflow deadline"
    assert "logging the run to MLflow" in err and "did not finish within 4s" in err, err
    assert json.loads(out)["run"]["mlflow"]["state"] == "pending"
    # Interrupted while waiting: the message says what was kept, and it is.
    t2 = subprocess.Popen(args + ["--alpha", "0.5"], cwd=tmp_path, env={**env, "FS_MLFLOW_DEADLINE": "30"},
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)
    t2.send_signal(signal.SIGTERM)
    _, err2 = t2.communicate(timeout=30)
    assert t2.returncode == 130, err2
    assert "nothing was changed" not in err2 and "the runs are recorded and stay pending" in err2, err2
    runs = json.loads(run_fs("runs", "list", "--json").stdout)
    assert sorted(r["params"]["alpha"] for r in runs) == [0.5, 1.0]
    srv.close()


INT_FEATURES = """entities:
  - name: driver
    join_keys: [driver_id]
sources:
  - name: driver_stats
    path: driver_stats.parquet
    entity: driver
    timestamp_field: datetime
    created_timestamp_field: created
features:
  - name: trips
    source: driver_stats
    expr: avg_daily_trips ?? 0
  - name: conv
    source: driver_stats
    expr: conv_rate
"""


def test_model_predicts_on_its_own_training_file(run_fs, tmp_path, mlflow_uri):
    """The signature is typed from the dataset's real columns (an int64
    feature is long), so MLflow's schema enforcement accepts the file the
    model was trained on."""
    run_fs("demo", "--data-only", ".")
    run_fs("init")
    (tmp_path / "ints.yaml").write_text(INT_FEATURES)
    run_fs("register", "ints.yaml")
    run_fs("materialize", "--features", "trips,conv", "--entities", "orders.tsv", "--out", "train.parquet",
           "--as-of", "2021-05-01T00:00:00Z")
    df = pd.read_parquet(tmp_path / "train.parquet")
    assert str(df["trips"].dtype) == "int64"
    exp = f"typed-{uuid.uuid4().hex[:8]}"
    run = json.loads(train(run_fs, mlflow_uri, "--experiment", exp, "--json").stdout)["run"]
    mlflow.set_tracking_uri(mlflow_uri)
    model = mlflow.pyfunc.load_model(f"runs:/{run['mlflow']['run_id']}/model")
    types = {c.name: c.type.name for c in model.metadata.get_input_schema().inputs}
    assert types == {"trips": "long", "conv": "double"}
    got = model.predict(df)
    run_fs("predict", "--model", run["id"], "--input", "train.parquet", "--out", "pred.parquet")
    want = pd.read_parquet(tmp_path / "pred.parquet")["prediction"].to_numpy()
    ok = ~np.isnan(want)
    np.testing.assert_allclose(np.asarray(got)[ok], want[ok], rtol=1e-12)


class RefusingProxy(http.server.ThreadingHTTPServer):
    """Forwards everything but refuses artifact uploads (403), as a server
    whose artifact store is not served to fs."""

    def __init__(self, upstream):
        self.upstream = upstream
        super().__init__(("127.0.0.1", 0), RefusingHandler)


class RefusingHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def forward(self):
        if self.command == "PUT" and "/mlflow-artifacts/" in self.path:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer(self, 403, b'{"error_code": "PERMISSION_DENIED", "message": "artifact uploads are not allowed"}')
            return
        status, data = ask_upstream(self)
        answer(self, status, data)

    do_GET = do_POST = do_PUT = do_PATCH = forward


def test_refused_run_prints_results_then_resumes_or_is_abandoned(run_fs, dataset, mlflow_uri):
    proxy = RefusingProxy(mlflow_uri)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    refusing = f"http://127.0.0.1:{proxy.server_address[1]}"
    exp = f"refused-{uuid.uuid4().hex[:8]}"
    client = MlflowClient(mlflow_uri)
    # Refused: the results are printed all the same, the cause and the way out named.
    proc = train(run_fs, refusing, "--experiment", exp, "--json", check=False)
    assert proc.returncode == 1, proc.stderr
    run = json.loads(proc.stdout)["run"]
    assert run["testing"]["rmse"] > 0
    assert "uploading the model to the run's artifact store" in proc.stderr and "artifact uploads are not allowed" in proc.stderr
    assert "fs sync --abandon RUN" in proc.stderr
    mid = run["mlflow"]["run_id"]
    assert client.get_run(mid).info.status == "RUNNING"
    # Once the server is fixed, fs sync finishes that same MLflow run.
    synced = json.loads(sync(run_fs, mlflow_uri))
    assert [r["mlflow"]["state"] for r in synced] == ["synced"] and synced[0]["mlflow"]["run_id"] == mid
    assert client.get_run(mid).info.status == "FINISHED"
    # A run the user gives up on is marked FAILED and left alone afterwards.
    proc = train(run_fs, refusing, "--experiment", exp, "--alpha", "0.5", "--json", check=False)
    run2 = json.loads(proc.stdout)["run"]
    import os
    os.environ["MLFLOW_TRACKING_URI"] = mlflow_uri
    try:
        out = json.loads(run_fs("sync", "--abandon", run2["id"][:12], "--json").stdout)
    finally:
        os.environ.pop("MLFLOW_TRACKING_URI")
    assert [r["mlflow"]["state"] for r in out] == ["abandoned"]
    assert client.get_run(run2["mlflow"]["run_id"]).info.status == "FAILED"
    assert json.loads(sync(run_fs, mlflow_uri)) == []
    proxy.shutdown()


def test_fs_run_speaks_autologs_vocabulary(run_fs, tmp_path, dataset, mlflow_uri):
    """An fs run carries every metric and parameter mlflow.sklearn.autolog()
    writes for the same ElasticNet fit on the same split, with the same
    values, and its model hands back a fitted scikit-learn ElasticNet."""
    from sklearn.linear_model import ElasticNet
    from sklearn.model_selection import train_test_split
    exp = f"vocab-{uuid.uuid4().hex[:8]}"
    run = json.loads(train(run_fs, mlflow_uri, "--alpha", "0.01", "--l1-ratio", "0.2", "--experiment", exp,
                           "--json").stdout)["run"]
    df = pd.read_parquet(tmp_path / "train.parquet").dropna(subset=FEATS + ["trip_completed"])
    X_tr, X_te, y_tr, y_te = train_test_split(df[FEATS], df["trip_completed"], test_size=0.2, random_state=17)
    mlflow.set_tracking_uri(mlflow_uri)
    mlflow.set_experiment(exp)
    mlflow.sklearn.autolog(log_datasets=False, silent=True)
    try:
        with mlflow.start_run() as nb:
            ElasticNet(alpha=0.01, l1_ratio=0.2).fit(X_tr, y_tr)
    finally:
        mlflow.sklearn.autolog(disable=True)
    client = MlflowClient(mlflow_uri)
    # The logged models: the same param keys and values, the same linked training metric keys and values.
    (auto_m,) = client.search_logged_models(experiment_ids=[client.get_experiment_by_name(exp).experiment_id],
                                            filter_string=f"source_run_id = '{nb.info.run_id}'")
    ours_m = client.get_logged_model(run["mlflow"]["model_id"])
    assert ours_m.params == auto_m.params
    auto_linked = {x.key: x.value for x in auto_m.metrics}
    ours_linked = {x.key: x.value for x in ours_m.metrics if x.key.startswith("training_")}
    assert set(ours_linked) == set(auto_linked)
    for k, v in auto_linked.items():
        assert ours_linked[k] == pytest.approx(v, rel=1e-12), k
    auto, ours = client.get_run(nb.info.run_id).data, client.get_run(run["mlflow"]["run_id"]).data
    assert auto.metrics and auto.params
    for k, v in auto.metrics.items():
        assert k in ours.metrics, k
        assert ours.metrics[k] == pytest.approx(v, rel=1e-12), k
    for k, v in auto.params.items():
        assert ours.params.get(k) == v, (k, ours.params.get(k), v)
    for k in ["testing_rmse", "testing_r2", "testing_mae", "testing_mse"]:
        assert k in ours.metrics, k

    # The model as a scikit-learn estimator: the same numbers as fs predict.
    est = mlflow.pyfunc.load_model(f"runs:/{run['mlflow']['run_id']}/model").get_raw_model()
    assert list(est.feature_names_in_) == FEATS and est.n_iter_ == run["model"]["n_iter"]
    run_fs("predict", "--model", run["id"], "--input", "train.parquet", "--out", "pred.parquet")
    pred = pd.read_parquet(tmp_path / "pred.parquet").dropna(subset=["prediction"])
    got = est.predict(pred[FEATS])
    np.testing.assert_array_equal(got, pred["prediction"].to_numpy())  # to the last bit
    assert isinstance(est, ElasticNet)
    np.testing.assert_array_equal(mlflow.pyfunc.load_model(f"runs:/{run['mlflow']['run_id']}/model").predict(pred),
                                  pred["prediction"].to_numpy())


def test_classifier_run_in_mlflow(run_fs, tmp_path, dataset, mlflow_uri):
    """A classifier's run: autologging's metric names with the values fs
    computed, its parameters, the confusion matrix as JSON and SVG, and a
    model that predicts labels and, asked, probabilities."""
    exp = f"driver-classes-{uuid.uuid4().hex[:8]}"
    out = json.loads(train(run_fs, mlflow_uri, "--task", "classification", "--c", "0.5", "--l1-ratio", "0.3", "--stratify",
                           "--experiment", exp, "--min-accuracy", "0.1", "--json").stdout)
    run = out["run"]
    assert run["mlflow"]["state"] == "synced"
    client = MlflowClient(mlflow_uri)
    r = client.get_run(run["mlflow"]["run_id"])
    m = r.data.metrics
    for prefix, mine in [("training_", run["training"]), ("testing_", run["testing"])]:
        assert m[prefix + "accuracy_score"] == mine["accuracy"]
        assert m[prefix + "f1_score"] == mine["weighted"]["f1"]
        assert m[prefix + "precision_score"] == mine["weighted"]["precision"]
        assert m[prefix + "recall_score"] == mine["weighted"]["recall"]
        assert m[prefix + "log_loss"] == mine["log_loss"]
        assert m[prefix + "roc_auc"] == mine["roc_auc"]
        assert m[prefix + "f1_binary"] == mine["binary"]["f1"]
    assert "training_mean_squared_error" not in m and "testing_rmse" not in m
    p = r.data.params
    assert (p["C"], p["l1_ratio"], p["solver"], p["max_iter"], p["random_state"], p["stratify"]) == \
        ("0.5", "0.3", "saga", "100", "17", "True")
    assert r.data.tags["fs.gate"] == "passed"
    files = {a.path for a in client.list_artifacts(r.info.run_id)}
    assert {"confusion_matrix.json", "confusion_matrix.svg", "model"} <= files
    cm = json.loads(open(client.download_artifacts(r.info.run_id, "confusion_matrix.json", str(tmp_path))).read())
    assert cm["classes"] == run["model"]["classes"] and cm["matrix"] == run["testing"]["confusion_matrix"]
    svg = open(client.download_artifacts(r.info.run_id, "confusion_matrix.svg", str(tmp_path))).read()
    assert svg.startswith("<svg") and "predicted" in svg
    mlflow.set_tracking_uri(mlflow_uri)
    model = mlflow.pyfunc.load_model(f"runs:/{r.info.run_id}/model")
    df = pd.read_parquet(tmp_path / "train.parquet").dropna(subset=FEATS[:3] + ["trips_per_hour"])
    labels = model.predict(df[FEATS])
    assert set(labels) <= {0, 1} and len(labels) == len(df)
    proba = model.predict(df[FEATS], params={"predict_method": "predict_proba"})
    assert list(proba.columns) == ["proba_0", "proba_1"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert ((proba["proba_1"] > 0.5).astype(int).to_numpy() == np.asarray(labels)).all()
    assert model.metadata.get_output_schema().to_dict() == [{"type": "long", "required": True}]


@pytest.fixture(scope="session")
def mlflow2_uri():
    """A real MLflow 2 server (no logged models) the test command started."""
    import os
    uri = os.environ.get("FS_MLFLOW2_URI")
    if not uri:
        if os.environ.get("CI"):
            pytest.fail("FS_MLFLOW2_URI is not set in CI: the test command must start the MLflow 2 server")
        pytest.skip("FS_MLFLOW2_URI is not set: run the tests with scripts/test.sh, which starts an MLflow 2 server")
    return uri


def test_mlflow2_keeps_the_run_artifact(run_fs, tmp_path, dataset, mlflow2_uri):
    """A server before MLflow 3 has no logged models: fs says so once and logs the model as the run's artifact, as
    before; the run is synced and its model loads."""
    exp = f"mlflow2-{uuid.uuid4().hex[:8]}"
    proc = train(run_fs, mlflow2_uri, "--alpha", "0.01", "--experiment", exp, "--json")
    run = json.loads(proc.stdout)["run"]
    assert run["mlflow"]["state"] == "synced" and run["mlflow"].get("no_logged_model") is True, proc.stderr
    assert proc.stderr.count("has no logged models (before MLflow 3)") == 1, proc.stderr
    got = urllib.request.urlopen(f"{mlflow2_uri}/api/2.0/mlflow/runs/get?run_id={run['mlflow']['run_id']}").read()
    info = json.loads(got)["run"]
    assert info["info"]["status"] == "FINISHED" and {p["key"] for p in info["data"]["params"]} >= {"alpha", "l1_ratio"}
    arts = json.loads(urllib.request.urlopen(
        f"{mlflow2_uri}/api/2.0/mlflow/artifacts/list?run_id={run['mlflow']['run_id']}&path=model").read())
    assert {"model/MLmodel", "model/data"} <= {f["path"] for f in arts["files"]}
