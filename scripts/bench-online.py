#!/usr/bin/env python3
"""The online serving benchmark (docs/benchmarks.md#online-serving), peers in the same run.

Serving: POST /api/v1/online of fs serve (the embedded store) and POST /get-online-features of Feast's feature
server (the Feast 0.67 package, its SQLite online store), both over the same parquet file (--serve-rows source rows
over --serve-keys keys, 5 float features), both synced/materialized first. The load generator is vegeta (its
command line at a pinned version, run with go run) at constant rates, for --seconds each: one entity of 5 features at
1,000 and 5,000 requests/s, and a batch of 100 entities at 100 requests/s; each request a random key. Printed:
p50, p99 and max latency, success ratio, and the rate reached.

Sync: fs online sync of --sync-keys keys x 5 features (--sync-rows source rows), time and peak memory, beside fs
materialize of the same keys at the same time (one entity row per key).

Feast is installed into its own virtual environment (--feast-venv, created when missing: pip install feast==0.67.0),
apart from the test environment. Usage: .venv/bin/python scripts/bench-online.py [--skip-feast] [--work DIR]
"""
import argparse
import base64
import json
import os
import pathlib
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchtime import timed, write_asof_data  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
VEGETA = "github.com/tsenart/vegeta/v12@v12.13.0"
FEAST = "feast==0.67.0"
FEATURES = [f"f{i}" for i in range(5)]
AS_OF = "2024-04-01T00:00:00Z"
DEFS = """entities:
  - name: entity
    join_keys: [entity_id]
sources:
  - name: stats
    path: {path}
    entity: entity
    timestamp_field: ts
    created_timestamp_field: created
features:
""" + "".join(f"  - name: {f}\n    source: stats\n    expr: {f}\n" for f in FEATURES)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=120):
    import urllib.request
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception as e:  # not up yet: refused, or an error status of a server that is up
            if hasattr(e, "code"):
                return
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer in {timeout} s")


