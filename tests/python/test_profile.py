"""fs profile agrees with pandas on the same file; fs validate names each
violation; the HTML report is self-contained; profiles show in lineage."""
import json
import pathlib
import re

import numpy as np
import pandas as pd
import pytest

SHARED = pathlib.Path(__file__).resolve().parents[2] / "examples" / "data"  # the real data, kept in the repository


def check_against_pandas(prof, df, entity, ts):
    assert prof["rows"] == len(df)
    cols = {c["name"]: c for c in prof["columns"]}
    for name, c in cols.items():
        s = df[name]
        assert c["nulls"] == s.isna().sum(), name
        assert c["count"] == s.count(), name
        assert c["distinct"] == s.nunique(), name
        if c["type"] in ("float64", "int64"):
            x = s.dropna().astype("float64")
            assert c["min"] == x.min() and c["max"] == x.max(), name
            np.testing.assert_allclose(c["mean"], x.mean(), rtol=1e-12, err_msg=name)
            np.testing.assert_allclose(c["std"], x.std(), rtol=1e-10, err_msg=name)
            assert c["zeros"] == (x == 0).sum(), name
            for q in c["quantiles"]:
                np.testing.assert_allclose(q["value"], x.quantile(q["q"]), rtol=1e-12, atol=1e-12, err_msg=f"{name} q{q['q']}")
            q1, q3 = x.quantile(0.25), x.quantile(0.75)
            fenced = ((x < q1 - 1.5 * (q3 - q1)) | (x > q3 + 1.5 * (q3 - q1))).sum()
            assert c["outliers_iqr"] == (fenced if x.nunique() > 2 else 0), name  # an indicator has no outliers
            assert sum(c["histogram"]["counts"]) == len(x)
    t = prof["table"]
    assert t["duplicate_rows"] == df.duplicated().sum()
    assert t["duplicate_entity_timestamp"] == df.duplicated([entity, ts]).sum()
    assert t["rows_out_of_order"] == (df[ts].diff() < pd.Timedelta(0)).sum()
    per = df.groupby(entity).size()
    assert (t["rows_per_entity_min"], t["rows_per_entity_median"], t["rows_per_entity_max"]) == (per.min(), per.median(), per.max())
    m = prof["correlations"]
    numeric = df[m["names"]].astype("float64").corr()
    for i, a in enumerate(m["names"]):
        for j, b in enumerate(m["names"]):
            want = numeric.loc[a, b]
            got = m["values"][i][j]
            if np.isnan(want):
                assert got is None
            else:
                np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=f"corr {a} {b}")


def test_profile_matches_pandas_on_demo_data(run_fs, tmp_path):
    run_fs("demo", "--data-only", ".")
    prof = json.loads(run_fs("profile", "driver_stats.parquet", "--json").stdout)
    df = pd.read_parquet(tmp_path / "driver_stats.parquet")
    check_against_pandas(prof, df, "driver_id", "datetime")
    # In a budget of 1 KiB (row hashes and columns in temporary files, columns
    # sorted in runs of 1,024 values and merged): the same profile.
    bounded = json.loads(run_fs("profile", "driver_stats.parquet", "--json", "--memory-limit", "1KiB").stdout)
    assert bounded == prof
    msgs = [w["message"] for w in prof["warnings"]]
    assert any(re.fullmatch(r"conv_rate: [0-9.]+% nulls \(\d+ of 1825 rows\)", m) for m in msgs), msgs
    assert f"{df.duplicated().sum()} duplicate rows" in msgs


def test_profile_matches_pandas_on_real_file(run_fs):
    prof = json.loads(run_fs("profile", str(SHARED / "driver_stats.parquet"), "--json").stdout)
    df = pd.read_parquet(SHARED / "driver_stats.parquet").drop(columns="__index_level_0__", errors="ignore")
    check_against_pandas(prof, df, "driver_id", "datetime")
    assert "driver_id 1003 has 363 rows, others 361" in [w["message"] for w in prof["warnings"]]


