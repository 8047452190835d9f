"""fs materialize --engine spark against a real Spark Connect server (pinned
pyspark; the test command starts it): the output file is byte for byte the
local engine's and the dataset id the same, on the demo data and on random
data with ties, duplicates, nulls, late rows, null created times, TTLs, a
cutoff, two files, row groups and string keys."""
import json
import os
import re
import subprocess

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from test_materialize import DEFS, T0, random_source


@pytest.fixture(scope="session")
def spark_remote():
    remote = os.environ.get("FS_SPARK_REMOTE")
    if not remote:
        if os.environ.get("CI"):
            pytest.fail("FS_SPARK_REMOTE is not set in CI: the test command must start the Spark Connect server")
        pytest.skip("FS_SPARK_REMOTE is not set: scripts/test.sh starts a Spark Connect server")
    return remote


def both_engines(run_fs, remote, *args):
    """Materializes with each engine; returns their JSON and output bytes."""
    out = {}
    for engine in ("local", "spark"):
        extra = ["--engine", "spark", "--spark-remote", remote] if engine == "spark" else []
        res = json.loads(run_fs("materialize", *args, "--out", f"{engine}.parquet", "--json", "-q", *extra).stdout)
        out[engine] = (res, (run_fs.cwd / f"{engine}.parquet").read_bytes())
    return out


@pytest.fixture()
def fs_in(run_fs, tmp_path, fs_bin):
    run_fs.cwd, run_fs.fs_bin = tmp_path, fs_bin
    return run_fs


def test_demo_data_same_bytes(fs_in, spark_remote):
    fs_in("demo", "--data-only", ".")
    fs_in("init")
    fs_in("register", "features.yaml")
    for cutoff in (["--as-of", "2021-05-01T00:00:00Z"], ["--as-of", "2021-04-10T12:00:00Z"]):  # "now" would differ between runs
        got = both_engines(fs_in, spark_remote, "--feature-set", "driver_ranking", "--entities", "orders.tsv", *cutoff)
        (local, lb), (spark, sb) = got["local"], got["spark"]
        assert lb == sb, "the spark engine's file differs from the local engine's"
        assert spark["id"] == local["id"] and spark["file_digest"] == local["file_digest"]
        assert [n["nulls"] for n in spark["nulls"]] == [n["nulls"] for n in local["nulls"]]
    # A run on the spark engine's dataset reproduces (with the local engine).
    fs_in("materialize", "--features", "conv_rate,acc_rate", "--entities", "orders.tsv", "--out", "t.parquet",
          "--as-of", "2021-05-01T00:00:00Z", "--engine", "spark", "--spark-remote", spark_remote)
    run = json.loads(fs_in("train", "--dataset", "t.parquet", "--target", "trip_completed", "--drop-nulls", "--json").stdout)
    assert fs_in("reproduce", run["run"]["id"]).stdout.strip().endswith("reproduced: identical")


