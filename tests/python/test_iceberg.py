"""Sources that are Iceberg tables, written by pyiceberg (a SQL catalog on SQLite; the warehouse in a local directory
or in the S3-compatible server the test command started): the values of the same rows read from parquet files, the
snapshot recorded, reproduce by time travel after appends, the refusal of an expired snapshot, fs doctor's warnings,
the commit order of "last write wins", and clear errors."""
import json
import os
import subprocess

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyiceberg.catalog.sql import SqlCatalog

AS_OF = "2021-05-01T00:00:00Z"
FEATURES = "trips_7d,fare_mean_7d,long_trips_1d,conv_rate,acc_rate"


@pytest.fixture()
def fs(fs_bin, tmp_path, s3):
    """fs(*args, check=True, env=None, store=".fs") in tmp_path, with the S3 server's AWS environment."""
    def run(*args, check=True, env=None, store=".fs"):
        full = {**os.environ, **s3.env, "FS_STORE": str(tmp_path / store), **(env or {})}
        proc = subprocess.run([fs_bin, *args], cwd=tmp_path, capture_output=True, text=True, env=full)
        if check and proc.returncode != 0:
            raise AssertionError(f"fs {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
        return proc
    return run


def catalog(tmp_path, warehouse, s3):
    props = {}
    if warehouse.startswith("s3://"):
        props = {"s3.endpoint": s3.env["AWS_ENDPOINT_URL"], "s3.access-key-id": s3.env["AWS_ACCESS_KEY_ID"],
                 "s3.secret-access-key": s3.env["AWS_SECRET_ACCESS_KEY"], "s3.region": "us-east-1"}
    return SqlCatalog("lake", uri=f"sqlite:///{tmp_path}/catalog.db", warehouse=warehouse, **props)


def table_defs(tmp_path, warehouse, max_age_ms=None):
    """The demo's definitions with its two sources as tables of the catalog lake."""
    defs = (tmp_path / "features.yaml").read_text()
    cat = f"catalogs:\n  - name: lake\n    type: sql\n    uri: sqlite:///catalog.db\n    warehouse: {warehouse}\n"
    (tmp_path / "lake.yaml").write_text(cat + defs.replace("    path: trips.parquet\n", "    table: lake.rides.trips\n")
                                        .replace("    path: driver_stats.parquet\n", "    table: lake.rides.driver_stats\n"))


def write_tables(tmp_path, cat, props=None):
    """The demo's files as tables: trips in two appends (two snapshots), driver stats in one."""
    cat.create_namespace_if_not_exists("rides")
    trips = pq.read_table(tmp_path / "trips.parquet")
    t = cat.create_table("rides.trips", schema=trips.schema, properties=props or {})
    t.append(trips.slice(0, 1000))
    t.append(trips.slice(1000))
    stats = pq.read_table(tmp_path / "driver_stats.parquet")
    cat.create_table("rides.driver_stats", schema=stats.schema).append(stats)
    return cat.load_table("rides.trips")


def materialize(fs, out, features=FEATURES, store=".fs"):
    return json.loads(fs("materialize", "--features", features, "--entities", "orders.tsv", "--as-of", AS_OF, "--out", out,
                         "--json", "-q", store=store).stdout)


@pytest.mark.parametrize("where", ["local", "s3"])
def test_tables_equal_the_files_on_disk(fs, tmp_path, s3, where):
    """As-of features and aggregations over Iceberg tables give the values of the same rows in parquet files; the
    dataset records each table's snapshot and data files (paths and sizes: nothing to hash)."""
    fs("demo", "--data-only", ".")
    warehouse = f"file://{tmp_path}/wh" if where == "local" else f"s3://{s3.bucket()}/wh"
    trips = write_tables(tmp_path, catalog(tmp_path, warehouse, s3))
    table_defs(tmp_path, warehouse)
    for store, defs in ((".fs", "lake.yaml"), ("files", "features.yaml")):
        fs("init", store=store)
        fs("register", defs, store=store)
    lake, files = materialize(fs, "lake.parquet"), materialize(fs, "files.parquet", store="files")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "lake.parquet"), pd.read_parquet(tmp_path / "files.parquet"))
    src = {s["name"]: s for s in lake["sources"]}
    snap = src["trips"]["table_snapshot"]
    assert snap["snapshot_id"] == trips.current_snapshot().snapshot_id and snap["table"] == "lake.rides.trips"
    assert snap["table_uuid"] == str(trips.metadata.table_uuid)
    assert len(src["trips"]["files"]) == 2 and all(f["size"] > 0 and "sha256" not in f for f in src["trips"]["files"])
    data = [f.file.file_path for f in trips.scan().plan_files()]
    assert sorted(p.replace("file://", "") for p in data) == sorted(f["path"] for f in src["trips"]["files"])
    assert lake["rows"] == files["rows"] == 800


