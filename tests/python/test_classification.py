"""fs train --task classification against scikit-learn (the pinned version):
LogisticRegression(solver="saga") on the same split (stratified or not), the
same coefficients and intercepts to 1e-9 relative, the same n_iter, labels,
probabilities and metrics, on a corpus of problems; fs predict and the pyfunc
model against predict and predict_proba; and the proof of concept's own
label, trip_completed, as a 0/1 classification on the real data."""
import json
import pathlib
import warnings

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score, log_loss, precision_score,
                             recall_score, roc_auc_score)
from sklearn.model_selection import train_test_split

SHARED = pathlib.Path(__file__).resolve().parents[2] / "examples" / "data"  # the real data, kept in the repository


def problem(kind, k, rng, n=300, p=6):
    X = rng.normal(size=(n, p))
    if kind == "correlated":
        X = rng.normal(size=(n, 1)) + 0.05 * rng.normal(size=(n, p))
    if kind == "scaled":
        X *= np.logspace(-2, 1.5, p)
    W = rng.normal(size=(p, k))
    noise = 0.0 if kind == "separable" else 1.0
    score = X @ W + noise * rng.normal(size=(n, k))
    if k == 2:
        y = (score[:, 0] - score[:, 1] > 0).astype(np.int64)
    else:
        y = np.argmax(score, axis=1).astype(np.int64)
    if kind == "imbalanced":  # a rare class, for --stratify
        y = np.where(rng.random(n) < 0.1, k - 1, y % (k - 1))
    return X, y


# kind, classes, C, l1_ratio, labels, extra
CASES = [
    ("noisy", 2, 1.0, 0.0, "int", {}),
    ("noisy", 2, 1.0, 0.5, "int", {}),
    ("noisy", 2, 0.1, 1.0, "int", {}),
    ("separable", 2, 100.0, 0.5, "int", {"max_iter": 1000}),
    ("noisy", 2, 1e-4, 0.3, "int", {}),  # C tiny: everything shrunk to zero
    ("noisy", 2, 1e4, 0.5, "int", {"max_iter": 7}),  # does not converge
    ("correlated", 2, 1.0, 0.7, "bool", {}),
    ("scaled", 2, 1.0, 0.5, "int", {"max_iter": 300}),
    ("noisy", 3, 1.0, 0.5, "int", {}),
    ("noisy", 4, 10.0, 0.0, "str", {}),
    ("separable", 3, 0.05, 1.0, "str", {}),
    ("imbalanced", 3, 1.0, 0.2, "int", {"stratify": True}),
    ("noisy", 3, 1.0, 0.5, "str", {"max_iter": 3}),  # does not converge, multinomial
    ("correlated", 5, 3.0, 0.9, "int", {"tol": 1e-6, "max_iter": 500, "stratify": True}),
]

NAMES = {"str": np.array(["ant", "bee", "cat", "dog", "emu"]), "bool": np.array([False, True])}


def fit_sklearn(train, names, C, l1, max_iter, tol):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = LogisticRegression(solver="saga", C=C, l1_ratio=l1, max_iter=max_iter, tol=tol, random_state=17)
        m.fit(train[names].to_numpy(), train["y"].to_numpy())
    return m, any(issubclass(w.category, ConvergenceWarning) for w in caught)


def want_metrics(m, part, names):
    y, X = part["y"].to_numpy(), part[names].to_numpy()
    pred, proba = m.predict(X), m.predict_proba(X)
    out = {"accuracy": accuracy_score(y, pred), "log_loss": log_loss(y, proba, labels=m.classes_)}
    for avg in ("macro", "weighted"):
        out[avg] = {"precision": precision_score(y, pred, average=avg, zero_division=0),
                    "recall": recall_score(y, pred, average=avg, zero_division=0),
                    "f1": f1_score(y, pred, average=avg, zero_division=0)}
    if len(m.classes_) == 2:
        pos = m.classes_[1]
        out["binary"] = {"precision": precision_score(y, pred, pos_label=pos, zero_division=0),
                         "recall": recall_score(y, pred, pos_label=pos, zero_division=0),
                         "f1": f1_score(y, pred, pos_label=pos, zero_division=0)}
        out["roc_auc"] = roc_auc_score(y, proba[:, 1]) if len(set(y)) == 2 else None  # undefined: fs writes null
    else:
        out["roc_auc"] = roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=m.classes_)
        out["roc_auc_ovo_weighted"] = roc_auc_score(y, proba, multi_class="ovo", average="weighted", labels=m.classes_)
    out["confusion_matrix"] = confusion_matrix(y, pred, labels=m.classes_).tolist()
    return out


