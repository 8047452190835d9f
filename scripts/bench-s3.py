"""Benchmark: fs materialize reading its source from an S3-compatible server against the same file on disk, and
pyarrow's S3 filesystem reading the same object, in one run.

Generates (or reuses, with --keep) the as-of benchmark's files (10M source rows, 1M entity rows: benchtime.py),
starts versitygw on a free 127.0.0.1 port (built with go install once, as the test command does), uploads the
source to a bucket, then times, as their own processes:
  - fs materialize of the 5 features from the file on disk,
  - fs materialize from s3://: cold (the object hashed whole for its snapshot, its digest then kept by ETag) and
    warm (the digest reused: only the column chunks decoded are read, by ranged GETs),
  - pyarrow.dataset over the same object through pyarrow.fs.S3FileSystem, reading the columns fs reads (keys,
    times and the 5 values), and the same from disk,
and checks that fs gives the same values and source digest from the bucket as from disk. --shape files lays the
same rows out as 100 files (100 objects under one prefix) instead of one.
Run: .venv/bin/python scripts/bench-s3.py [--rows N --entities N --events N] [--runs 3] [--keep DIR] [--shape files]
"""
import argparse
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import boto3
import pandas as pd

from benchtime import timed, write_asof_data

ROOT = pathlib.Path(__file__).resolve().parents[1]
VERSITYGW = "v1.8.0"
KEY, SECRET = "fs-bench", "fs-bench-secret"


def versitygw(work):
    """Starts versitygw over work/s3; returns its endpoint and process."""
    gopath = subprocess.run(["go", "env", "GOPATH"], capture_output=True, text=True, check=True).stdout.strip()
    bindir = pathlib.Path(gopath) / "fs-test-tools" / f"versitygw-{VERSITYGW}"
    if not (bindir / "versitygw").exists():
        subprocess.run(["go", "install", f"github.com/versity/versitygw/cmd/versitygw@{VERSITYGW}"],
                       env={**os.environ, "GOBIN": str(bindir)}, check=True)
    root = work / "s3"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = subprocess.Popen([str(bindir / "versitygw"), "--access", KEY, "--secret", SECRET, "--port", f"127.0.0.1:{port}",
                             "posix", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            time.sleep(0.1)
    return f"http://127.0.0.1:{port}", proc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--entities", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3, help="runs of each tool; the median is reported")
    ap.add_argument("--keep", help="work directory to keep (default: a temporary one)")
    ap.add_argument("--shape", default="1M", choices=["1M", "files"],
                    help="the source as one file (row groups of 1M rows) or as 100 files")
    a = ap.parse_args()
    work = pathlib.Path(a.keep or tempfile.mkdtemp(prefix="fs-bench-s3-"))
    work.mkdir(parents=True, exist_ok=True)
    src, ents = write_asof_data(work, a.rows, a.entities, a.events, a.shape)
    endpoint, server = versitygw(work)
    try:
        run(a, work, src, endpoint)
    finally:
        server.terminate()
        server.wait()


def run(a, work, src, endpoint):
    aws = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION": "us-east-1"}
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET, region_name="us-east-1")
    s3.create_bucket(Bucket="bench")
    if src.is_dir():
        for part in sorted(src.glob("*.parquet")):
            s3.upload_file(str(part), "bench", f"source/{part.name}")
    else:
        s3.upload_file(str(src), "bench", "source.parquet")
    key = "source/" if src.is_dir() else "source.parquet"
    fs = work / "fs"
    subprocess.run(["go", "build", "-o", str(fs), "./cmd/fs"], cwd=ROOT, check=True)
    feats = "".join(f"  - {{name: g{i}, source: s, expr: f{i}}}\n" for i in range(5))
    stores = {}
    for name, path in (("disk", src.name), ("s3", f"s3://bench/{key}")):
        (work / f"{name}.yaml").write_text(
            "entities: [{name: e, join_keys: [entity_id]}]\n"
            f"sources: [{{name: s, path: {path}, entity: e, timestamp_field: ts, created_timestamp_field: created}}]\n"
            "features:\n" + feats)
        stores[name] = {**os.environ, **aws, "FS_STORE": str(work / f"store-{name}")}
        shutil.rmtree(work / f"store-{name}", ignore_errors=True)
        subprocess.run([str(fs), "init"], env=stores[name], check=True, capture_output=True)
        subprocess.run([str(fs), "register", f"{name}.yaml"], cwd=work, env=stores[name], check=True, capture_output=True)

    def materialize(name, out):
        return timed([str(fs), "materialize", "--features", "g0,g1,g2,g3,g4", "--entities", "entities.parquet", "--out", out,
                      "--as-of", "2030-01-01T00:00:00Z", "--quiet"], cwd=work, env=stores[name], stdout=subprocess.DEVNULL)

    def median(runs):
        runs = sorted(runs, key=lambda r: r[0])
        return runs[len(runs) // 2]

    rows = {"fs, file on disk": median([materialize("disk", "disk.parquet") for _ in range(a.runs)])}
    digests = work / "store-s3" / "digests.json"
    cold = []
    for _ in range(a.runs):
        digests.unlink(missing_ok=True)
        cold.append(materialize("s3", "s3.parquet"))
    rows["fs, s3:// cold"] = median(cold)
    rows["fs, s3:// warm"] = median([materialize("s3", "s3.parquet") for _ in range(a.runs)])
    cols = ["entity_id", "ts", "created", "f0", "f1", "f2", "f3", "f4"]
    arrow_s3 = f"""
import pyarrow.dataset as ds, pyarrow.fs as pafs
fs = pafs.S3FileSystem(endpoint_override={endpoint!r}, access_key={KEY!r}, secret_key={SECRET!r}, region='us-east-1', scheme='http')
ds.dataset('bench/{key.rstrip("/")}', filesystem=fs, format='parquet').to_table(columns={cols!r})
"""
    arrow_disk = f"import pyarrow.dataset as ds; ds.dataset({str(src)!r}, format='parquet').to_table(columns={cols!r})"
    rows["pyarrow S3FileSystem"] = median([timed([sys.executable, "-c", arrow_s3]) for _ in range(a.runs)])
    rows["pyarrow, disk"] = median([timed([sys.executable, "-c", arrow_disk]) for _ in range(a.runs)])

    same = pd.read_parquet(work / "s3.parquet").equals(pd.read_parquet(work / "disk.parquet"))
    parts = sorted(src.glob("*.parquet")) if src.is_dir() else [src]
    size = sum(p.stat().st_size for p in parts)
    where = "one object" if len(parts) == 1 else f"{len(parts)} objects"
    print(f"data: {a.rows:,} source rows in {where} of {size / 2**20:.0f} MiB ({a.entities:,} entities), "
          f"{a.events:,} entity rows, {os.cpu_count()} cores; median of {a.runs} runs each; versitygw on 127.0.0.1")
    for name, (w, c, r) in rows.items():
        print(f"{name:22s} wall {w:6.2f} s   cpu {c:6.2f} s   peak RSS {r:7.0f} MiB")
    print("fs from s3:// gives the values it gives from disk:", same)


if __name__ == "__main__":
    main()
