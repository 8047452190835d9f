"""Benchmark: fs materialize of windowed aggregations against DuckDB's window SQL and Polars'
rolling functions, on the same files, in the same run.

Generates N events (N/100 keys over 90 days: a fare and a created time) and N/10 entity rows, then
times six aggregations over three windows (count 7d, sum and mean 7d, max 1d, mean 30d, stddev 30d):
  - fs materialize (whole process: wall time, CPU time, peak RSS),
  - DuckDB: the union of entity rows and events, windows RANGE BETWEEN INTERVAL ... PRECEDING AND
    CURRENT ROW partitioned by key, the entity rows kept, written to parquet,
  - Polars: the same union, rolling_*_by over the time, per key (.over), written to parquet,
and checks that the three agree (counts and max exactly, sums and means within rounding).
Run with the test environment's Python:
  .venv/bin/python scripts/bench-aggregate.py [--sizes 10M,100M] [--runs 2] [--keep DIR]
"""
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchtime import timed

ROOT = pathlib.Path(__file__).resolve().parents[1]
CUTOFF = "2030-01-01T00:00:00Z"
FEATURES = [  # name, function, expr, window
    ("trips_7d", "count", None, "7d"),
    ("fare_sum_7d", "sum", "fare", "7d"),
    ("fare_mean_7d", "mean", "fare", "7d"),
    ("fare_max_1d", "max", "fare", "1d"),
    ("fare_mean_30d", "mean", "fare", "30d"),
    ("fare_std_30d", "stddev", "fare", "30d"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10M", help="event counts, e.g. 10M,100M (entity rows: a tenth; keys: a hundredth)")
    ap.add_argument("--runs", type=int, default=2, help="runs of each tool; the best is reported")
    ap.add_argument("--keep", help="work directory to keep (default: a temporary one)")
    ap.add_argument("--memory-limit", help="fs materialize's --memory-limit")
    a = ap.parse_args()
    base = pathlib.Path(a.keep or tempfile.mkdtemp(prefix="fs-bench-agg-"))
    fs = base / "fs"
    subprocess.run(["go", "build", "-o", str(fs), "./cmd/fs"], cwd=ROOT, check=True)
    for size in a.sizes.split(","):
        n = int(float(size.rstrip("M")) * 1_000_000)
        run(a, fs, base / size, n)
        print(flush=True)


def generate(work, n):
    src, ents = work / "events.parquet", work / "entities.parquet"
    rng = np.random.default_rng(1)
    t0 = pd.Timestamp("2024-01-01", tz="UTC").value // 1000
    span = 90 * 86400 * 10**6
    keys = max(1, n // 100)
    if not src.exists():
        with tempfile.NamedTemporaryFile(dir=work, suffix=".parquet", delete=False) as tmp:
            writer = None
            for lo in range(0, n, 10_000_000):
                m = min(10_000_000, n - lo)
                ts = t0 + rng.integers(0, span, m)
                table = pa.table({
                    "entity_id": pa.array(rng.integers(0, keys, m), pa.int64()),
                    "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
                    "created": pa.array(ts + rng.integers(0, 3600 * 10**6, m), pa.timestamp("us", tz="UTC")),
                    "fare": pa.array(np.round(rng.gamma(2.0, 8.0, m), 2)),
                })
                writer = writer or pq.ParquetWriter(tmp.name, table.schema)
                writer.write_table(table, row_group_size=1_000_000)
            writer.close()
        os.replace(tmp.name, src)
    if not ents.exists():
        e = n // 10
        pq.write_table(pa.table({
            "entity_id": pa.array(rng.integers(0, keys, e), pa.int64()),
            "event_timestamp": pa.array(t0 + rng.integers(0, span, e), pa.timestamp("us", tz="UTC")),
        }), ents)
    return src, ents


def fs_definitions():
    lines = ["entities: [{name: e, join_keys: [entity_id]}]",
             "sources: [{name: trips, path: events.parquet, entity: e, timestamp_field: ts, created_timestamp_field: created}]",
             "features:"]
    for name, fn, expr, window in FEATURES:
        lines.append(f"  - {{name: {name}, source: trips, aggregate: {fn}, window: {window}"
                     + (f", expr: {expr}" if expr else "") + "}")
    return "\n".join(lines) + "\n"


DAYS = {"1d": 1, "7d": 7, "30d": 30}


def duckdb_sql(src, ents, out):
    win = {w: f"(PARTITION BY entity_id ORDER BY ts RANGE BETWEEN INTERVAL {d} DAYS PRECEDING AND CURRENT ROW)"
           for w, d in DAYS.items()}
    fn = {"count": "count(fare)", "sum": "sum(fare)", "mean": "avg(fare)", "max": "max(fare)", "stddev": "stddev_samp(fare)"}
    cols = ", ".join(f"{fn[f]} OVER {win[w]} AS {name}" for name, f, _, w in FEATURES)
    return f"""
        SET TimeZone='UTC'; SET enable_progress_bar=false;
        COPY (
          SELECT entity_id, ts AS event_timestamp, {", ".join(f[0] for f in FEATURES)} FROM (
            SELECT *, {cols} FROM (
              SELECT entity_id, ts, fare, NULL::BIGINT AS _row FROM '{src}' WHERE created <= TIMESTAMPTZ '2030-01-01'
              UNION ALL
              SELECT entity_id, event_timestamp, NULL::DOUBLE, row_number() OVER () FROM '{ents}'
            )
          ) WHERE _row IS NOT NULL ORDER BY _row
        ) TO '{out}' (FORMAT parquet, COMPRESSION zstd)"""


def polars_code(src, ents, out):
    return f"""
import polars as pl
ev = pl.read_parquet('{src}').filter(pl.col('created') <= pl.datetime(2030, 1, 1, time_zone='UTC')).select('entity_id', 'ts', 'fare')
en = pl.read_parquet('{ents}').with_row_index('_row').select('_row', 'entity_id', pl.col('event_timestamp').alias('ts'))
u = pl.concat([ev.with_columns(pl.lit(None, pl.UInt32).alias('_row')), en.with_columns(pl.lit(None, pl.Float64).alias('fare'))],
              how='diagonal').sort(['entity_id', 'ts'])
f = pl.col('fare')
def by(e, w):
    return e.over('entity_id')
u = u.with_columns(
    f.is_not_null().cast(pl.Int64).rolling_sum_by('ts', window_size='7d', closed='both').over('entity_id').alias('trips_7d'),
    f.rolling_sum_by('ts', window_size='7d', closed='both').over('entity_id').alias('fare_sum_7d'),
    f.rolling_mean_by('ts', window_size='7d', closed='both').over('entity_id').alias('fare_mean_7d'),
    f.rolling_max_by('ts', window_size='1d', closed='both').over('entity_id').alias('fare_max_1d'),
    f.rolling_mean_by('ts', window_size='30d', closed='both').over('entity_id').alias('fare_mean_30d'),
    f.rolling_std_by('ts', window_size='30d', closed='both').over('entity_id').alias('fare_std_30d'),
)
u.filter(pl.col('_row').is_not_null()).sort('_row').drop('_row', 'fare').rename({{'ts': 'event_timestamp'}}).write_parquet('{out}')
"""


def run(a, fs, work, n):
    work.mkdir(parents=True, exist_ok=True)
    src, ents = generate(work, n)
    (work / "features.yaml").write_text(fs_definitions())
    env = {**os.environ, "FS_STORE": str(work / "store")}
    if not (work / "store").exists():
        subprocess.run([str(fs), "init"], env=env, check=True, capture_output=True)
    subprocess.run([str(fs), "register", "features.yaml"], cwd=work, env=env, check=True, capture_output=True)

    def best(*args, **kw):
        return min((timed(*args, **kw) for _ in range(a.runs)), key=lambda r: r[0])

    limit = ["--memory-limit", a.memory_limit] if a.memory_limit else []
    rows = {"fs materialize": best(
        [str(fs), "materialize", "--features", ",".join(f[0] for f in FEATURES), "--entities", "entities.parquet",
         "--out", "fs.parquet", "--as-of", CUTOFF, "--quiet", *limit], cwd=work, env=env, stdout=subprocess.DEVNULL)}
    sql = duckdb_sql(src, ents, work / "duckdb.parquet")
    rows["duckdb window SQL"] = best([sys.executable, "-c", f"import duckdb; duckdb.connect().execute({sql!r})"])
    rows["polars rolling_*_by"] = best([sys.executable, "-c", polars_code(src, ents, work / "polars.parquet")])

    got = pd.read_parquet(work / "fs.parquet")
    print(f"data: {n:,} events ({max(1, n // 100):,} keys, 90 days), {n // 10:,} entity rows, {os.cpu_count()} cores; "
          f"best of {a.runs} runs each" + (f"; memory limit {a.memory_limit}" if a.memory_limit else ""))
    fs_wall = rows["fs materialize"][0]
    for name, (w, c, r) in rows.items():
        print(f"{name:20s} wall {w:6.2f} s   cpu {c:6.2f} s   peak RSS {r:7.0f} MiB   fs is {w / fs_wall:5.1f}x faster")
    for peer in ("duckdb", "polars"):
        theirs = pd.read_parquet(work / f"{peer}.parquet")
        print(f"fs and {peer}: " + "; ".join(f"{name} " + agreement(got[name], theirs[name], fn) for name, fn, _, _ in FEATURES))


def agreement(mine, theirs, fn):
    """How the two columns agree: exactly for counts and max, within 1e-9 relative for the others."""
    a, b = mine.to_numpy(dtype=float), theirs.to_numpy(dtype=float)
    both_null = np.isnan(a) & np.isnan(b)
    if fn in ("count", "max"):
        ok = (a == b) | both_null
    else:
        ok = (np.abs(a - b) <= 1e-9 * np.maximum(1, np.abs(b))) | both_null
    return f"{ok.mean():.4%}"


if __name__ == "__main__":
    main()