def assert_metrics(got, want, where):
    for k, v in want.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                np.testing.assert_allclose(got[k][kk], vv, rtol=1e-9, atol=1e-15, err_msg=f"{where} {k} {kk}")
        elif k == "confusion_matrix":
            assert got[k] == v, f"{where} confusion matrix"
        elif v is None:
            assert got[k] is None, f"{where} {k}"
        else:
            np.testing.assert_allclose(got[k], v, rtol=1e-9, atol=1e-15, err_msg=f"{where} {k}")


@pytest.mark.parametrize("i,case", list(enumerate(CASES)))
def test_logistic_regression_matches_sklearn(run_fs, tmp_path, i, case):
    kind, k, C, l1, labels, extra = case
    rng = np.random.default_rng(200 + i)
    X, y = problem(kind, k, rng)
    names = [f"x{j}" for j in range(X.shape[1])]
    df = pd.DataFrame(X, columns=names)
    df["y"] = NAMES[labels][y] if labels in NAMES else y
    df.to_parquet(tmp_path / "d.parquet", index=False)
    max_iter, tol, stratify = extra.get("max_iter", 100), extra.get("tol", 1e-4), extra.get("stratify", False)
    run_fs("init")
    args = ["train", "--task", "classification", "--dataset", "d.parquet", "--target", "y", "--features", ",".join(names),
            "--c", repr(C), "--l1-ratio", repr(l1), "--max-iter", str(max_iter), "--tol", repr(tol),
            "--test-size", "0.2", "--seed", "17", "--json"] + (["--stratify"] if stratify else [])
    proc = run_fs(*args)
    result = json.loads(proc.stdout)
    got = result["run"]
    train, test = train_test_split(df, test_size=0.2, random_state=17, stratify=df["y"] if stratify else None)
    m, warned = fit_sklearn(train, names, C, l1, max_iter, tol)
    fit = got["model"]
    assert fit["classes"] == [str(c) for c in m.classes_]
    assert got["split"]["train_rows"] == len(train) and got["split"]["test_rows"] == len(test)
    assert fit["n_iter"] == m.n_iter_[0]
    assert fit["converged"] == (not warned)
    if warned:
        assert "did not converge" in proc.stderr
    coef, intercept = np.asarray(fit["coef"]), np.asarray(fit["intercept"])
    scale = max(np.max(np.abs(m.coef_)), np.max(np.abs(m.intercept_)), 1e-300)
    np.testing.assert_allclose(coef, m.coef_, rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(intercept, m.intercept_, rtol=1e-9, atol=1e-9 * scale)
    assert_metrics(got["training"], want_metrics(m, train, names), "train")
    assert_metrics(got["testing"], want_metrics(m, test, names), "test")
    # fs predict: labels typed as the target, one probability column per class.
    run_fs("predict", "--model", got["id"][:12], "--input", "d.parquet", "--out", "pred.parquet")
    pred = pd.read_parquet(tmp_path / "pred.parquet")
    assert pred["prediction"].tolist() == m.predict(df[names].to_numpy()).tolist()
    proba = pred[[f"proba_{c}" for c in m.classes_]].to_numpy()
    np.testing.assert_allclose(proba, m.predict_proba(df[names].to_numpy()), rtol=1e-9, atol=1e-12)
    # The stored pyfunc model: the same labels, typed as the target, and its signature says so.
    model = mlflow.pyfunc.load_model(result["model_dir"])
    assert list(model.predict(df[names])) == pred["prediction"].tolist()
    want_type = {"str": "string", "bool": "boolean", "int": "long"}[labels]
    assert model.metadata.get_output_schema().to_dict() == [{"type": want_type, "required": True}]


def test_the_sweep_picks_by_the_chosen_metric(run_fs, tmp_path):
    rng = np.random.default_rng(7)
    X, y = problem("noisy", 2, rng)
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(6)])
    df["y"] = y
    df.to_parquet(tmp_path / "d.parquet", index=False)
    run_fs("init")
    base = ["train", "--task", "classification", "--dataset", "d.parquet", "--target", "y", "--c", "0.001,0.01,1",
            "--l1-ratio", "0,1", "--test-size", "0.3", "--seed", "3", "--json",
            "--features", ",".join(df.columns[:-1])]
    for select, key, best in [("log_loss", "log_loss", min), ("accuracy", "accuracy", max), ("auc", "roc_auc", max)]:
        out = json.loads(run_fs(*base, "--select", select).stdout)
        scores = [r["testing"][key] for r in out["runs"]]
        assert len(scores) == 6 and out["select"] == select
        assert out["run"]["id"] == out["runs"][scores.index(best(scores))]["id"]
    gate = run_fs(*base, "--min-accuracy", "0.999", check=False)
    assert gate.returncode == 3 and "accuracy" in gate.stderr


