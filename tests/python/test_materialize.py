"""fs materialize against an independent as-of join (DuckDB) on random data
with ties, duplicates, nulls, TTLs, late-created rows, unsorted input and
several files, and on the real files in examples/data; pandas and pyarrow
read what fs writes."""
import json
import os
import pathlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oracle import asof

SHARED = pathlib.Path(__file__).resolve().parents[2] / "examples" / "data"  # the real data, kept in the repository
T0 = pd.Timestamp("2024-01-01", tz="UTC")


def assert_same(got, want, cols):
    assert len(got) == len(want)
    for c in cols:
        g, w = got[c].to_numpy(dtype=float), want[c].to_numpy(dtype=float)
        same = (g == w) | (np.isnan(g) & np.isnan(w))
        bad = np.flatnonzero(~same)
        assert len(bad) == 0, f"{c}: {len(bad)} rows differ, first {bad[:5]}: fs {g[bad[:5]]} oracle {w[bad[:5]]}"


def random_source(rng, n, keys, label):
    hours = rng.integers(0, 200, n)                   # coarse grid: many ties
    df = pd.DataFrame({
        "driver_id": rng.choice(keys, n).astype("int64"),
        "ts": T0 + pd.to_timedelta(hours, unit="h"),
        "created": T0 + pd.to_timedelta(hours * 60 + rng.integers(0, 3000, n), unit="m"),
        "x": rng.normal(size=n),
        "y": rng.normal(size=n),
    })
    df.loc[rng.random(n) < 0.1, "x"] = np.nan
    df.loc[rng.random(n) < 0.1, "y"] = np.nan
    late = rng.random(n) < 0.1                        # backfills created long after
    df.loc[late, "created"] = df.loc[late, "created"] + pd.Timedelta(days=30)
    nullc = rng.random(n) < 0.03
    df["created"] = df["created"].astype("object")
    df.loc[nullc, "created"] = None
    df["created"] = pd.to_datetime(df["created"], utc=True)
    dup = df.sample(n // 20, random_state=int(label))  # exact duplicate rows
    return pd.concat([df, dup]).sample(frac=1, random_state=int(label)).reset_index(drop=True)


DEFS = """
entities:
  - name: driver
    join_keys: [driver_id]
  - name: city
    join_keys: [city]
sources:
  - name: stats
    path: stats
    entity: driver
    timestamp_field: ts
    created_timestamp_field: created
  - name: cities
    path: cities.parquet
    entity: city
    timestamp_field: ts
features:
  - name: x
    source: stats
    expr: x
  - name: y_recent
    source: stats
    expr: y
    ttl: 5h
  - name: z
    source: stats
    expr: x * 2 + (y ?? 0)
  - name: zz
    source: stats
    expr: z + 1
    ttl: 30h
  - name: demand
    source: cities
    expr: demand * 1.5
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_against_duckdb(run_fs, tmp_path, seed):
    rng = np.random.default_rng(seed)
    keys = np.arange(1000, 1040)
    src = random_source(rng, 4000, keys, seed)
    (tmp_path / "stats").mkdir()
    half = len(src) // 2                              # two files, in path order
    src.iloc[:half].to_parquet(tmp_path / "stats" / "part-0.parquet", index=False)
    src.iloc[half:].to_parquet(tmp_path / "stats" / "part-1.parquet", index=False, row_group_size=500)
    cities = pd.DataFrame({"city": rng.choice(["a", "b", "c"], 300),
                           "ts": T0 + pd.to_timedelta(rng.integers(0, 200, 300), unit="h"),
                           "demand": rng.integers(0, 100, 300).astype("int32")})
    cities.to_parquet(tmp_path / "cities.parquet", index=False)
    n = 3000
    secs = rng.integers(-5 * 3600, 210 * 3600, n)
    secs[::2] = secs[::2] // 3600 * 3600              # on the hour: exact ties with source times and TTL bounds
    ents = pd.DataFrame({
        "driver_id": rng.choice(np.arange(995, 1045), n).astype("int64"),   # some keys absent
        "city": rng.choice(["a", "b", "c", "d"], n),
        "event_timestamp": T0 + pd.to_timedelta(secs, unit="s"),
        "label": rng.normal(size=n),
    })
    ents = pd.concat([ents, ents.iloc[:100]]).reset_index(drop=True)       # duplicate entity rows
    ents.to_parquet(tmp_path / "ents.parquet", index=False)
    csv = ents.copy()
    csv["event_timestamp"] = csv["event_timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S+00:00")
    csv.to_csv(tmp_path / "ents.tsv", sep="\t", index=False)
    (tmp_path / "features.yaml").write_text(DEFS)
    run_fs("init")
    run_fs("register", "features.yaml")
    cutoff = "2024-01-20T00:00:00Z"
    out = json.loads(run_fs("materialize", "--features", "x,y_recent,z,zz,demand", "--entities", "ents.parquet",
                            "--out", "train.parquet", "--as-of", cutoff, "--json").stdout)
    got = pd.read_parquet(tmp_path / "train.parquet")
    assert list(got.columns) == ["driver_id", "city", "event_timestamp", "label", "x", "y_recent", "z", "zz", "demand"]
    assert (got["driver_id"].to_numpy() == ents["driver_id"].to_numpy()).all()
    assert (got["label"].to_numpy() == ents["label"].to_numpy()).all()
    assert out["rows"] == len(ents)

    files = sorted(str(p) for p in (tmp_path / "stats").glob("*.parquet"))
    want = asof(ents, files, ["driver_id"], "ts", "created", "2024-01-20 00:00:00",
                {"x": ("x", None), "y_recent": ("y", 5 * 3600), "z": ("x * 2 + coalesce(y, 0)", None),
                 "zz": ("x * 2 + coalesce(y, 0) + 1", 30 * 3600)})
    assert_same(got, want, ["x", "y_recent", "z", "zz"])
    want_c = asof(ents, [str(tmp_path / "cities.parquet")], ["city"], "ts", None, None,
                  {"demand": ("demand * 1.5", None)})
    assert_same(got, want_c, ["demand"])
    # Something was actually joined, and the rules had work to do.
    assert got["x"].notna().sum() > n // 2
    assert got["y_recent"].isna().sum() > got["x"].isna().sum()
    # The null counts fs reports are pandas' own, and their parts add up;
    # y_recent's extra nulls are its TTL's.
    nulls = {n["name"]: n for n in out["nulls"]}
    for f in ["x", "y_recent", "z", "zz", "demand"]:
        assert nulls[f]["nulls"] == got[f].isna().sum(), f
        assert nulls[f]["no_row"] + nulls[f]["outside_ttl"] + nulls[f]["null_value"] == nulls[f]["nulls"]
    assert nulls["y_recent"]["outside_ttl"] > 0 and nulls["x"]["outside_ttl"] == 0

    # Spilled (a memory limit far below the sources): both sources are split
    # by key into partitions on disk and read back; the same dataset, byte
    # for byte, and no spill file left behind.
    spilled = run_fs("materialize", "--features", "x,y_recent,z,zz,demand", "--entities", "ents.parquet",
                     "--out", "spilled.parquet", "--as-of", cutoff, "--memory-limit", "4KiB", "--json")
    assert "source stats (4200 rows)" in spilled.stderr and "source cities (300 rows)" in spilled.stderr
    assert json.loads(spilled.stdout)["id"] == out["id"]
    assert (tmp_path / "spilled.parquet").read_bytes() == (tmp_path / "train.parquet").read_bytes()
    assert not list((tmp_path / ".fs" / "tmp").iterdir())

    # The same request from the tab-separated file gives the same dataset and bytes.
    out2 = json.loads(run_fs("materialize", "--features", "x,y_recent,z,zz,demand", "--entities", "ents.tsv",
                             "--out", "train2.parquet", "--as-of", cutoff, "--json").stdout)
    got2 = pd.read_parquet(tmp_path / "train2.parquet")
    assert_same(got2, got, ["x", "y_recent", "z", "zz", "demand", "label"])


def test_cutoff_makes_rebuilds_identical(run_fs, tmp_path):
    rng = np.random.default_rng(7)
    src = random_source(rng, 2000, np.arange(10), 7)
    src.to_parquet(tmp_path / "s.parquet", index=False)
    (tmp_path / "features.yaml").write_text(
        "entities: [{name: driver, join_keys: [driver_id]}]\n"
        "sources: [{name: stats, path: s.parquet, entity: driver, timestamp_field: ts, created_timestamp_field: created}]\n"
        "features: [{name: x, source: stats, expr: x}]\n")
    ents = pd.DataFrame({"driver_id": rng.integers(0, 10, 500), "event_timestamp":
                         T0 + pd.to_timedelta(rng.integers(0, 200 * 3600, 500), unit="s")})
    ents.to_csv(tmp_path / "e.csv", index=False)
    run_fs("init")
    run_fs("register", "features.yaml")
    args = ["materialize", "--features", "x", "--entities", "e.csv", "--as-of", "2024-01-05T00:00:00Z", "--json"]
    a = json.loads(run_fs(*args, "--out", "a.parquet").stdout)
    # A backfill: rows for old event times, created after the cutoff.
    late = src.sample(300, random_state=1).copy()
    late["x"] = 999.0
    late["created"] = pd.Timestamp("2024-03-01", tz="UTC")
    pd.concat([src, late]).to_parquet(tmp_path / "s.parquet", index=False)
    b = json.loads(run_fs(*args, "--out", "b.parquet").stdout)
    ta, tb = pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
    assert_same(ta, tb, ["x"])
    assert (tb["x"] != 999.0).all()
    assert a["sources"][0]["digest"] != b["sources"][0]["digest"], "the snapshot records the new data"
    # Without the cutoff the backfill shows.
    c = json.loads(run_fs("materialize", "--features", "x", "--entities", "e.csv", "--as-of", "2024-04-01T00:00:00Z",
                          "--out", "c.parquet", "--json").stdout)
    assert (pd.read_parquet(tmp_path / "c.parquet")["x"] == 999.0).any()
    assert c["id"] != b["id"]


def test_output_file_metadata_and_determinism(run_fs, tmp_path):
    run_fs("demo", "--data-only", ".")
    run_fs("init")
    run_fs("register", "features.yaml")
    args = ["materialize", "--feature-set", "driver_ranking", "--entities", "orders.tsv", "--as-of",
            "2021-05-01T00:00:00Z", "--json"]
    a = json.loads(run_fs(*args, "--out", "a.parquet").stdout)
    b = json.loads(run_fs(*args, "--out", "b.parquet").stdout)
    assert a["id"] == b["id"]
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    f = pq.ParquetFile(tmp_path / "a.parquet")
    meta = {k.decode(): v.decode() for k, v in f.metadata.metadata.items()}
    assert meta["fs.dataset_id"] == a["id"]
    feats = json.loads(meta["fs.features"])
    assert [x["name"] for x in feats] == ["conv_rate", "acc_rate", "avg_daily_trips"]
    assert all(len(x["version"]) == 64 for x in feats)
    assert meta["fs.cutoff"] == "2021-05-01T00:00:00Z"
    assert json.loads(meta["fs.entities"])["rows"] == 800
    assert json.loads(meta["fs.sources"])[0]["name"] == "driver_stats"
    assert meta["fs.version"]
    schema = f.schema_arrow
    assert schema.field("event_timestamp").type == pa.timestamp("us", tz="UTC")
    assert f.metadata.row_group(0).column(0).compression == "ZSTD"
    import duckdb
    n = duckdb.sql(f"select count(*) from '{tmp_path / 'a.parquet'}'").fetchall()[0][0]
    assert n == 800


def test_real_files_against_duckdb(run_fs, tmp_path):
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
  - {{name: acc_rate, source: driver_stats, expr: acc_rate, ttl: 2h}}
  - {{name: avg_daily_trips, source: driver_stats, expr: avg_daily_trips}}
""")
    run_fs("init")
    run_fs("register", "features.yaml")
    run_fs("materialize", "--features", "conv_rate,acc_rate,avg_daily_trips", "--entities",
           str(SHARED / "driver_orders.csv"), "--out", "train.parquet", "--as-of", "2021-08-01T00:00:00Z")
    got = pd.read_parquet(tmp_path / "train.parquet")
    ents = pd.read_csv(SHARED / "driver_orders.csv", sep="\t")
    ents["event_timestamp"] = pd.to_datetime(ents["event_timestamp"], utc=True)
    assert list(got["trip_completed"]) == list(ents["trip_completed"])
    want = asof(ents, [str(SHARED / "driver_stats.parquet")], ["driver_id"], "datetime", "created",
                "2021-08-01 00:00:00",
                {"conv_rate": ("conv_rate", None), "acc_rate": ("acc_rate", 7200),
                 "avg_daily_trips": ("avg_daily_trips", None)})
    assert_same(got, want, ["conv_rate", "acc_rate", "avg_daily_trips"])
    assert got["conv_rate"].notna().sum() >= 8
    # Before every created time: nothing is visible.
    run_fs("materialize", "--features", "conv_rate", "--entities", str(SHARED / "driver_orders.csv"),
           "--out", "early.parquet", "--as-of", "2021-07-01T00:00:00Z")
    assert pd.read_parquet(tmp_path / "early.parquet")["conv_rate"].isna().all()


