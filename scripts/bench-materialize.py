"""Benchmark: fs materialize against DuckDB's ASOF JOIN and pandas merge_asof
on the same files, in the same run.

Generates 10,000,000 source rows (100,000 entities, 5 numeric columns, an event
and a created timestamp) and 1,000,000 entity rows, then times:
  - fs materialize of the 5 features (whole process: wall time, CPU time, peak RSS),
  - DuckDB: the same as-of join (read parquet, ASOF LEFT JOIN, write parquet),
  - pandas: read parquet, merge_asof, write parquet.
Run with the test environment's Python: .venv/bin/python scripts/bench-materialize.py [--rows N --entities N]
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchtime import timed, write_asof_data

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--entities", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3, help="runs of each tool; the median is reported")
    ap.add_argument("--keep", help="work directory to keep (default: a temporary one)")
    ap.add_argument("--memory-limit", help="fs materialize's --memory-limit and DuckDB's memory_limit (e.g. 2GiB)")
    ap.add_argument("--no-pandas", action="store_true", help="skip pandas (it holds everything in memory)")
    ap.add_argument("--spark", help="also time fs materialize --engine spark on this Spark Connect server (sc://HOST:PORT)")
    ap.add_argument("--sizes", help="several sizes in one run, e.g. 10M,100M: 10M source rows (100k keys) x 1M entity "
                                    "rows, 100M (1M keys) x 10M; overrides --rows, --entities, --events")
    a = ap.parse_args()
    base = pathlib.Path(a.keep or tempfile.mkdtemp(prefix="fs-bench-"))
    if not a.sizes:
        run(a, base)
        return
    for size in a.sizes.split(","):
        n = int(size.rstrip("M")) * 1_000_000
        b = argparse.Namespace(**vars(a))
        b.rows, b.entities, b.events = n, n // 100, n // 10
        run(b, base / size)
        print(flush=True)


def warm_cache(*paths):
    """Reads the files once, so that the tool timed next does not pay for reading them from disk when
    the one before pushed them out of the page cache (pandas at 100M rows takes most of the memory)."""
    for p in paths:
        with open(p, "rb") as f:
            while f.read(64 << 20):
                pass


def pandas_fits(rows, events):
    """Whether pandas' merge_asof can run here: it holds the source about three times over (read,
    filtered, sorted), 8 columns of 8 bytes, and the entity rows twice; measured at 100M source rows
    and 10M entity rows: 21.3 GiB."""
    need = rows * 64 * 3.5 + events * 24 * 4
    with open("/proc/meminfo") as f:
        avail = next(int(l.split()[1]) * 1024 for l in f if l.startswith("MemAvailable:"))
    return need < 0.8 * avail, need


def run(a, work):
    work.mkdir(parents=True, exist_ok=True)
    src, ents = write_asof_data(work, a.rows, a.entities, a.events)

    fs = work / "fs"
    subprocess.run(["go", "build", "-o", str(fs), "./cmd/fs"], cwd=ROOT, check=True)
    (work / "features.yaml").write_text(
        "entities: [{name: e, join_keys: [entity_id]}]\n"
        "sources: [{name: s, path: source.parquet, entity: e, timestamp_field: ts, created_timestamp_field: created}]\n"
        "features:\n" + "".join(f"  - {{name: g{i}, source: s, expr: f{i}}}\n" for i in range(5)))
    env = {**os.environ, "FS_STORE": str(work / "store")}
    if not (work / "store").exists():
        subprocess.run([str(fs), "init"], env=env, check=True, capture_output=True)
    subprocess.run([str(fs), "register", "features.yaml"], cwd=work, env=env, check=True, capture_output=True)

    def median_run(*args, **kw):
        warm_cache(src, ents)
        runs = sorted((timed(*args, **kw) for _ in range(a.runs)), key=lambda r: r[0])
        return runs[len(runs) // 2]

    limit = ["--memory-limit", a.memory_limit] if a.memory_limit else []
    fs_wall, fs_cpu, fs_rss = median_run(
        [str(fs), "materialize", "--features", "g0,g1,g2,g3,g4", "--entities", "entities.parquet",
         "--out", "fs.parquet", "--as-of", "2030-01-01T00:00:00Z", "--quiet", *limit],
        cwd=work, env=env, stdout=subprocess.DEVNULL)

    spark = None
    if a.spark:
        spark = median_run(
            [str(fs), "materialize", "--features", "g0,g1,g2,g3,g4", "--entities", "entities.parquet",
             "--out", "spark.parquet", "--as-of", "2030-01-01T00:00:00Z", "--quiet", "--engine", "spark",
             "--spark-remote", a.spark], cwd=work, env=env, stdout=subprocess.DEVNULL)
        same = (work / "spark.parquet").read_bytes() == (work / "fs.parquet").read_bytes()

    # The entity rows keep their order, as fs keeps it.
    duck_limit = f"SET memory_limit='{a.memory_limit}';" if a.memory_limit else ""
    duck_sql = f"""
        SET TimeZone='UTC';{duck_limit}
        SET temp_directory='{work / "duckdb.tmp"}';
        SET enable_progress_bar=false;
        COPY (
          SELECT e.entity_id, e.event_timestamp, e.label, s.f0 AS g0, s.f1 AS g1, s.f2 AS g2, s.f3 AS g3, s.f4 AS g4
          FROM (SELECT *, row_number() OVER () AS _row FROM '{ents}') e
          ASOF LEFT JOIN (SELECT * FROM '{src}' WHERE created <= TIMESTAMPTZ '2030-01-01') s
            ON e.entity_id = s.entity_id AND e.event_timestamp >= s.ts
          ORDER BY e._row
        ) TO '{work / "duckdb.parquet"}' (FORMAT parquet, COMPRESSION zstd)"""
    duck_wall, duck_cpu, duck_rss = median_run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect().execute({duck_sql!r})"])

    pandas_code = f"""