def test_reproduce_reads_the_recorded_snapshot(fs, tmp_path, s3):
    """After appends, a run reproduces from the snapshot it read (time travel); once that snapshot expired,
    reproduce refuses with the reason and fs doctor warns."""
    fs("demo", "--data-only", ".")
    warehouse = f"file://{tmp_path}/wh"
    cat = catalog(tmp_path, warehouse, s3)
    trips = write_tables(tmp_path, cat)
    table_defs(tmp_path, warehouse)
    fs("init")
    fs("register", "lake.yaml")
    ds = materialize(fs, "train.parquet", "conv_rate,acc_rate,trips_7d")
    read = {s["name"]: s for s in ds["sources"]}["trips"]["table_snapshot"]["snapshot_id"]
    run = json.loads(fs("train", "--dataset", "train.parquet", "--target", "trip_completed", "--drop-nulls", "--json").stdout)["run"]["id"]
    more = pq.read_table(tmp_path / "trips.parquet").slice(0, 400)
    trips.append(more.set_column(more.schema.get_field_index("fare_usd"), "fare_usd", pa.compute.multiply(more["fare_usd"], 2)))
    now = cat.load_table("rides.trips").current_snapshot().snapshot_id
    rep = fs("reproduce", run).stdout
    assert f"table lake.rides.trips is at snapshot {now} now; snapshot {read}, as recorded, was read" in rep
    assert rep.strip().endswith("reproduced: identical")
    assert materialize(fs, "again.parquet", "conv_rate,acc_rate,trips_7d")["id"] != ds["id"]  # the appended rows count now
    assert json.loads(fs("doctor", "--json").stdout)["warnings"] == []
    cat.load_table("rides.trips").maintenance.expire_snapshots().by_id(read).commit()
    proc = fs("reproduce", run, check=False)
    assert proc.returncode == 1
    assert f"the dataset read snapshot {read} of table lake.rides.trips, which the table no longer keeps" in proc.stderr
    assert "fs: hint:" in proc.stderr
    doc = fs("doctor").stdout
    assert f"warning   run {run[:12]} read snapshot {read} of table lake.rides.trips, which the table no longer keeps" in doc


