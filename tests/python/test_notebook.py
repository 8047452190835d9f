"""examples/poc.ipynb, executed top to bottom in a real Jupyter kernel on the
real driver data: the proof of concept's figures, the dataset id the command
line gives for the same inputs, and the run in the real MLflow server."""
import json
import os
import pathlib
import re
import subprocess

import nbclient
import nbformat
import pytest
from mlflow import MlflowClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT / "examples" / "data"


def execute(tmp_path, env):
    """Runs the notebook as a user opens it: from examples/ (so that data/ is the
    repository's copy of the real data), with its work directory in tmp_path."""
    nb = nbformat.read(ROOT / "examples" / "poc.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "examples")}}).execute(env=env)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    return nb, "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_poc_notebook_without_mlflow(tmp_path, monkeypatch):
    """A fresh clone with no MLflow server: the notebook says so and goes on."""
    monkeypatch.delenv("FS_BIN", raising=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["FS_POC_DIR"] = str(tmp_path / "work")
    _, text = execute(tmp_path, env)
    assert "MLflow is not configured" in text
    assert "RMSE 0.11625695183915705\n" in text and "reproduced: identical" in text
    assert re.search(r"^run [0-9a-f]{64} mlflow local None$", text, re.M), text


def test_poc_notebook(tmp_path, fs_bin, mlflow_uri, monkeypatch):
    monkeypatch.delenv("FS_BIN", raising=False)  # the notebook uses the installed package as it is
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_uri, "FS_POC_DIR": str(tmp_path / "work")}
    env.pop("FS_DATA", None)
    nb, text = execute(tmp_path, env)
    if os.environ.get("FS_TEST_OUTPUT"):
        nbformat.write(nb, os.path.join(os.environ["FS_TEST_OUTPUT"], "poc.ipynb"))

    # The original notebook's figures, to the last digit.
    assert "RMSE 0.11625695183915705\n" in text
    assert "MAE 0.10880469049979313\n" in text
    assert "success (threshold RMSE < 0.5)" in text
    assert "reproduced: identical" in text

    # The dataset id is the command line's for the same inputs.
    dataset = re.search(r"^dataset ([0-9a-f]{64})$", text, re.M).group(1)
    cli = tmp_path / "cli"
    cli.mkdir()
    defs = (tmp_path / "work" / "features.yaml").read_text().replace("avg_daily_trips / 7.0}", "avg_daily_trips}")
    (cli / "features.yaml").write_text(defs)
    run = lambda *a: subprocess.run([fs_bin, *a, "--store", str(cli / ".fs")], cwd=cli, capture_output=True, text=True, check=True)
    run("init")
    run("register", "features.yaml")
    ds = json.loads(run("materialize", "--features", "conv_rate,acc_rate,avg_daily_trips", "--entities",
                        str(SHARED / "driver_orders.csv"), "--out", "train.parquet", "--as-of", "2021-08-01T00:00:00Z",
                        "--json").stdout)
    assert ds["id"] == dataset

    # The run is in the real MLflow server, with the same figures.
    run_id, mlflow_run = re.search(r"^run ([0-9a-f]{64}) mlflow synced ([0-9a-f]{32})$", text, re.M).groups()
    r = MlflowClient(mlflow_uri).get_run(mlflow_run)
    assert r.data.tags["fs.run_id"] == run_id
    assert r.data.tags["fs.dataset_id"] == dataset
    assert r.data.metrics["testing_rmse"] == 0.11625695183915705