@pytest.mark.parametrize("seed", [1, 2])
def test_random_data_same_bytes(fs_in, tmp_path, spark_remote, seed):
    rng = np.random.default_rng(seed)
    src = random_source(rng, 4000, np.arange(1000, 1040), seed)
    (tmp_path / "stats").mkdir()
    half = len(src) // 2
    # Spark reads microsecond timestamps (it refuses nanoseconds): written so for both engines.
    src.iloc[:half].to_parquet(tmp_path / "stats" / "part-0.parquet", index=False, coerce_timestamps="us")
    src.iloc[half:].to_parquet(tmp_path / "stats" / "part-1.parquet", index=False, row_group_size=500, coerce_timestamps="us")
    cities = pd.DataFrame({"city": rng.choice(["a", "b", "c"], 300),
                           "ts": T0 + pd.to_timedelta(rng.integers(0, 200, 300), unit="h"),
                           "demand": rng.integers(0, 100, 300).astype("int32")})
    cities.to_parquet(tmp_path / "cities.parquet", index=False, coerce_timestamps="us")
    n = 3000
    secs = rng.integers(-5 * 3600, 210 * 3600, n)
    secs[::2] = secs[::2] // 3600 * 3600
    ents = pd.DataFrame({"driver_id": rng.choice(np.arange(995, 1045), n).astype("int64"),
                         "city": rng.choice(["a", "b", "c", "d"], n),
                         "event_timestamp": T0 + pd.to_timedelta(secs, unit="s"), "label": rng.normal(size=n)})
    ents = pd.concat([ents, ents.iloc[:100]]).reset_index(drop=True)
    ents.to_parquet(tmp_path / "ents.parquet", index=False)
    (tmp_path / "features.yaml").write_text(DEFS)
    fs_in("init")
    fs_in("register", "features.yaml")
    got = both_engines(fs_in, spark_remote, "--features", "x,y_recent,z,zz,demand", "--entities", "ents.parquet",
                       "--as-of", "2024-01-20T00:00:00Z")
    (local, lb), (spark, sb) = got["local"], got["spark"]
    assert spark["id"] == local["id"]
    assert lb == sb, "the spark engine's file differs from the local engine's"
    frame = pd.read_parquet(tmp_path / "spark.parquet")
    assert frame["x"].notna().sum() > n // 2 and frame["y_recent"].isna().sum() > frame["x"].isna().sum()


def test_unreachable_server(fs_in):
    fs_in("demo", "--data-only", ".")
    fs_in("init")
    fs_in("register", "features.yaml")
    proc = fs_in("materialize", "--features", "conv_rate", "--entities", "orders.tsv", "--out", "x.parquet",
                 "--engine", "spark", "--spark-remote", "sc://127.0.0.1:9", check=False)
    assert proc.returncode == 10
    assert "fs: error: cannot reach the Spark Connect server at sc://127.0.0.1:9" in proc.stderr
    assert "fs: hint:" in proc.stderr
    assert not os.path.exists(fs_in.cwd / "x.parquet")


def test_python_client_with_the_spark_engine(run_fs, tmp_path, spark_remote, monkeypatch, fs_bin):
    import fs_features as fs
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FS_BIN", fs_bin)
    run_fs("demo", "--data-only", ".")
    store = fs.Store.init(".fs")
    store.register("features.yaml")
    local = store.training_set(["conv_rate", "acc_rate"], entities="orders.tsv", as_of="2021-05-01T00:00:00Z")
    spark = store.training_set(["conv_rate", "acc_rate"], entities="orders.tsv", as_of="2021-05-01T00:00:00Z",
                               engine="spark", spark_remote=spark_remote)
    assert spark.attrs["fs"]["dataset_id"] == local.attrs["fs"]["dataset_id"]
    pd.testing.assert_frame_equal(spark, local)