def test_doctor_warns_before_a_snapshot_expires(fs, tmp_path, s3):
    """A table keeping snapshots one hour: once a kept run's snapshot is no longer the current one, fs doctor says
    when the retention may expire it."""
    fs("demo", "--data-only", ".")
    warehouse = f"file://{tmp_path}/wh"
    trips = write_tables(tmp_path, catalog(tmp_path, warehouse, s3), {"history.expire.max-snapshot-age-ms": "3600000"})
    table_defs(tmp_path, warehouse)
    fs("init")
    fs("register", "lake.yaml")
    materialize(fs, "train.parquet", "trips_7d,conv_rate")
    run = json.loads(fs("train", "--dataset", "train.parquet", "--target", "trip_completed", "--drop-nulls", "--json").stdout)["run"]["id"]
    assert json.loads(fs("doctor", "--json").stdout)["warnings"] == []  # the current snapshot never expires
    snap = trips.current_snapshot()
    trips.append(pq.read_table(tmp_path / "trips.parquet").slice(0, 10))
    expires = pd.Timestamp(snap.timestamp_ms + 3_600_000, unit="ms", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    warnings = json.loads(fs("doctor", "--json").stdout)["warnings"]
    assert warnings == [f"run {run[:12]} read snapshot {snap.snapshot_id} of table lake.rides.trips, which the table's "
                        f"retention may expire at {expires}: keep it longer to reproduce the run"]


def test_later_commits_win_ties(fs, tmp_path, s3):
    """Rows equal in key, event time and created time: the one of the later commit wins, as the later file of a
    directory does (data files in commit order)."""
    warehouse = f"file://{tmp_path}/wh"
    cat = catalog(tmp_path, warehouse, s3)
    cat.create_namespace("rides")
    ts = pd.Timestamp("2021-04-01", tz="UTC")
    schema = pa.schema([("driver_id", pa.int64()), ("ts", pa.timestamp("us", tz="UTC")), ("v", pa.float64())])
    t = cat.create_table("rides.stats", schema=schema)
    for v in (1.0, 2.0, 3.0):
        t.append(pa.table({"driver_id": [7], "ts": [ts], "v": [v]}, schema=schema))
    (tmp_path / "ents.csv").write_text("driver_id,event_timestamp\n7,2021-04-02 00:00:00\n")
    (tmp_path / "t.yaml").write_text(f"""catalogs: [{{name: lake, type: sql, uri: "sqlite:///catalog.db", warehouse: "{warehouse}"}}]
entities: [{{name: driver, join_keys: [driver_id]}}]
sources: [{{name: stats, table: lake.rides.stats, entity: driver, timestamp_field: ts}}]
features: [{{name: v, source: stats, expr: v}}, {{name: last_v, source: stats, aggregate: last, expr: v, window: 2d}}]
""")
    fs("init")
    fs("register", "t.yaml")
    fs("materialize", "--features", "v,last_v", "--entities", "ents.csv", "--out", "o.parquet", "-q")
    out = pd.read_parquet(tmp_path / "o.parquet")
    assert out["v"].tolist() == [3.0] and out["last_v"].tolist() == [3.0]


def test_bad_tables_are_clear_errors(fs, tmp_path, s3):
    fs("demo", "--data-only", ".")
    warehouse = f"file://{tmp_path}/wh"
    write_tables(tmp_path, catalog(tmp_path, warehouse, s3))
    table_defs(tmp_path, warehouse)
    fs("init")
    good = (tmp_path / "lake.yaml").read_text()
    cases = {
        "no such table": (good.replace("lake.rides.trips", "lake.rides.nothing"), "catalog lake has no table rides.nothing"),
        "unknown catalog": (good.replace("lake.rides.trips", "laek.rides.trips"), "source trips: no catalog laek"),
        "not catalog.namespace.table": (good.replace("lake.rides.trips", "lake.trips"), 'table "lake.trips" does not name a catalog'),
        "path and table": (good.replace("    table: lake.rides.trips\n", "    table: lake.rides.trips\n    path: trips.parquet\n"),
                           "source trips has both path and table"),
        "unknown type": (good.replace("type: sql", "type: hive"), 'catalog lake: unknown type "hive"'),
        "no catalog file": (good.replace("sqlite:///catalog.db", "sqlite:///nothing/catalog.db"), "nothing/catalog.db"),
    }
    for name, (text, says) in cases.items():
        (tmp_path / "bad.yaml").write_text(text)
        proc = fs("register", "bad.yaml", check=False)
        assert proc.returncode == 1, (name, proc.stderr)
        assert says in proc.stderr and "bad.yaml:" in proc.stderr and "fs: hint:" in proc.stderr, (name, proc.stderr)
    assert fs("features", "list", "--json").stdout.strip() == "[]"
    proc = fs("register", "lake.yaml", check=False, env={"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    assert proc.returncode == 0  # a local warehouse needs no S3