def test_wrong_flags_and_targets_are_refused(run_fs, tmp_path):
    pd.DataFrame({"x": np.arange(20.0), "y": ["a", "b"] * 10, "z": [1.5] * 20}).to_parquet(tmp_path / "d.parquet", index=False)
    run_fs("init")
    base = ["train", "--dataset", "d.parquet", "--features", "x"]
    p = run_fs(*base, "--target", "y", check=False)
    assert p.returncode == 1 and "--task classification" in p.stderr
    p = run_fs(*base, "--target", "y", "--c", "1", check=False)
    assert p.returncode == 2 and "--c does not apply to --task regression" in p.stderr
    p = run_fs(*base, "--target", "y", "--task", "classification", "--alpha", "1", check=False)
    assert p.returncode == 2 and "--alpha" in p.stderr
    p = run_fs(*base, "--target", "z", "--task", "classification", check=False)
    assert p.returncode == 1 and "1 class" in p.stderr
    p = run_fs(*base, "--target", "y", "--task", "classification", "--select", "rmse", check=False)
    assert p.returncode == 2 and "--select" in p.stderr


def test_reproduce_and_pyfunc_model(run_fs, tmp_path):
    run_fs("demo", "--data-only", ".")
    run_fs("init")
    run_fs("register", "features.yaml")
    feats = "conv_rate,acc_rate,avg_daily_trips"
    run_fs("materialize", "--features", feats, "--entities", "orders.tsv", "--out", "train.parquet",
           "--as-of", "2021-05-01T00:00:00Z")
    out = json.loads(run_fs("train", "--task", "classification", "--dataset", "train.parquet", "--target", "trip_completed",
                            "--c", "0.5", "--l1-ratio", "0.3", "--drop-nulls", "--stratify", "--seed", "4",
                            "--model-dir", "model", "--json").stdout)
    run = out["run"]
    rep = json.loads(run_fs("reproduce", run["id"][:12], "--json").stdout)
    assert rep["identical"] and rep["same_model"] and rep["same_metrics"], rep
    df = pd.read_parquet(tmp_path / "train.parquet").dropna(subset=feats.split(","))
    model = mlflow.pyfunc.load_model(str(tmp_path / "model"))
    X = df[feats.split(",")].astype("float64")
    run_fs("predict", "--model", run["id"][:12], "--input", "train.parquet", "--out", "pred.parquet")
    pred = pd.read_parquet(tmp_path / "pred.parquet").loc[df.index]
    assert list(model.predict(X)) == pred["prediction"].tolist()
    proba = model.predict(X, params={"predict_method": "predict_proba"})
    cols = [f"proba_{c}" for c in run["model"]["classes"]]
    assert list(proba.columns) == cols
    np.testing.assert_allclose(proba.to_numpy(), pred[cols].to_numpy(), rtol=1e-12, atol=1e-15)
    est = model.get_raw_model()
    np.testing.assert_allclose(est.predict_proba(X), pred[cols].to_numpy(), rtol=1e-9, atol=1e-12)
    mlmodel = (tmp_path / "model" / "MLmodel").read_text()
    assert "loader_module: fs_logistic" in mlmodel and '"type": "long"' in mlmodel and "predict_method" in mlmodel


