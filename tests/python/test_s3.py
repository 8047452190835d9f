"""Sources, outputs and data roots in an S3-compatible bucket (versitygw, started by the test command), on the
local engine: the same values and snapshot digests as the same files on disk, reproduce pinned to what was read,
outputs that appear whole or not at all, and clear errors."""
import json
import os
import signal
import subprocess
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from test_materialize import random_source

AS_OF = "2021-05-01T00:00:00Z"
AGGS = "trips_7d,fare_mean_7d,long_trips_1d,conv_rate,acc_rate"


@pytest.fixture()
def fs(fs_bin, tmp_path, s3):
    """fs(*args, check=True, env=None, store=".fs") in tmp_path with the server's AWS environment."""
    def run(*args, check=True, env=None, store=".fs", cwd=None):
        full = {**os.environ, **s3.env, "FS_STORE": str(tmp_path / store), **(env or {})}
        proc = subprocess.run([fs_bin, *args], cwd=cwd or tmp_path, capture_output=True, text=True, env=full)
        if check and proc.returncode != 0:
            raise AssertionError(f"fs {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
        return proc
    return run


def upload_demo(fs, s3, tmp_path, bucket):
    """The demo's files in the bucket: driver stats as one key, trips under a prefix; the definitions of each."""
    fs("demo", "--data-only", ".")
    s3.client.upload_file(str(tmp_path / "driver_stats.parquet"), bucket, "team/driver_stats.parquet")
    s3.client.upload_file(str(tmp_path / "trips.parquet"), bucket, "team/trips/part-0.parquet")
    defs = (tmp_path / "features.yaml").read_text()
    (tmp_path / "s3.yaml").write_text(defs.replace("path: driver_stats.parquet", f"path: s3://{bucket}/team/driver_stats.parquet")
                                      .replace("path: trips.parquet", f"path: s3://{bucket}/team/trips/"))


def materialize(fs, features, out, store=".fs", *extra):
    return json.loads(fs("materialize", "--features", features, "--entities", "orders.tsv", "--as-of", AS_OF,
                         "--out", out, "--json", "-q", *extra, store=store).stdout)


def test_demo_in_a_bucket_equals_the_files_on_disk(fs, tmp_path, s3):
    """As-of features and aggregations read from the bucket give the values and source digests of the same files
    on disk; the dataset records each object's ETag."""
    bucket = s3.bucket()
    upload_demo(fs, s3, tmp_path, bucket)
    for store, defs in ((".fs", "s3.yaml"), ("local", "features.yaml")):
        fs("init", store=store)
        fs("register", defs, store=store)
    remote, local = materialize(fs, AGGS, "s3.parquet"), materialize(fs, AGGS, "local.parquet", "local")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s3.parquet"), pd.read_parquet(tmp_path / "local.parquet"))
    assert {s["name"]: s["digest"] for s in remote["sources"]} == {s["name"]: s["digest"] for s in local["sources"]}
    files = [f for s in remote["sources"] for f in s["files"]]
    assert sorted(f["path"] for f in files) == [f"s3://{bucket}/team/driver_stats.parquet", f"s3://{bucket}/team/trips/part-0.parquet"]
    assert all(f["etag"] and "version_id" not in f for f in files)


def test_random_sources_in_many_objects(fs, tmp_path, s3):
    """A source of several objects with many row groups, by prefix and by glob, against the same files on disk."""
    bucket = s3.bucket()
    rng = np.random.default_rng(11)
    src = random_source(rng, 30_000, np.arange(1, 400), 3)
    (tmp_path / "stats").mkdir()
    for i, part in enumerate(src.iloc[k:k + 10_500] for k in range(0, len(src), 10_500)):
        path = tmp_path / "stats" / f"part-{i}.parquet"
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), path, row_group_size=1_500)
        s3.client.upload_file(str(path), bucket, f"stats/part-{i}.parquet")
    ents = pd.DataFrame({"driver_id": rng.integers(1, 420, 5_000).astype("int64"),
                         "event_timestamp": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 220, 5_000), unit="h")})
    ents.to_parquet(tmp_path / "ents.parquet", index=False)
    defs = """entities: [{name: driver, join_keys: [driver_id]}]
sources: [{name: stats, path: PATH, entity: driver, timestamp_field: ts, created_timestamp_field: created}]
features:
  - {name: x, source: stats, expr: x}
  - {name: y_recent, source: stats, expr: y, ttl: 5h}
  - {name: x_sum_1d, source: stats, aggregate: sum, expr: x, window: 1d}
  - {name: y_max_3d, source: stats, aggregate: max, expr: y, window: 3d}
"""
    outs = {}
    for store, path in (("local", "stats"), ("prefix", f"s3://{bucket}/stats/"), ("glob", f"s3://{bucket}/stats/part-*.parquet")):
        (tmp_path / f"{store}.yaml").write_text(defs.replace("PATH", path))
        fs("init", store=store)
        fs("register", f"{store}.yaml", store=store)
        res = json.loads(fs("materialize", "--features", "x,y_recent,x_sum_1d,y_max_3d", "--entities", "ents.parquet",
                            "--as-of", "2024-01-05T00:00:00Z", "--out", f"{store}.parquet", "--json", "-q", store=store).stdout)
        outs[store] = (pd.read_parquet(tmp_path / f"{store}.parquet"), res["sources"][0]["digest"], len(res["sources"][0]["files"]))
    for store in ("prefix", "glob"):
        pd.testing.assert_frame_equal(outs[store][0], outs["local"][0])
        assert outs[store][1:] == outs["local"][1:] == (outs["local"][1], 3)