def test_source_at_a_uri(fs_in, tmp_path, spark_remote, monkeypatch):
    """A source only Spark reads (here file:// URIs, as s3a:// or hdfs:// on a cluster): its schema, files, row count
    and file digests come from Spark; the values and the snapshot digest are those of the same file read locally."""
    fs_in("demo", "--data-only", ".")
    defs = (tmp_path / "features.yaml").read_text()
    (tmp_path / "uri.yaml").write_text(defs.replace("path: driver_stats.parquet", f"path: file://{tmp_path}/driver_stats.parquet"))
    (tmp_path / "local").mkdir()
    for f in ("features.yaml", "driver_stats.parquet", "trips.parquet", "orders.tsv"):
        (tmp_path / "local" / f).write_bytes((tmp_path / f).read_bytes())
    monkeypatch.setenv("SPARK_REMOTE", spark_remote)
    fs_in("init")
    fs_in("register", "uri.yaml")
    args = ["--feature-set", "driver_ranking", "--entities", "orders.tsv", "--as-of", "2021-05-01T00:00:00Z", "--json", "-q"]
    spark = json.loads(fs_in("materialize", *args, "--out", "uri.parquet", "--engine", "spark").stdout)
    assert spark["sources"][0]["files"][0]["path"].startswith("file:")
    # The same file, registered by its path and materialized locally: the same values and snapshot.
    store = str(tmp_path / "local" / ".fs")
    env = {**os.environ, "FS_STORE": store}
    fsbin = fs_in.fs_bin
    for cmd in (["init"], ["register", "features.yaml"], ["materialize", *args, "--out", "l.parquet"]):
        res = subprocess.run([fsbin, *cmd], cwd=tmp_path / "local", env=env, capture_output=True, text=True, check=True)
    local = json.loads(res.stdout)
    assert spark["sources"][0]["digest"] == local["sources"][0]["digest"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "uri.parquet"), pd.read_parquet(tmp_path / "local" / "l.parquet"))
    # Without the Spark engine, a clear refusal; a run on it reproduces through Spark.
    proc = fs_in("materialize", "--feature-set", "driver_ranking", "--entities", "orders.tsv", "--out", "x.parquet", check=False)
    assert proc.returncode == 1 and "is a URI, which fs reads only through Spark" in proc.stderr
    run = json.loads(fs_in("train", "--dataset", "uri.parquet", "--target", "trip_completed", "--drop-nulls", "--json").stdout)
    rep = fs_in("reproduce", run["run"]["id"])
    assert "source   driver_stats: unchanged" in rep.stdout and rep.stdout.strip().endswith("reproduced: identical")
    # A source Spark cannot read: said so, with a hint, nothing registered.
    (tmp_path / "gone.yaml").write_text(defs.replace("path: driver_stats.parquet", f"path: file://{tmp_path}/nowhere.parquet"))
    before = fs_in("features", "list", "--json").stdout
    proc = fs_in("register", "gone.yaml", check=False)
    assert proc.returncode == 1 and "Spark could not read the schema of" in proc.stderr and "fs: hint:" in proc.stderr
    assert fs_in("features", "list", "--json").stdout == before


def test_aggregations_same_bytes(fs_in, tmp_path, spark_remote):
    """Windowed aggregations on the Spark engine: Spark reads the events the entity rows' windows reach,
    fs computes the windows; the file is byte for byte the local engine's, for the demo's trips and for
    random events with ties, nulls and a cutoff in two files."""
    fs_in("demo", "--data-only", ".")
    rng = np.random.default_rng(7)
    (tmp_path / "rides").mkdir()
    t0 = pd.Timestamp("2021-04-01", tz="UTC")
    for f in range(2):
        n = 5000
        ts = t0 + pd.to_timedelta(rng.integers(0, 24 * 20, n), unit="h")
        rides = pd.DataFrame({"driver_id": rng.integers(1001, 1006, n).astype("int64"), "ts": ts,
                              "created": ts + pd.to_timedelta(rng.integers(0, 48, n), unit="h"),
                              "fare": np.where(rng.random(n) < 0.05, np.nan, np.round(rng.gamma(2, 9, n), 2)),
                              "city": rng.choice(["paris", "lyon", "nice"], n)})
        rides.to_parquet(tmp_path / "rides" / f"part-{f}.parquet", index=False, row_group_size=700, coerce_timestamps="us")
    (tmp_path / "features.yaml").write_text((tmp_path / "features.yaml").read_text().replace("features:\n", """  - name: rides
    path: rides
    entity: driver
    timestamp_field: ts
    created_timestamp_field: created
features:
  - {name: rides_1d, source: rides, aggregate: count, window: 1d}
  - {name: fare_sum_7d, source: rides, aggregate: sum, expr: fare, window: 7d}
  - {name: fare_std_3d, source: rides, aggregate: stddev, expr: fare, window: 3d}
  - {name: cities_2d, source: rides, aggregate: count_distinct, expr: city, window: 2d}
  - {name: dear_2d, source: rides, aggregate: count, window: 2d, where: fare > 20}
  - {name: last_city_12h, source: rides, aggregate: last, expr: city, window: 12h}
""", 1))
    fs_in("init")
    fs_in("register", "features.yaml")
    features = "trips_7d,fare_mean_7d,long_trips_1d,rides_1d,fare_sum_7d,fare_std_3d,cities_2d,dear_2d,last_city_12h,conv_rate"
    got = both_engines(fs_in, spark_remote, "--features", features, "--entities", "orders.tsv", "--as-of", "2021-04-12T00:00:00Z")
    (local, lb), (spark, sb) = got["local"], got["spark"]
    assert lb == sb, "the spark engine's file differs from the local engine's"
    assert spark["id"] == local["id"]
    assert pd.read_parquet(tmp_path / "spark.parquet")["rides_1d"].gt(0).mean() > 0.5
    # Spark read the events, only those of the entity rows' keys and times (orders.tsv reaches back from its
    # earliest order less the longest window, 7 days): fewer than the source holds.
    proc = fs_in("materialize", "--features", "fare_sum_7d", "--entities", "orders.tsv", "--as-of", "2021-04-12T00:00:00Z",
                 "--out", "timed.parquet", "--timings", "--engine", "spark", "--spark-remote", spark_remote)
    read = re.search(r"source rides: read (\d+) of its (\d+) events elsewhere \(Spark\)", proc.stderr)
    assert read, proc.stderr
    assert 0 < int(read[1]) < int(read[2]) == 10000


