"""fs train against scikit-learn (the pinned version): the same split, the same
Elastic Net coefficients and intercept to 1e-9 relative, the same metrics, on a
corpus of problems; and the pyfunc model predicts like fs predict."""
import json
import warnings

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split


def problem(kind, rng):
    n, p = 300, 8
    if kind == "p_greater_than_n":
        n, p = 40, 100
    if kind == "tall":
        n, p = 20000, 12
    if kind == "wide":  # several row blocks: the data path splits rows and skips zero coefficients
        n, p = 12000, 150
    X = rng.normal(size=(n, p))
    if kind == "wide":
        X[:, ::10] = X[:, ::10] * 1e3 + 5e4  # badly scaled columns with large means
    if kind == "correlated":
        base = rng.normal(size=(n, 1))
        X = base + 0.01 * rng.normal(size=(n, p))
    if kind == "constant_columns":
        X[:, 2] = 3.0
        X[:, 5] = 0.0
    if kind == "scaled":
        X *= np.logspace(-3, 4, p)
    w = rng.normal(size=p) * (rng.random(p) < 0.6)
    y = X @ w + 0.3 * rng.normal(size=n) + 5.0
    return X, y


CASES = [
    # kind, alpha, l1_ratio, extra
    ("random", 0.1, 0.5, {}),
    ("random", 1.0, 0.5, {}),
    ("random", 0.01, 1.0, {}),
    ("random", 0.5, 0.0, {}),
    ("random", 0.05, 0.3, {"positive": True}),
    ("correlated", 0.01, 0.7, {}),
    ("p_greater_than_n", 0.05, 0.9, {}),
    ("constant_columns", 0.1, 0.5, {}),
    ("scaled", 0.1, 0.5, {}),
    ("random", 0.001, 0.5, {"max_iter": 3}),  # does not converge
    ("correlated", 1e-4, 0.5, {"max_iter": 50, "tol": 1e-10}),
    ("tall", 0.02, 0.5, {}),
    ("tall", 0.5, 0.2, {"positive": True}),
    ("wide", 1.0, 0.5, {}),
    ("wide", 0.01, 0.9, {"tol": 1e-8}),
    ("wide", 0.1, 0.7, {"positive": True}),
]


@pytest.mark.parametrize("solver", ["data", "gram"])
@pytest.mark.parametrize("i,case", list(enumerate(CASES)))
def test_elastic_net_matches_sklearn(run_fs, tmp_path, i, case, solver):
    kind, alpha, l1, extra = case
    rng = np.random.default_rng(100 + i)
    X, y = problem(kind, rng)
    names = [f"x{j}" for j in range(X.shape[1])]
    df = pd.DataFrame(X, columns=names)
    df["y"] = y
    df.to_parquet(tmp_path / "d.parquet", index=False)
    run_fs("init")
    args = ["train", "--dataset", "d.parquet", "--target", "y", "--features", ",".join(names),
            "--alpha", str(alpha), "--l1-ratio", str(l1), "--test-size", "0.2", "--seed", "17", "--json"]
    max_iter, tol, positive = extra.get("max_iter", 1000), extra.get("tol", 1e-4), extra.get("positive", False)
    args += ["--max-iter", str(max_iter), "--tol", repr(tol), "--solver", solver] + (["--positive"] if positive else [])
    proc = run_fs(*args)
    got = json.loads(proc.stdout)["run"]

    train, test = train_test_split(df, test_size=0.2, random_state=17)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = ElasticNet(alpha=alpha, l1_ratio=l1, max_iter=max_iter, tol=tol, positive=positive).fit(train[names], train["y"])
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    assert got["split"]["train_rows"] == len(train) and got["split"]["test_rows"] == len(test)
    assert got["model"]["converged"] == (not warned)
    if warned:
        assert "did not converge" in proc.stderr
    assert got["model"]["n_iter"] == m.n_iter_
    coef = np.asarray(got["model"]["coef"])
    scale = max(np.max(np.abs(m.coef_)), 1e-300)
    np.testing.assert_allclose(coef, m.coef_, rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(got["model"]["intercept"], m.intercept_, rtol=1e-9, atol=1e-12)
    for split, part in [("training", train), ("testing", test)]:
        pred = m.predict(part[names])
        want = {"mse": mean_squared_error(part["y"], pred), "mae": mean_absolute_error(part["y"], pred),
                "r2": r2_score(part["y"], pred)}
        want["rmse"] = np.sqrt(want["mse"])
        for k, v in want.items():
            np.testing.assert_allclose(got[split][k], v, rtol=1e-9, err_msg=f"{split} {k}")


def test_metric_edge_cases_match_sklearn(run_fs, tmp_path):
    # A constant target: sklearn's R2 is 1.0 for perfect predictions, 0.0 otherwise.
    df = pd.DataFrame({"x": np.arange(20.0), "y": np.full(20, 2.0)})
    df.to_parquet(tmp_path / "c.parquet", index=False)
    run_fs("init")
    got = json.loads(run_fs("train", "--dataset", "c.parquet", "--target", "y", "--features", "x", "--test-size", "0.25",
                            "--json").stdout)["run"]
    train, test = train_test_split(df, test_size=0.25, random_state=0)
    m = ElasticNet().fit(train[["x"]], train["y"])
    assert got["testing"]["r2"] == r2_score(test["y"], m.predict(test[["x"]]))
    assert got["testing"]["rmse"] == 0.0


def test_pyfunc_model_predicts_like_fs(run_fs, tmp_path):
    run_fs("demo", "--data-only", ".")
    run_fs("init")
    run_fs("register", "features.yaml")
    feats = "conv_rate,acc_rate,avg_daily_trips,trips_per_hour"
    run_fs("materialize", "--features", feats, "--entities", "orders.tsv", "--out", "train.parquet",
           "--as-of", "2021-05-01T00:00:00Z")
    out = json.loads(run_fs("train", "--dataset", "train.parquet", "--target", "trip_completed", "--alpha", "0.01",
                            "--l1-ratio", "0.2", "--drop-nulls", "--model-dir", "model", "--json").stdout)
    run_id = out["run"]["id"]
    run_fs("predict", "--model", run_id[:10], "--input", "train.parquet", "--out", "pred.parquet")
    pred = pd.read_parquet(tmp_path / "pred.parquet")
    df = pd.read_parquet(tmp_path / "train.parquet")
    ok = df[feats.split(",")].notna().all(axis=1)
    assert pred["prediction"].isna().sum() == (~ok).sum() > 0
    model = mlflow.pyfunc.load_model(str(tmp_path / "model"))
    py = model.predict(df.loc[ok, feats.split(",")].astype("float64"))
    np.testing.assert_allclose(np.asarray(py), pred.loc[ok, "prediction"].to_numpy(), rtol=1e-12, atol=1e-12)
    # The layout in the store is the same model.
    stored = mlflow.pyfunc.load_model(out["model_dir"])
    np.testing.assert_allclose(np.asarray(stored.predict(df.loc[ok, feats.split(",")].astype("float64"))), py, rtol=0, atol=0)
    meta = json.loads((tmp_path / "model" / "data" / "model.json").read_text())
    assert [f["name"] for f in meta["features"]] == feats.split(",")
    assert all(len(f["version"]) == 64 for f in meta["features"])
    assert meta["dataset_id"] == out["run"]["dataset"]["id"]