def train_run(fs, dataset):
    return json.loads(fs("train", "--dataset", dataset, "--target", "trip_completed", "--drop-nulls", "--json").stdout)["run"]["id"]


def halve_conv_rate(tmp_path):
    t = pq.read_table(tmp_path / "driver_stats.parquet")
    i = t.schema.get_field_index("conv_rate")
    t = t.set_column(i, "conv_rate", pa.compute.multiply(t["conv_rate"], 0.5))
    pq.write_table(t, tmp_path / "changed.parquet")
    return str(tmp_path / "changed.parquet")


def test_reproduce_refuses_an_object_overwritten_in_a_bucket_without_versions(fs, tmp_path, s3):
    bucket = s3.bucket()
    upload_demo(fs, s3, tmp_path, bucket)
    fs("init")
    fs("register", "s3.yaml")
    materialize(fs, "conv_rate,acc_rate", "train.parquet")
    run = train_run(fs, "train.parquet")
    assert fs("reproduce", run).stdout.strip().endswith("reproduced: identical")
    s3.client.upload_file(halve_conv_rate(tmp_path), bucket, "team/driver_stats.parquet")
    proc = fs("reproduce", run, check=False)
    assert proc.returncode == 1
    assert f"s3://{bucket}/team/driver_stats.parquet changed since the dataset was built, and the bucket keeps no versions" in proc.stderr
    assert "fs: hint: put the object back as it was, or turn on versioning" in proc.stderr


