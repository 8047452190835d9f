"""A team's store: fs serve (a real server process) with the CLI as its
client. The same commands give the same datasets (byte for byte), the same
models and the same JSON as on a local store, and the server logs runs to
the team's MLflow (a real mlflow server)."""
import json
import os
import re
import signal
import subprocess
import time
import uuid

import pandas as pd
import pytest
from mlflow import MlflowClient

FEATS = "conv_rate,acc_rate,avg_daily_trips,trips_per_hour"
AS_OF = "2021-05-01T00:00:00Z"


@pytest.fixture()
def server(fs_bin, tmp_path, mlflow_uri):
    """fs serve on a free loopback port over ./team, the demo data its data root."""
    subprocess.run([fs_bin, "demo", "--data-only", "."], cwd=tmp_path, check=True, capture_output=True)
    subprocess.run([fs_bin, "init", "--store", "team"], cwd=tmp_path, check=True, capture_output=True)
    exp = f"team-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_uri, "MLFLOW_EXPERIMENT_NAME": exp}
    proc = subprocess.Popen([fs_bin, "serve", "--store", "team", "--addr", "127.0.0.1:0", "--data-root", "."],
                            cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    url = re.search(r"at (http://127\.0\.0\.1:\d+) ", line).group(1)
    yield {"url": url, "proc": proc, "experiment": exp}
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def fs(fs_bin, cwd, store, *args, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    proc = subprocess.run([fs_bin, *args], cwd=cwd, capture_output=True, text=True, env={**env, "FS_STORE": store})
    if check and proc.returncode != 0:
        raise AssertionError(f"fs {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def workflow(fs_bin, cwd, store, out):
    """register, materialize, train: the JSON each prints."""
    reg = json.loads(fs(fs_bin, cwd, store, "register", "features.yaml", "--json").stdout)
    ds = json.loads(fs(fs_bin, cwd, store, "materialize", "--features", FEATS, "--entities", "orders.tsv",
                       "--out", out, "--as-of", AS_OF, "--json").stdout)
    run = json.loads(fs(fs_bin, cwd, store, "train", "--dataset", out, "--target", "trip_completed", "--drop-nulls",
                        "--alpha", "0.5", "--l1-ratio", "0.1", "--test-size", "0.2", "--seed", "17", "--json").stdout)
    return reg, ds, run


def test_server_gives_what_a_local_store_gives(fs_bin, tmp_path, server):
    fs(fs_bin, tmp_path, "local", "init")
    reg_l, ds_l, train_l = workflow(fs_bin, tmp_path, "local", "local.parquet")
    reg_r, ds_r, train_r = workflow(fs_bin, tmp_path, server["url"], "remote.parquet")

    assert [(f["name"], f["version"], f["status"]) for f in reg_r["features"]] == \
        [(f["name"], f["version"], f["status"]) for f in reg_l["features"]]
    # The dataset is the same computation, and the file streamed back is the same bytes.
    assert ds_r["id"] == ds_l["id"] and ds_r["rows"] == ds_l["rows"] == 800
    assert (tmp_path / "remote.parquet").read_bytes() == (tmp_path / "local.parquet").read_bytes()
    assert ds_r["file_digest"] == ds_l["file_digest"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "remote.parquet"), pd.read_parquet(tmp_path / "local.parquet"))
    # The model is the same, bit for bit.
    rl, rr = train_l["run"], train_r["run"]
    assert rr["model"]["coef"] == rl["model"]["coef"] and rr["model"]["intercept"] == rl["model"]["intercept"]
    assert rr["testing"] == rl["testing"] and rr["training"] == rl["training"]
    assert rr["dataset"]["id"] == rl["dataset"]["id"] and rr["dataset"]["digest"] == rl["dataset"]["digest"]
    assert rr["features"] == rl["features"]

    # The server logged the run to the team's MLflow; the local store did not.
    assert rl["mlflow"]["state"] == "local"
    assert rr["mlflow"]["state"] == "synced"
    client = MlflowClient(os.environ["FS_MLFLOW_URI"])
    mr = client.get_run(rr["mlflow"]["run_id"])
    assert client.get_experiment(mr.info.experiment_id).name == server["experiment"]
    assert mr.data.tags["fs.run_id"] == rr["id"]
    assert mr.data.tags["fs.dataset_id"] == ds_r["id"]

    # Reads agree as well: lineage, impact, reproduce.
    for args in (["impact", "conv_rate", "--json"], ["features", "show", "conv_rate", "--json"]):
        assert fs(fs_bin, tmp_path, server["url"], *args).returncode == 0
    rep = fs(fs_bin, tmp_path, server["url"], "reproduce", rr["id"])
    assert rep.stdout.strip().endswith("reproduced: identical")

    # Errors: same message, same exit code.
    for args in (["features", "show", "nope"], ["materialize", "--features", "conv_rat", "--entities", "orders.tsv", "--out", "x.parquet"]):
        local, remote = fs(fs_bin, tmp_path, "local", *args, check=False), fs(fs_bin, tmp_path, server["url"], *args, check=False)
        assert (remote.returncode, remote.stderr) == (local.returncode, local.stderr)

    # SIGTERM: a clean stop; everything acknowledged is in the store.
    server["proc"].send_signal(signal.SIGTERM)
    assert server["proc"].wait(timeout=30) == 0
    runs = json.loads(fs(fs_bin, tmp_path, "team", "runs", "list", "--json").stdout)
    assert [r["id"] for r in runs] == [rr["id"]]