def vegeta(work, name, url, bodies, rate, seconds):
    """Attacks url at rate for seconds with the bodies in turn; returns vegeta's JSON report."""
    targets = work / f"{name}.targets"
    with open(targets, "w") as f:
        for b in bodies:
            f.write(json.dumps({"method": "POST", "url": url, "body": base64.b64encode(b.encode()).decode(),
                                "header": {"Content-Type": ["application/json"]}}) + "\n")
    results = work / f"{name}.bin"
    subprocess.run(["go", "run", VEGETA, "attack", "-format=json", f"-targets={targets}", f"-rate={rate}",
                    f"-duration={seconds}s", "-timeout=10s", f"-output={results}", "-max-workers=512"],
                   cwd=ROOT, check=True)
    out = subprocess.run(["go", "run", VEGETA, "report", "-type=json", str(results)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def line(peer, load, rep):
    lat = rep["latencies"]
    ms = lambda ns: ns / 1e6  # noqa: E731
    print(f"| {peer} | {load} | {ms(lat['50th']):.2f} | {ms(lat['99th']):.2f} | {ms(lat['max']):.1f} | "
          f"{rep['success'] * 100:.1f}% | {rep['throughput']:.0f} |", flush=True)


def loads(work, peer, url, bodies, keys, a):
    """The three loads against one server, after a warm-up."""
    tag = peer.split()[0].lower()
    vegeta(work, tag + "warm", url, bodies(keys, 100, 1), 50, 2)
    for rate in (1000, 5000):
        line(peer, f"1 entity, {rate:,}/s", vegeta(work, f"{tag}{rate}", url, bodies(keys, 5000, 1), rate, a.seconds))
    line(peer, "100 entities, 100/s", vegeta(work, tag + "batch", url, bodies(keys, 500, 100), 100, a.seconds))


def fs_cmd(fs, store, *args, **kw):
    return subprocess.run([fs, *args, "--store", str(store)], check=True, capture_output=True, text=True, **kw)


def bodies_fs(keys, n, batch):
    rng = random.Random(3)
    return [json.dumps({"features": FEATURES, "entities": [{"entity_id": rng.randrange(keys)} for _ in range(batch)]})
            for _ in range(n)]


def bodies_feast(keys, n, batch):
    rng = random.Random(3)
    return [json.dumps({"features": [f"stats:{f}" for f in FEATURES],
                        "entities": {"entity_id": [rng.randrange(keys) for _ in range(batch)]}}) for _ in range(n)]


def serve_fs(work, fs, src, keys, a):
    store = work / "serve" / ".fs"
    shutil.rmtree(work / "serve", ignore_errors=True)
    (work / "serve").mkdir()
    (work / "serve" / "features.yaml").write_text(DEFS.format(path=src))
    fs_cmd(fs, store, "init")
    fs_cmd(fs, store, "register", str(work / "serve" / "features.yaml"))
    t = time.time()
    fs_cmd(fs, store, "online", "sync", "--features", ",".join(FEATURES), "--as-of", AS_OF)
    print(f"fs online sync of {keys:,} keys: {time.time() - t:.1f} s", flush=True)
    port = free_port()
    proc = subprocess.Popen([fs, "serve", "--store", str(store), "--addr", f"127.0.0.1:{port}", "--quiet"],
                            cwd=work / "serve", stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/api/v1/health")
        loads(work, "fs", base + "/api/v1/online", bodies_fs, keys, a)
    finally:
        proc.terminate()
        proc.wait()


def feast_env(a):
    venv = pathlib.Path(a.feast_venv)
    if not (venv / "bin" / "feast").exists():
        print(f"installing {FEAST} into {venv} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", FEAST], check=True)
    return venv / "bin" / "feast"


def serve_feast(work, feast, src, keys, a):
    repo = work / "feast"
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "data").mkdir(parents=True)
    (repo / "feature_store.yaml").write_text(
        "project: bench\nregistry: data/registry.db\nprovider: local\nonline_store:\n  type: sqlite\n"
        "  path: data/online.db\nentity_key_serialization_version: 3\n")
    (repo / "features.py").write_text(f"""from datetime import timedelta
from feast import Entity, FeatureView, Field, FileSource, ValueType
from feast.types import Float64
entity = Entity(name="entity", join_keys=["entity_id"], value_type=ValueType.INT64)
source = FileSource(path="{src}", timestamp_field="ts", created_timestamp_column="created")
stats = FeatureView(name="stats", entities=[entity], ttl=timedelta(days=3650), source=source, online=True,
                    schema=[{", ".join(f'Field(name="{f}", dtype=Float64)' for f in FEATURES)}])
""")
    env = {**os.environ, "FEAST_USAGE": "False"}
    subprocess.run([str(feast), "apply"], cwd=repo, check=True, env=env, capture_output=True)
    t = time.time()
    subprocess.run([str(feast), "materialize", "2023-12-01T00:00:00", AS_OF[:-1]], cwd=repo, check=True, env=env,
                   capture_output=True)
    print(f"feast materialize of {keys:,} keys: {time.time() - t:.1f} s", flush=True)
    port = free_port()
    proc = subprocess.Popen([str(feast), "serve", "-h", "127.0.0.1", "-p", str(port), "--workers", str(os.cpu_count())], cwd=repo, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/health")
        loads(work, f"Feast 0.67 (SQLite, {os.cpu_count()} workers)", base + "/get-online-features", bodies_feast, keys, a)
    finally:
        proc.terminate()
        proc.wait()


def bench_sync(work, fs, a):
    sync = work / "sync"
    sync.mkdir(exist_ok=True)
    src, _ = write_asof_data(sync, a.sync_rows, a.sync_keys, 1)
    store = sync / "store" / ".fs"
    shutil.rmtree(sync / "store", ignore_errors=True)
    (sync / "store").mkdir()
    (sync / "store" / "features.yaml").write_text(DEFS.format(path=src))
    fs_cmd(fs, store, "init")
    fs_cmd(fs, store, "register", str(sync / "store" / "features.yaml"))
    keys = pq.read_table(src, columns=["entity_id"]).column(0).unique()
    ents = sync / "ents.parquet"
    pq.write_table(pa.table({"entity_id": keys, "event_timestamp": pa.array(
        np.full(len(keys), pd.Timestamp(AS_OF).value // 1000), pa.timestamp("us", tz="UTC"))}), ents)
    wall, cpu, rss = timed([fs, "online", "sync", "--features", ",".join(FEATURES), "--as-of", AS_OF, "--store", str(store)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"| fs online sync | {len(keys):,} keys x 5 | {wall:.2f} s | {cpu:.1f} s | {rss:.0f} MiB |")
    wall, cpu, rss = timed([fs, "online", "sync", "--features", ",".join(FEATURES), "--as-of", AS_OF, "--store", str(store)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"| fs online sync, nothing changed | {len(keys):,} keys x 5 | {wall:.2f} s | {cpu:.1f} s | {rss:.0f} MiB |")
    wall, cpu, rss = timed([fs, "materialize", "--features", ",".join(FEATURES), "--entities", str(ents), "--out",
                            str(sync / "out.parquet"), "--as-of", AS_OF, "--store", str(store)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"| fs materialize | {len(keys):,} entity rows x 5 | {wall:.2f} s | {cpu:.1f} s | {rss:.0f} MiB |", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", help="where the data goes (default: a temporary directory, removed)")
    p.add_argument("--serve-rows", type=int, default=1_000_000)
    p.add_argument("--serve-keys", type=int, default=100_000)
    p.add_argument("--sync-rows", type=int, default=5_000_000)
    p.add_argument("--sync-keys", type=int, default=1_000_000)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--feast-venv", default=str(ROOT / ".venv-feast"))
    p.add_argument("--skip-feast", action="store_true")
    p.add_argument("--skip-sync", action="store_true")
    a = p.parse_args()
    work = pathlib.Path(a.work or tempfile.mkdtemp(prefix="fs-bench-online-"))
    work.mkdir(parents=True, exist_ok=True)
    fs = str(work / "fs")
    subprocess.run(["go", "build", "-o", fs, "./cmd/fs"], cwd=ROOT, check=True)
    subprocess.run(["go", "run", VEGETA, "-version"], cwd=ROOT, check=True, capture_output=True)  # fetched before timing
    src, _ = write_asof_data(work, a.serve_rows, a.serve_keys, 1)
    print(f"{os.cpu_count()} cores; {a.serve_rows:,} source rows over {a.serve_keys:,} keys; {a.seconds} s per load\n")
    print("| server | load | p50 ms | p99 ms | max ms | ok | requests/s |\n|---|---|---|---|---|---|---|")
    serve_fs(work, fs, src, a.serve_keys, a)
    if not a.skip_feast:
        serve_feast(work, feast_env(a), src, a.serve_keys, a)
    if not a.skip_sync:
        print("\n| command | size | wall | CPU | peak RSS |\n|---|---|---|---|---|")
        bench_sync(work, fs, a)
    if not a.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