def test_target_correlation_and_balance(run_fs, tmp_path):
    run_fs("demo", "--data-only", ".")
    run_fs("init")
    run_fs("register", "features.yaml")
    run_fs("materialize", "--features", "conv_rate,acc_rate,avg_daily_trips,trips_per_hour", "--entities", "orders.tsv",
           "--out", "train.parquet", "--as-of", "2021-05-01T00:00:00Z")
    prof = json.loads(run_fs("profile", "train.parquet", "--target", "trip_completed", "--json").stdout)
    df = pd.read_parquet(tmp_path / "train.parquet")
    bal = {b["value"]: b["count"] for b in prof["target"]["balance"]}
    assert bal == {str(k): v for k, v in df["trip_completed"].value_counts().items()}
    for c in prof["target"]["correlation_with_features"]:
        np.testing.assert_allclose(c["value"], df[[c["name"], "trip_completed"]].astype(float).corr().iloc[0, 1], rtol=1e-9)
    msgs = [w["message"] for w in prof["warnings"]]
    assert "avg_daily_trips and trips_per_hour are 1.00 correlated" in msgs
    assert any(m.startswith("trip_completed is imbalanced: ") for m in msgs)
    # The dataset's profile is kept with it and shown by fs lineage.
    ds = json.loads(run_fs("datasets", "list", "--json").stdout)[0]["id"]
    assert "profile " in run_fs("lineage", ds[:10]).stdout
    # HTML: one self-contained file.
    run_fs("profile", "train.parquet", "--target", "trip_completed", "--html", "report.html")
    html = (tmp_path / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") >= 5 and "avg_daily_trips and trips_per_hour" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html


def test_validate_names_each_violation(run_fs, tmp_path):
    run_fs("demo", "--data-only", ".")
    (tmp_path / "ok.yaml").write_text("""
columns:
  conv_rate: {type: float64, min: 0, max: 1, max_null_share: 0.05}
  driver_id: {type: int64, not_null: true, allowed: [1001, 1002, 1003, 1004, 1005]}
""")
    assert "every expectation holds" in run_fs("validate", "driver_stats.parquet", "--expect", "ok.yaml").stdout
    (tmp_path / "bad.yaml").write_text("""
columns:
  conv_rate: {type: float64, not_null: true, max: 0.5}
  driver_id: {type: string}
  avg_daily_trips: {allowed: [1, 2]}
  missing_col: {}
unique: [driver_id, datetime]
exact: true
""")
    proc = run_fs("validate", "driver_stats.parquet", "--expect", "bad.yaml", check=False)
    assert proc.returncode == 5
    out = proc.stdout
    df = pd.read_parquet(tmp_path / "driver_stats.parquet")
    assert f"not_null: column conv_rate has {df.conv_rate.isna().sum()} nulls" in out
    assert f"max: column conv_rate has {(df.conv_rate > 0.5).sum()} values above 0.5" in out
    assert "type: column driver_id is int64 (INT64), expected string" in out
    assert "allowed: column avg_daily_trips has" in out
    assert "present: column missing_col is missing" in out
    assert f"unique: {df.duplicated(['driver_id', 'datetime']).sum()} rows repeat an earlier (driver_id, datetime)" in out
    assert "exact: unexpected column acc_rate" in out and "exact: unexpected column datetime" in out
    assert "fs: error: 9 expectations failed" in proc.stderr


def test_an_empty_file_is_not_damaged(run_fs, tmp_path):
    """pandas writes a 0-row file with a row group whose chunks have no pages
    (data page offset 0): fs reads it as empty, not as damaged."""
    pd.DataFrame({"driver_id": pd.Series([], dtype="int64"), "x": pd.Series([], dtype="float64")}).to_parquet(
        tmp_path / "empty.parquet", index=False)
    prof = json.loads(run_fs("profile", "empty.parquet", "--json").stdout)
    assert prof["rows"] == 0 and [c["count"] for c in prof["columns"]] == [0, 0]