import pandas as pd
s = pd.read_parquet('{src}')
s = s[s['created'] <= pd.Timestamp('2030-01-01', tz='UTC')].drop(columns='created')
s = s.sort_values('ts', ignore_index=True)
e = pd.read_parquet('{ents}')
e['_row'] = range(len(e))
m = pd.merge_asof(e.sort_values('event_timestamp'), s, left_on='event_timestamp', right_on='ts', by='entity_id')
del s, e
m = m.sort_values('_row').drop(columns=['_row', 'ts'])
m.rename(columns={{f'f{{i}}': f'g{{i}}' for i in range(5)}}).to_parquet('{work / "pandas.parquet"}', compression='zstd')
"""
    fits, need = pandas_fits(a.rows, a.events)
    pandas = median_run([sys.executable, "-c", pandas_code]) if fits and not a.no_pandas else None

    # Same answers (DuckDB breaks ties arbitrarily; random timestamps in micros make ties vanishingly rare).
    got = pd.read_parquet(work / "fs.parquet", columns=["g0"])["g0"].to_numpy()
    want = duckdb.sql(f"SELECT g0 FROM '{work / 'duckdb.parquet'}'").df()["g0"].to_numpy()
    agree = np.mean((got == want) | (np.isnan(got) & np.isnan(want)))
    if pandas:
        theirs = pd.read_parquet(work / "pandas.parquet", columns=["g0"])["g0"].to_numpy()
        agree_pandas = np.mean((got == theirs) | (np.isnan(got) & np.isnan(theirs)))

    cores = os.cpu_count()
    print(f"data: {a.rows:,} source rows ({a.entities:,} entities, 5 features), {a.events:,} entity rows, "
          f"{cores} cores; median of {a.runs} runs each" + (f"; memory limit {a.memory_limit}" if a.memory_limit else ""))
    rows = {"fs materialize": (fs_wall, fs_cpu, fs_rss), "duckdb ASOF JOIN": (duck_wall, duck_cpu, duck_rss)}
    if pandas:
        rows["pandas merge_asof"] = pandas
    elif not a.no_pandas:
        print(f"pandas merge_asof  not run: it would need about {need / 2**30:.0f} GiB, more than this machine has free")
    if spark:
        rows["fs --engine spark"] = spark
    for name, (w, c, r) in rows.items():
        print(f"{name:18s} wall {w:6.2f} s   cpu {c:6.2f} s   cores busy {c / w:4.2f}/{cores}   peak RSS {r:7.0f} MiB")
    print(f"fs and duckdb agree on {agree:.6%} of rows" + (f"; fs and pandas on {agree_pandas:.6%}" if pandas else ""))
    if spark:
        print("the spark engine's file is byte for byte the local engine's:", same,
              "(cpu and peak RSS are the fs process's; Spark's own are not counted)")


if __name__ == "__main__":
    main()
