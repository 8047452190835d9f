"""Online serving over sources in a bucket and in Iceberg tables (the S3-compatible server and pyiceberg the test
command provides): a sync equals materialize; objects or snapshots added since are synced incrementally, and still
equal materialize; a push to a bucket prefix adds an object; a push to a table is refused."""
import json
import os
import subprocess

import pandas as pd
import pyarrow.parquet as pq
import pytest
from pyiceberg.catalog.sql import SqlCatalog

T = "2021-04-12T10:00:00Z"
FEATS = "trips_7d,fare_mean_7d,long_trips_1d"
DRIVERS = [1001, 1002, 1003, 1004, 1005, 77]


@pytest.fixture()
def fs(fs_bin, tmp_path, s3):
    def run(*args, check=True):
        env = {**os.environ, **s3.env, "FS_STORE": str(tmp_path / ".fs")}
        proc = subprocess.run([fs_bin, *args], cwd=tmp_path, capture_output=True, text=True, env=env)
        if check and proc.returncode != 0:
            raise AssertionError(f"fs {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
        return proc
    run("demo", "--data-only", ".")
    run("init")
    return run


def defs(tmp_path, trips_line):
    """The demo's definitions with the trips source's path line replaced."""
    text = (tmp_path / "features.yaml").read_text().replace("    path: trips.parquet\n", trips_line)
    (tmp_path / "online.yaml").write_text(text)


def online(fs, at=None):
    """fs online get of DRIVERS: each row's values, and the answer."""
    args = ["online", "get", "--features", FEATS, "--json"] + [a for d in DRIVERS for a in ("--entity", f"driver_id={d}")]
    res = json.loads(fs(*args).stdout)
    return pd.DataFrame(res["rows"], columns=res["columns"]), res


def offline(fs, tmp_path, at):
    ents = tmp_path / "ents.csv"
    ents.write_text("driver_id,event_timestamp\n" + "".join(f"{d},{at}\n" for d in DRIVERS))
    fs("materialize", "--features", FEATS, "--entities", str(ents), "--out", "off.parquet", "--as-of", at, "-q")
    return pd.read_parquet(tmp_path / "off.parquet")


def assert_same(got, want):
    for c in FEATS.split(","):
        g, w = got[c].astype("float64").to_numpy(), want[c].astype("float64").to_numpy()
        assert ((g == w) | (pd.isna(g) & pd.isna(w))).all(), (c, g, w)


def statuses(proc):
    return {f["name"]: f["status"] for f in json.loads(proc.stdout)["features"]}


def test_online_over_a_bucket_prefix(fs, tmp_path, s3):
    bucket = s3.bucket()
    trips = pq.read_table(tmp_path / "trips.parquet")
    pq.write_table(trips.slice(0, 1200), tmp_path / "a.parquet")
    s3.client.upload_file(str(tmp_path / "a.parquet"), bucket, "events/part-0.parquet")
    defs(tmp_path, f"    path: s3://{bucket}/events/\n")
    fs("register", "online.yaml")
    assert set(statuses(fs("online", "sync", "--features", FEATS, "--as-of", T, "--json")).values()) == {"synced"}
    assert_same(online(fs)[0], offline(fs, tmp_path, T))

    # An object added: the sync at the same time computes its keys alone.
    pq.write_table(trips.slice(1200), tmp_path / "b.parquet")
    s3.client.upload_file(str(tmp_path / "b.parquet"), bucket, "events/part-1.parquet")
    assert set(statuses(fs("online", "sync", "--features", FEATS, "--as-of", T, "--json")).values()) == {"updated"}
    assert_same(online(fs)[0], offline(fs, tmp_path, T))

    # A push adds an object under the prefix, and the pushed key's values as of the push.
    (tmp_path / "push.csv").write_text("ts,driver_id,fare_usd,distance_km,created\n"
                                      "2021-04-12T09:00:00Z,77,12.5,3.0,2021-04-12T09:01:00Z\n")
    pushed = json.loads(fs("push", "trips", "push.csv", "--json").stdout)
    keys = [o["Key"] for o in s3.client.list_objects_v2(Bucket=bucket, Prefix="events/")["Contents"]]
    assert len(keys) == 3 and any(k.startswith("events/push-") for k in keys) and pushed["file"].startswith(f"s3://{bucket}/events/push-")
    got, _ = online(fs)
    assert_same(got.iloc[-1:].reset_index(drop=True), offline(fs, tmp_path, pushed["as_of"]).iloc[-1:].reset_index(drop=True))
    # The pushed object is one more file for a sync at T: the row of 09:00 is in key 77's 7 days.
    assert set(statuses(fs("online", "sync", "--features", FEATS, "--as-of", T, "--json")).values()) == {"updated"}
    got, _ = online(fs)
    assert got["fare_mean_7d"].iloc[-1] == 12.5 and got["trips_7d"].iloc[-1] == 1
    assert_same(got, offline(fs, tmp_path, T))


def test_online_over_an_iceberg_table(fs, tmp_path, s3):
    cat = SqlCatalog("lake", uri=f"sqlite:///{tmp_path}/catalog.db", warehouse=f"file://{tmp_path}/wh")
    cat.create_namespace_if_not_exists("rides")
    trips = pq.read_table(tmp_path / "trips.parquet")
    table = cat.create_table("rides.trips", schema=trips.schema)
    table.append(trips.slice(0, 1000))
    (tmp_path / "lake.yaml").write_text(
        "catalogs:\n  - name: lake\n    type: sql\n    uri: sqlite:///catalog.db\n    warehouse: file://" + str(tmp_path) + "/wh\n")
    defs(tmp_path, "    table: lake.rides.trips\n")
    (tmp_path / "online.yaml").write_text((tmp_path / "lake.yaml").read_text() + (tmp_path / "online.yaml").read_text())
    fs("register", "online.yaml")
    assert set(statuses(fs("online", "sync", "--features", FEATS, "--as-of", T, "--json")).values()) == {"synced"}
    assert_same(online(fs)[0], offline(fs, tmp_path, T))

    # A new snapshot that appends files: synced incrementally, equal to materialize of the new snapshot.
    cat.load_table("rides.trips").append(trips.slice(1000))
    assert set(statuses(fs("online", "sync", "--features", FEATS, "--as-of", T, "--json")).values()) == {"updated"}
    assert_same(online(fs)[0], offline(fs, tmp_path, T))

    # fs push appends files, not table commits.
    (tmp_path / "push.csv").write_text("ts,driver_id,fare_usd,distance_km,created\n2021-04-12T09:00:00Z,77,1,1,2021-04-12T09:00:00Z\n")
    proc = fs("push", "trips", "push.csv", check=False)
    assert proc.returncode == 1 and "is a table" in proc.stderr and "pyiceberg" in proc.stderr