def test_pinned_old_version_computes_the_old_way(run_fs, tmp_path):
    run_fs("demo", "--data-only", ".")
    run_fs("init")
    old = {f["name"]: f["version"] for f in json.loads(run_fs("register", "features.yaml", "--json").stdout)["features"]}
    text = (tmp_path / "features.yaml").read_text().replace("expr: avg_daily_trips / 24.0", "expr: avg_daily_trips / 24.0 * 1.5")
    (tmp_path / "features.yaml").write_text(text)
    new = {f["name"]: f["version"] for f in json.loads(run_fs("register", "features.yaml", "--json").stdout)["features"]}
    assert new["trips_per_hour"] != old["trips_per_hour"]
    common = ["--entities", "orders.tsv", "--as-of", "2021-05-01T00:00:00Z"]
    run_fs("materialize", "--features", f"trips_per_hour@{old['trips_per_hour'][:12]},avg_daily_trips", *common,
           "--out", "old.parquet")
    run_fs("materialize", "--features", "trips_per_hour,avg_daily_trips", *common, "--out", "new.parquet")
    o, n = pd.read_parquet(tmp_path / "old.parquet"), pd.read_parquet(tmp_path / "new.parquet")
    ok = o["avg_daily_trips"].notna()
    assert ok.sum() > 700
    assert (o.loc[ok, "trips_per_hour"] == o.loc[ok, "avg_daily_trips"] / 24.0).all()
    assert (n.loc[ok, "trips_per_hour"] == n.loc[ok, "avg_daily_trips"] / 24.0 * 1.5).all()
    # engagement depends on trips_per_hour: its current version reads the new one.
    run_fs("materialize", "--features", "engagement,trips_per_hour,conv_rate,acc_rate", *common, "--out", "eng.parquet")
    e = pd.read_parquet(tmp_path / "eng.parquet")
    both = e["trips_per_hour"].notna()
    want = e["conv_rate"].fillna(0) * e["acc_rate"].fillna(0) + e["trips_per_hour"] / 100
    assert both.sum() > 700
    assert (e.loc[both, "engagement"] == want[both]).all()
    assert e.loc[~both, "engagement"].isna().all(), "a null trips_per_hour makes engagement null"