def test_versioned_bucket_reproduces_the_versions_read(fs, tmp_path, s3):
    """The dataset records each object's version id; after an overwrite and an added object, reproduce reads the
    recorded versions of the recorded objects and gives the same dataset id and model."""
    bucket = s3.bucket(versioned=True)
    upload_demo(fs, s3, tmp_path, bucket)
    fs("init")
    fs("register", "s3.yaml")
    ds = materialize(fs, "conv_rate,acc_rate,trips_7d", "train.parquet")
    versions = {f["path"]: f["version_id"] for s in ds["sources"] for f in s["files"]}
    assert all(versions.values())
    run = train_run(fs, "train.parquet")
    s3.client.upload_file(halve_conv_rate(tmp_path), bucket, "team/driver_stats.parquet")
    s3.client.upload_file(str(tmp_path / "trips.parquet"), bucket, "team/trips/part-1.parquet")
    rep = fs("reproduce", run).stdout
    stats = f"s3://{bucket}/team/driver_stats.parquet"
    assert f"modified {stats} (version {versions[stats]}, as recorded, was read)" in rep
    assert f"added s3://{bucket}/team/trips/part-1.parquet (not read: the rebuild reads the objects recorded)" in rep
    assert f"id identical (recorded {ds['id'][:12]}, rebuilt {ds['id'][:12]})" in rep
    assert rep.strip().endswith("reproduced: identical")
    # A fresh materialize reads the objects as they are now: other values.
    again = materialize(fs, "conv_rate,acc_rate,trips_7d", "again.parquet")
    assert again["id"] != ds["id"]


def big_entities(tmp_path, n=1_500_000):
    rng = np.random.default_rng(5)
    orders = pd.read_csv(tmp_path / "orders.tsv", sep="\t", parse_dates=["event_timestamp"])
    pick = rng.integers(0, len(orders), n)
    ents = orders.iloc[pick].reset_index(drop=True)
    ents["noise"] = rng.normal(size=n)  # carried into the output: it does not compress
    ents.to_parquet(tmp_path / "big.parquet", index=False)


