"""Windowed aggregations against DuckDB, a second oracle beside the brute-force one of
materialize/window_test.go: count, sum, mean, min and max over RANGE windows on a larger
random set, written by pyarrow in several files and row groups."""
import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

HOUR = 3600 * 10**6
CUTOFF = pd.Timestamp("2024-03-01", tz="UTC")
FEATURES = [  # name, function, expr, window (days), DuckDB's aggregate
    ("n_3d", "count", None, 3, "count(*) FILTER (WHERE kind = 0)"),
    ("fares_3d", "count", "fare", 3, "count(fare)"),
    ("fare_sum_3d", "sum", "fare", 3, "sum(fare)"),
    ("fare_mean_7d", "mean", "fare", 7, "avg(fare)"),
    ("fare_min_1d", "min", "fare", 1, "min(fare)"),
    ("fare_max_1d", "max", "fare", 1, "max(fare)"),
    ("n_max_30d", "max", "n", 30, "max(n)"),
]


def write_events(tmp_path, rng, files=3, rows=60_000, keys=2_000):
    t0 = pd.Timestamp("2024-01-01", tz="UTC").value // 1000
    (tmp_path / "events").mkdir()
    for f in range(files):
        ts = t0 + rng.integers(0, 24 * 60, rows) * HOUR  # hourly: ties
        fare = np.round(rng.gamma(2.0, 9.0, rows), 2)
        fare_mask = rng.random(rows) < 0.05
        created = ts + rng.integers(0, 48, rows) * HOUR  # some created after the cutoff
        created_mask = rng.random(rows) < 0.1
        table = pa.table({
            "k": pa.array(rng.integers(0, keys, rows), pa.int64()),
            "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "created": pa.array(created, pa.timestamp("us", tz="UTC"), mask=created_mask),
            "fare": pa.array(fare, pa.float64(), mask=fare_mask),
            "n": pa.array(rng.integers(-50, 50, rows), pa.int64()),
        })
        pq.write_table(table, tmp_path / "events" / f"part-{f}.parquet", row_group_size=7_000)
    return t0


@pytest.mark.parametrize("seed", [1, 2])
def test_aggregations_against_duckdb(run_fs, tmp_path, seed):
    rng = np.random.default_rng(seed)
    t0 = write_events(tmp_path, rng)
    ents = pd.DataFrame({"k": rng.integers(0, 2_100, 30_000),
                         "event_timestamp": pd.to_datetime(t0 + rng.integers(0, 24 * 62, 30_000) * HOUR
                                                           + rng.integers(0, 2, 30_000) * 10**6, unit="us", utc=True)})
    ents.to_parquet(tmp_path / "entities.parquet", index=False)
    defs = ["entities: [{name: e, join_keys: [k]}]",
            "sources: [{name: ev, path: events, entity: e, timestamp_field: ts, created_timestamp_field: created}]",
            "features:"]
    for name, fn, expr, days, _ in FEATURES:
        defs.append(f"  - {{name: {name}, source: ev, aggregate: {fn}, window: {days}d" + (f", expr: {expr}}}" if expr else "}"))
    (tmp_path / "features.yaml").write_text("\n".join(defs) + "\n")
    run_fs("init")
    run_fs("register", "features.yaml")
    run_fs("materialize", "--features", ",".join(f[0] for f in FEATURES), "--entities", "entities.parquet",
           "--out", "fs.parquet", "--as-of", CUTOFF.isoformat())
    got = pd.read_parquet(tmp_path / "fs.parquet")

    cols = ", ".join(f"{agg} OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL {days} DAYS PRECEDING "
                     f"AND CURRENT ROW) AS {name}" for name, _, _, days, agg in FEATURES)
    want = duckdb.sql(f"""
        SET TimeZone='UTC';
        SELECT {", ".join(f[0] for f in FEATURES)} FROM (
          SELECT *, {cols} FROM (
            SELECT k, ts, fare, n, 0 AS kind, NULL::BIGINT AS _row FROM '{tmp_path}/events/*.parquet'
              WHERE created IS NULL OR created <= TIMESTAMPTZ '{CUTOFF.isoformat()}'
            UNION ALL
            SELECT k, event_timestamp, NULL, NULL, 1, row_number() OVER () FROM '{tmp_path}/entities.parquet'
          )
        ) WHERE _row IS NOT NULL ORDER BY _row""").df()
    for name, fn, _, _, _ in FEATURES:
        a, b = got[name].to_numpy(dtype=float), want[name].to_numpy(dtype=float)
        both_null = np.isnan(a) & np.isnan(b)
        if fn in ("sum", "mean"):  # DuckDB's double sums are not correctly rounded; fs's are
            ok = np.isclose(a, b, rtol=1e-12, atol=1e-9) | both_null
        else:
            ok = (a == b) | both_null
        assert ok.all(), f"{name}: {np.flatnonzero(~ok)[:5]} differ: fs {a[~ok][:5]}, duckdb {b[~ok][:5]}"
    assert (got["n_3d"] > 0).mean() > 0.5, "most entity rows should see events: the test tests little"


def test_python_client_takes_aggregations(fs_bin, tmp_path, monkeypatch):
    """store.training_set computes the demo's aggregations as fs materialize does, and a
    feature's versions say what an aggregation is."""
    import subprocess

    import fs_features as fs
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FS_BIN", fs_bin)
    subprocess.run([fs_bin, "demo", "--data-only", "."], check=True, capture_output=True)
    store = fs.Store.init(".fs")
    store.register("features.yaml")
    names = ["trips_7d", "fare_mean_7d", "long_trips_1d"]
    train = store.training_set(names, entities="orders.tsv", as_of="2021-04-20")
    subprocess.run([fs_bin, "materialize", "--features", ",".join(names), "--entities", "orders.tsv", "--out", "cli.parquet",
                    "--as-of", "2021-04-20T00:00:00Z", "--store", ".fs"], check=True, capture_output=True)
    cli = pd.read_parquet(tmp_path / "cli.parquet")
    for name in names:
        assert train[name].equals(cli[name]), name
    assert train["trips_7d"].dtype == "int64" and (train["trips_7d"] > 0).mean() > 0.5
    versions = store.feature("long_trips_1d")
    agg = versions["aggregation"].iloc[0]
    assert agg["function"] == "count" and agg["where"] == "distance_km > 10" and agg["window"] == 86400 * 10**9
