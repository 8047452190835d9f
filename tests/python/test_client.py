"""The Python client, fs_features, against a local store and a real fs serve:
the same results both ways, the CLI's errors as exceptions, and the package
as pip installs it (with its own fs binary)."""
import json
import os
import pathlib
import subprocess
import sys
import zipfile

import pandas as pd
import pytest

import fs_features as fs

FEATS = ["conv_rate", "acc_rate", "avg_daily_trips", "trips_per_hour"]
AS_OF = "2021-05-01T00:00:00Z"
ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture()
def stores(fs_bin, tmp_path, fs_serve, monkeypatch):
    """A local store and a server's store over the same demo data, in the working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FS_BIN", fs_bin)
    subprocess.run([fs_bin, "demo", "--data-only", "."], check=True, capture_output=True)
    local = fs.Store.init("local")
    fs.Store.init("team")
    url = fs_serve(tmp_path, "team", "--data-root", str(tmp_path))
    return {"local": local, "remote": fs.Store(url)}


def workflow(store):
    """Everything a notebook does, and what each step gives, as plain values."""
    out = {}
    reg = store.register("features.yaml")
    out["register"] = [(f["name"], f["version"], f["status"]) for f in reg["features"]]
    out["features"] = store.features()[["name", "version", "type", "versions"]].to_dict("records")
    out["versions"] = store.feature("trips_per_hour")[["version", "current", "canonical"]].to_dict("records")
    out["diff"] = store.diff("conv_rate", "acc_rate")["changes"]
    orders = pd.read_csv("orders.tsv", sep="\t")
    train = store.training_set(FEATS, entities=orders, as_of=AS_OF)
    out["dataset"] = train.attrs["fs"]["dataset_id"]
    # With a memory limit of 4 KiB the source is spilled to disk: the same rows, the same dataset.
    spilled = store.training_set(FEATS, entities=orders, as_of=AS_OF, memory_limit=4096)
    pd.testing.assert_frame_equal(spilled, train)
    assert spilled.attrs["fs"]["dataset_id"] == out["dataset"]
    # timings=True: each step's seconds (--timings), and the same rows.
    timed = store.training_set(FEATS, entities=orders, as_of=AS_OF, timings=True)
    pd.testing.assert_frame_equal(timed, train)
    steps = timed.attrs["fs"]["timings"]
    assert "source driver_stats: pick" in steps and f"read the entity file ({len(orders)} rows)" in steps, steps
    assert list(steps)[-1] == "total" and steps["total"] >= max(v for k, v in steps.items() if k != "total")
    assert "timings" not in train.attrs["fs"]
    out["train"] = train
    run = store.train(train, "trip_completed", alpha=0.01, l1_ratio=0.2, test_size=0.2, seed=17, drop_nulls=True)
    out["run"] = (run.id, run.metrics.to_dict(), run.coefficients.to_dict(), run.intercept, run.feature_versions)
    sweep = store.train(train, "trip_completed", alpha=[0.001, 0.01], l1_ratio=[0.2, 0.8], test_size=0.2, seed=17, drop_nulls=True)
    out["sweep"] = (sweep.sweep.id, [r.id for r in sweep.runs], sweep.id)
    clf = store.train(train, "trip_completed", task="classification", c=[0.1, 1], l1_ratio=0.5, stratify=True,
                      test_size=0.2, seed=17, drop_nulls=True, max_iter=300, select="auc", min_accuracy=0.5)
    assert clf.task == "classification" and clf.classes == ["0", "1"] and len(clf.runs) == 2
    assert clf.metrics.loc["roc_auc", "test"] == max(r.metrics.loc["roc_auc", "test"] for r in clf.runs)
    assert clf.confusion_matrix.to_numpy().sum() == clf.metrics.loc["rows", "test"]
    out["classifier"] = (clf.id, clf.sweep.id, clf.metrics.to_dict(), clf.coefficients.to_dict(), clf.intercept,
                         clf.confusion_matrix.values.tolist(), clf.params)
    runs = store.runs()[["id", "task", "alpha", "c", "l1_ratio", "test_rmse", "test_log_loss", "sweep"]]
    out["runs"] = runs.astype(object).where(runs.notna(), None).to_dict("records")  # NaN != NaN: compare as None
    lin = store.lineage(run.id)
    out["lineage"] = sorted(map(tuple, lin.nodes[["kind", "label"]].values.tolist()))
    assert lin._repr_svg_().startswith("<svg") and "dataset" in lin.svg()
    imp = store.impact("conv_rate")
    out["impact"] = {k: sorted(n["label"] for n in v) for k, v in imp.items()}
    out["reproduce"] = store.reproduce(run)["identical"]
    prof = store.profile("driver_stats.parquet")
    out["profile"] = (prof.rows, prof.warnings, list(prof.columns.index))
    assert "<html" in prof.report and "srcdoc" in prof._repr_html_()
    return out, run


def test_same_results_local_and_remote(stores, fs_bin):
    local, run_l = workflow(stores["local"])
    remote, run_r = workflow(stores["remote"])
    pd.testing.assert_frame_equal(local.pop("train"), remote.pop("train"))
    assert local == remote
    # The dataset id is the command line's for the same rows: the DataFrame went to a
    # parquet file the store keeps (entities/SHA256.parquet), and fs materialize on that
    # file gives the same id; the temporary file is gone.
    ent = next(pathlib.Path("local", "entities").glob("*.parquet"))
    assert not list(pathlib.Path(".").glob(".fs-entities/**/*.parquet"))
    cli = subprocess.run([fs_bin, "materialize", "--features", ",".join(FEATS), "--entities", str(ent), "--out", "cli.parquet",
                          "--as-of", AS_OF, "--store", "local", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(cli.stdout)["id"] == local["dataset"]
    assert run_l.metrics.loc["rmse", "test"] == run_r.metrics.loc["rmse", "test"]


def test_errors_are_exceptions_with_the_clis_message(stores):
    for store in stores.values():
        with pytest.raises(fs.FsError) as e:
            store.feature("nope")
        assert (e.value.code, e.value.message, e.value.hint) == (
            "not_found", "feature nope not found", "store.features() shows the registered features")
        store.register("features.yaml")
        train = store.training_set(FEATS, entities="orders.tsv", as_of=AS_OF)
        with pytest.raises(fs.GateFailed) as gate:
            store.train(train, "trip_completed", drop_nulls=True, max_rmse=0.01)
        assert gate.value.run.id and not gate.value.run.gate_passed
        with pytest.raises(fs.FsError) as bad:
            store.training_set(["conv_rat"], entities="orders.tsv")
        assert bad.value.hint == "did you mean conv_rate?"
        (pathlib.Path("bad.yaml")).write_text("features: [{name: x, source: nope, expr: 'y +'}]\n")
        with pytest.raises(fs.FsError) as many:
            store.register("bad.yaml")
        assert many.value.code == "invalid" and "bad.yaml" in str(many.value)
    with pytest.raises(fs.NoStore):
        fs.Store("nowhere").features()
    with pytest.raises(fs.NoStore):
        fs.Store("http://127.0.0.1:9").features()


def test_the_installed_package_carries_its_binary(tmp_path, monkeypatch):
    """pip install ./python (the test command does it) put an fs binary in the package."""
    monkeypatch.delenv("FS_BIN", raising=False)
    from fs_features import _backends
    exe = pathlib.Path(_backends.binary())
    assert exe.parent == pathlib.Path(fs.__file__).parent / "bin", f"the binary is not the package's: {exe}"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("fs ")
    assert (pathlib.Path(fs.__file__).parent / "py.typed").exists()


def test_the_wheel_is_a_platform_wheel_with_fs_inside(tmp_path):
    """The documented build command makes a py3-none-PLATFORM wheel holding fs."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
                    str(ROOT / "python")], check=True)
    wheel = next(tmp_path.glob("fs_features-*.whl"))
    assert "-py3-none-linux_" in wheel.name, wheel.name
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        info = z.getinfo("fs_features/bin/fs")
    assert "fs_features/py.typed" in names
    assert info.external_attr >> 16 & 0o111, "fs is not executable in the wheel"
    size = wheel.stat().st_size
    print(f"wheel {wheel.name}: {size / 2**20:.1f} MiB")
    assert size < 40 * 2**20