def uploads(s3, bucket):
    return s3.client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def objects(s3, bucket, prefix):
    return [o["Key"] for o in s3.client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def start_materialize(fs_bin, tmp_path, s3, out):
    env = {**os.environ, **s3.env, "FS_STORE": str(tmp_path / ".fs")}
    return subprocess.Popen([fs_bin, "materialize", "--features", "conv_rate,acc_rate", "--entities", "big.parquet",
                             "--as-of", AS_OF, "--out", out, "-q"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_upload(proc, s3, bucket):
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if uploads(s3, bucket):
            return True
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_an_interrupted_upload_leaves_nothing(fs, fs_bin, tmp_path, s3, sig):
    """--out s3://: killed (SIGKILL) or interrupted (Ctrl-C) while the multipart upload runs, no object appears
    (Ctrl-C also removes the parts); the store records nothing; a run to its end writes the object whole."""
    bucket = s3.bucket()
    upload_demo(fs, s3, tmp_path, bucket)
    big_entities(tmp_path)
    fs("init")
    fs("register", "s3.yaml")
    out = f"s3://{bucket}/out/train.parquet"
    proc = start_materialize(fs_bin, tmp_path, s3, out)
    assert wait_for_upload(proc, s3, bucket), f"no upload was seen: {proc.communicate()[1]}"
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert objects(s3, bucket, "out/") == []
    assert (uploads(s3, bucket) == []) == (sig == signal.SIGINT)
    assert json.loads(fs("datasets", "list", "--json").stdout) == []
    res = json.loads(fs("materialize", "--features", "conv_rate,acc_rate", "--entities", "big.parquet", "--as-of", AS_OF,
                        "--out", out, "--json", "-q").stdout)
    head = s3.client.head_object(Bucket=bucket, Key="out/train.parquet")
    body = s3.client.get_object(Bucket=bucket, Key="out/train.parquet")["Body"].read()
    assert head["ContentLength"] == len(body) > 16 << 20  # more than one part
    import hashlib
    assert hashlib.sha256(body).hexdigest() == res["file_digest"] and res["output"] == out
    assert len(pd.read_parquet(s3_path(tmp_path, body))) == 1_500_000


def s3_path(tmp_path, body):
    p = tmp_path / "downloaded.parquet"
    p.write_bytes(body)
    return p


def test_clear_errors(fs, tmp_path, s3):
    """Wrong credentials, a missing bucket, a missing key, an unreachable endpoint: each said, with a hint, at the
    definition's line; unreachable exits 10; nothing registered."""
    bucket = s3.bucket()
    upload_demo(fs, s3, tmp_path, bucket)
    fs("init")
    cases = [
        ({"AWS_SECRET_ACCESS_KEY": "wrong"}, "s3.yaml", 1, "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        ({}, "nobucket.yaml", 1, "there is no bucket fs-no-such-bucket"),
        ({}, "nokey.yaml", 1, "no such object"),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, "s3.yaml", 10, "cannot reach http://127.0.0.1:1"),
    ]
    defs = (tmp_path / "s3.yaml").read_text()
    (tmp_path / "nobucket.yaml").write_text(defs.replace(f"s3://{bucket}/", "s3://fs-no-such-bucket/"))
    (tmp_path / "nokey.yaml").write_text(defs.replace("team/driver_stats.parquet", "team/nothing.parquet"))
    for env, file, code, says in cases:
        proc = fs("register", file, check=False, env=env)
        assert proc.returncode == code, (file, env, proc.stderr)
        assert says in proc.stderr and f"{file}:7:11: source driver_stats:" in proc.stderr and "fs: hint:" in proc.stderr
    assert fs("features", "list", "--json").stdout.strip() == "[]"
    # At materialize: a source unreachable after it was registered exits 10 too.
    fs("register", "s3.yaml")
    proc = fs("materialize", "--features", "conv_rate", "--entities", "orders.tsv", "--out", "x.parquet", check=False,
              env={"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
    assert proc.returncode == 10 and "cannot reach http://127.0.0.1:1" in proc.stderr, proc.stderr
    assert not (tmp_path / "x.parquet").exists()


def test_server_with_a_bucket_data_root(fs, fs_bin, fs_serve, tmp_path, s3):
    """fs serve --data-root s3://BUCKET/team/: its clients register sources and write outputs under that prefix
    with the server's credentials (the client has none); elsewhere in the bucket is refused."""
    bucket = s3.bucket()
    upload_demo(fs, s3, tmp_path, bucket)
    s3.client.upload_file(str(tmp_path / "driver_stats.parquet"), bucket, "private/driver_stats.parquet")
    fs("init", store="served")
    url = fs_serve(tmp_path, tmp_path / "served", "--data-root", str(tmp_path), "--data-root", f"s3://{bucket}/team/",
                   env=s3.env)
    bare = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, "FS_STORE": url}

    def client(*args, check=True):
        proc = subprocess.run([fs_bin, *args], cwd=tmp_path, capture_output=True, text=True, env=bare)
        if check and proc.returncode != 0:
            raise AssertionError(f"fs {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    client("register", "s3.yaml")
    out = f"s3://{bucket}/team/out/train.parquet"
    res = json.loads(client("materialize", "--features", "conv_rate,trips_7d", "--entities", str(tmp_path / "orders.tsv"),
                            "--as-of", AS_OF, "--out", out, "--json", "-q").stdout)
    assert res["output"] == out and objects(s3, bucket, "team/out/") == ["team/out/train.parquet"]
    (tmp_path / "private.yaml").write_text((tmp_path / "s3.yaml").read_text().replace("team/driver_stats", "private/driver_stats"))
    proc = client("register", "private.yaml", check=False)
    assert proc.returncode != 0 and f"s3://{bucket}/private/driver_stats.parquet is outside the server's data roots" in proc.stderr
    proc = client("materialize", "--features", "conv_rate", "--entities", str(tmp_path / "orders.tsv"), "--out",
                  f"s3://{bucket}/elsewhere.parquet", check=False)
    assert proc.returncode != 0 and "is outside the server's data roots" in proc.stderr
    proc = client("materialize", "--features", "conv_rate", "--entities", str(tmp_path / "orders.tsv"), "--out",
                  f"s3://{bucket}/team/../elsewhere.parquet", check=False)
    assert proc.returncode != 0 and objects(s3, bucket, "elsewhere") == []
