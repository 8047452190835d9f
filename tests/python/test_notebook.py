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
SHARED = ROOT.parent / "shared" / "data"


@pytest.mark.skipif(not (SHARED / "driver_stats.parquet").exists(),
                    reason="../shared/data is absent: the notebook needs the real driver data (CI always has it)")
def test_poc_notebook(tmp_path, fs_bin, mlflow_uri, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    monkeypatch.setenv("FS_DATA", str(SHARED))
    monkeypatch.setenv("FS_POC_DIR", str(tmp_path / "work"))
    monkeypatch.delenv("FS_BIN", raising=False)  # the notebook uses the installed package as it is
    nb = nbformat.read(ROOT / "examples" / "poc.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    if os.environ.get("FS_TEST_OUTPUT"):
        nbformat.write(nb, os.path.join(os.environ["FS_TEST_OUTPUT"], "poc.ipynb"))
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]

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