def test_source_schema_change_is_refused(run_fs, tmp_path):
    run_fs("demo", "--data-only", ".")
    run_fs("init")
    run_fs("register", "features.yaml")
    df = pd.read_parquet(tmp_path / "driver_stats.parquet")
    df["conv_rate"] = df["conv_rate"].astype("float32")
    df.to_parquet(tmp_path / "driver_stats.parquet", index=False)
    proc = run_fs("materialize", "--features", "conv_rate", "--entities", "orders.tsv", "--out", "x.parquet",
                  check=False)
    assert proc.returncode == 1
    assert "source driver_stats column conv_rate is FLOAT now, but feature conv_rate@e8acb2bb2fa1 was registered on DOUBLE" in proc.stderr
    assert "fs: hint: register the definitions again" in proc.stderr
    assert not (tmp_path / "x.parquet").exists()


def test_value_error_names_the_source_row(run_fs, tmp_path):
    """An expression that fails names the source row it failed on (numbered
    across the source, from 1), in memory and spilled alike."""
    pd.DataFrame({"driver_id": [2, 1, 1, 1], "ts": T0 + pd.to_timedelta([1, 1, 2, 3], unit="h"),
                  "x": [1.0, 1.0, 2.0, 1e300]}).to_parquet(tmp_path / "s.parquet", index=False)
    pd.DataFrame({"driver_id": [2, 1], "event_timestamp": [T0 + pd.Timedelta(hours=5)] * 2}).to_parquet(
        tmp_path / "e.parquet", index=False)
    (tmp_path / "f.yaml").write_text(
        "entities: [{name: driver, join_keys: [driver_id]}]\n"
        "sources: [{name: s, path: s.parquet, entity: driver, timestamp_field: ts}]\n"
        "features:\n  - {name: big, source: s, expr: int(x * 10)}\n")
    run_fs("init")
    run_fs("register", "f.yaml")
    for limit in [[], ["--memory-limit", "1KiB"]]:
        proc = run_fs("materialize", "--features", "big", "--entities", "e.parquet", "--out", "o.parquet", *limit,
                      check=False)
        assert proc.returncode == 1, proc.stderr
        assert "on source s row 4: 1:1: int(1e+301): no int64 holds it" in proc.stderr, proc.stderr
        assert not (tmp_path / "o.parquet").exists()


