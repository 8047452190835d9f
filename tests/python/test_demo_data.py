"""pandas and pyarrow read the demo data fs writes, with the shape the demo
promises: hourly rows per driver, UTC timestamps, real nulls, duplicate rows,
late backfills, rows out of order; and fs registers it."""
import json

import pandas as pd
import pyarrow.parquet as pq


def test_pandas_reads_demo_parquet(run_fs, tmp_path):
    run_fs("demo", "--data-only", "data")
    path = tmp_path / "data" / "driver_stats.parquet"
    df = pd.read_parquet(path)
    assert list(df.columns) == ["datetime", "driver_id", "conv_rate", "acc_rate", "avg_daily_trips", "created"]
    assert str(df["datetime"].dt.tz) == "UTC"
    assert df["driver_id"].nunique() == 5
    assert df["conv_rate"].isna().sum() > 0 and df["avg_daily_trips"].isna().sum() > 0
    assert df.duplicated().sum() > 0, "exports have exact duplicate rows"
    late = df[df["created"] - df["datetime"] > pd.Timedelta(hours=24)]
    assert len(late) > 0, "there are backfilled rows"
    assert not df["datetime"].is_monotonic_increasing
    assert ((df["conv_rate"].dropna() >= 0) & (df["conv_rate"].dropna() <= 1)).all()
    meta = pq.ParquetFile(path).schema_arrow
    assert str(meta.field("datetime").type) == "timestamp[us, tz=UTC]"

    orders = pd.read_csv(tmp_path / "data" / "orders.tsv", sep="\t")
    assert list(orders.columns) == ["event_timestamp", "driver_id", "trip_completed"]
    ts = pd.to_datetime(orders["event_timestamp"], utc=True)
    assert ts.min() >= df["datetime"].min()
    assert set(orders["trip_completed"].unique()) <= {0, 1}


def test_demo_data_is_deterministic(run_fs, tmp_path):
    run_fs("demo", "--data-only", "a")
    run_fs("demo", "--data-only", "b")
    for name in ["driver_stats.parquet", "orders.tsv", "features.yaml"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_register_demo_json(run_fs, tmp_path):
    run_fs("demo", "--data-only", "data")
    run_fs("init")
    out = json.loads(run_fs("register", "data/features.yaml", "--json").stdout)
    by_name = {f["name"]: f for f in out["features"]}
    assert by_name["trips_per_hour"]["status"] == "new"
    assert len(by_name["trips_per_hour"]["version"]) == 64
    listed = json.loads(run_fs("features", "list", "--json").stdout)
    assert {f["name"]: f["current"] for f in listed} == {n: f["version"] for n, f in by_name.items()}