def test_bucket_and_table_sources_same_bytes(fs_bin, tmp_path, spark_remote, s3):
    """Sources in a bucket (s3://, which Spark reads as s3a://) and an Iceberg table (Spark reads the data files of
    the snapshot fs lists): the Spark engine's file is byte for byte the local engine's."""
    from pyiceberg.catalog.sql import SqlCatalog
    env = {**os.environ, **s3.env, "FS_STORE": str(tmp_path / ".fs")}

    def fs(*args):
        proc = subprocess.run([fs_bin, *args], cwd=tmp_path, capture_output=True, text=True, env=env)
        assert proc.returncode == 0, f"fs {' '.join(args)}: {proc.stderr}"
        return proc
    fs.cwd = tmp_path
    fs("demo", "--data-only", ".")
    bucket = s3.bucket()
    s3.client.upload_file(str(tmp_path / "driver_stats.parquet"), bucket, "team/driver_stats.parquet")
    cat = SqlCatalog("lake", uri=f"sqlite:///{tmp_path}/catalog.db", warehouse=f"file://{tmp_path}/wh")
    cat.create_namespace("rides")
    trips = pq.read_table(tmp_path / "trips.parquet")
    t = cat.create_table("rides.trips", schema=trips.schema)
    t.append(trips.slice(0, 900))
    t.append(trips.slice(900))
    defs = (tmp_path / "features.yaml").read_text()
    (tmp_path / "mixed.yaml").write_text(
        f"catalogs: [{{name: lake, type: sql, uri: 'sqlite:///catalog.db', warehouse: 'file://{tmp_path}/wh'}}]\n"
        + defs.replace("path: driver_stats.parquet", f"path: s3://{bucket}/team/driver_stats.parquet")
        .replace("    path: trips.parquet\n", "    table: lake.rides.trips\n"))
    fs("init")
    fs("register", "mixed.yaml")
    got = both_engines(fs, spark_remote, "--features", "conv_rate,acc_rate,trips_7d,fare_mean_7d,long_trips_1d",
                       "--entities", "orders.tsv", "--as-of", "2021-05-01T00:00:00Z")
    (local, lb), (spark, sb) = got["local"], got["spark"]
    assert lb == sb, "the spark engine's file differs from the local engine's"
    assert spark["id"] == local["id"]
    assert {s["name"]: s["digest"] for s in spark["sources"]} == {s["name"]: s["digest"] for s in local["sources"]}