def test_duckdb_written_source_and_entities(run_fs, tmp_path):
    """DuckDB writes legacy integer annotations (INT_64, INT_32), FLOAT and
    strings; fs reads them and agrees with DuckDB's own ASOF JOIN."""
    import duckdb
    src, ents = tmp_path / "src.parquet", tmp_path / "ents.parquet"
    duckdb.sql(f"""COPY (SELECT (i % 7)::BIGINT AS driver_id, TIMESTAMPTZ '2024-01-01' + INTERVAL (i) HOUR AS ts,
                   (i * 0.5)::DOUBLE AS x, (i % 3)::INTEGER AS k, ('s' || (i % 4)) AS name,
                   CASE WHEN i % 5 = 0 THEN NULL ELSE i::FLOAT END AS f FROM range(1000) t(i))
                   TO '{src}' (FORMAT parquet)""")
    duckdb.sql(f"""COPY (SELECT (i % 7)::BIGINT AS driver_id, TIMESTAMPTZ '2024-01-10' + INTERVAL (i) MINUTE AS event_timestamp
                   FROM range(50) t(i)) TO '{ents}' (FORMAT parquet)""")
    (tmp_path / "f.yaml").write_text(
        "entities: [{name: driver, join_keys: [driver_id]}]\n"
        "sources: [{name: s, path: src.parquet, entity: driver, timestamp_field: ts}]\n"
        "features:\n  - {name: x2, source: s, expr: x * 2}\n  - {name: kk, source: s, expr: k}\n"
        "  - {name: upper_name, source: s, expr: upper(name)}\n  - {name: ff, source: s, expr: f ?? -1}\n")
    run_fs("init")
    run_fs("register", "f.yaml")
    run_fs("materialize", "--features", "x2,kk,upper_name,ff", "--entities", "ents.parquet", "--out", "o.parquet")
    got = pd.read_parquet(tmp_path / "o.parquet")
    run_fs("materialize", "--features", "x2,kk,upper_name,ff", "--entities", "ents.parquet", "--out", "spilled.parquet",
           "--memory-limit", "2KiB")
    assert (tmp_path / "spilled.parquet").read_bytes() == (tmp_path / "o.parquet").read_bytes()
    want = duckdb.sql(f"""SELECT s.x * 2 AS x2, s.k AS kk, upper(s.name) AS upper_name, coalesce(s.f, -1) AS ff
                          FROM (SELECT *, row_number() OVER () AS r FROM '{ents}') e
                          ASOF LEFT JOIN '{src}' s ON e.driver_id = s.driver_id AND e.event_timestamp >= s.ts
                          ORDER BY e.r""").df()
    assert len(got) == 50
    for c in ["x2", "kk", "upper_name", "ff"]:
        assert list(got[c]) == list(want[c]), c