def test_proof_of_concept_label_as_classification(run_fs, tmp_path):
    (tmp_path / "features.yaml").write_text(f"""
entities: [{{name: driver, join_keys: [driver_id]}}]
sources:
  - name: driver_stats
    path: {SHARED / 'driver_stats.parquet'}
    entity: driver
    timestamp_field: datetime
    created_timestamp_field: created
features:
  - {{name: conv_rate, source: driver_stats, expr: conv_rate}}
  - {{name: acc_rate, source: driver_stats, expr: acc_rate}}
  - {{name: avg_daily_trips, source: driver_stats, expr: avg_daily_trips}}
""")
    feats = ["conv_rate", "acc_rate", "avg_daily_trips"]
    run_fs("init")
    run_fs("register", "features.yaml")
    run_fs("materialize", "--features", ",".join(feats), "--entities", str(SHARED / "driver_orders.csv"),
           "--out", "train.parquet", "--as-of", "2021-08-01T00:00:00Z")
    got = json.loads(run_fs("train", "--task", "classification", "--dataset", "train.parquet", "--target", "trip_completed",
                            "--c", "1", "--l1-ratio", "0.1", "--test-size", "0.2", "--seed", "17", "--json").stdout)["run"]
    df = pd.read_parquet(tmp_path / "train.parquet")
    assert set(df["trip_completed"]) == {0, 1}
    train, test = train_test_split(df, test_size=0.2, random_state=17)
    assert set(test["trip_completed"]) == {0}  # 10 orders: both test rows are 0s, the AUC is undefined (null)
    m, _ = fit_sklearn(train.rename(columns={"trip_completed": "y"}), feats, 1.0, 0.1, 100, 1e-4)
    fit = got["model"]
    assert fit["classes"] == ["0", "1"] and fit["n_iter"] == m.n_iter_[0]
    np.testing.assert_allclose(np.asarray(fit["coef"]), m.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit["intercept"], m.intercept_, rtol=1e-9, atol=1e-12)
    assert_metrics(got["testing"], want_metrics(m, test.rename(columns={"trip_completed": "y"}), feats), "test")
    assert_metrics(got["training"], want_metrics(m, train.rename(columns={"trip_completed": "y"}), feats), "train")
    # Stratified, the test set holds one order of each kind.
    got = json.loads(run_fs("train", "--task", "classification", "--dataset", "train.parquet", "--target", "trip_completed",
                            "--c", "1", "--l1-ratio", "0.1", "--test-size", "0.2", "--seed", "17", "--stratify",
                            "--json").stdout)["run"]
    train, test = train_test_split(df, test_size=0.2, random_state=17, stratify=df["trip_completed"])
    assert sorted(test["trip_completed"]) == [0, 1]
    m, _ = fit_sklearn(train.rename(columns={"trip_completed": "y"}), feats, 1.0, 0.1, 100, 1e-4)
    np.testing.assert_allclose(np.asarray(got["model"]["coef"]), m.coef_, rtol=1e-9, atol=1e-12)
    assert got["model"]["n_iter"] == m.n_iter_[0]
    assert_metrics(got["testing"], want_metrics(m, test.rename(columns={"trip_completed": "y"}), feats), "test")
    print("proof of concept, stratified:", {k: got["testing"][k] for k in ("accuracy", "roc_auc", "log_loss")},
          "coef", got["model"]["coef"], "n_iter", got["model"]["n_iter"])
