"""Benchmark: fs materialize against DuckDB's ASOF JOIN and Polars' join_asof (and pandas' merge_asof with
--pandas) on the same files, in the same run, on several layouts of the same source rows.

Generates 10,000,000 source rows (100,000 entities, 5 float columns, an event and a created timestamp) and 1,000,000
entity rows; writes the source as one row group, as 64 row groups and as 100 files (--shapes); then times, as its own
process under GNU time (wall, CPU, peak RSS), each tool computing five features (three columns, two expressions):
  - fs materialize,
  - DuckDB: read parquet, ASOF LEFT JOIN, write zstd parquet,
  - Polars: read parquet, sort both sides, join_asof(by=key, strategy="backward"), sort back, write zstd parquet.
and checks that they agree. The tools take turns (a round runs each once), so that a slow spell of the machine does not
fall on one of them; --before BIN times another fs binary in the same turns. Run with the test environment's Python:
    .venv/bin/python scripts/bench-materialize.py [--shapes one,64,files --runs N --keep DIR --steps --fs BIN --before BIN]
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

from benchtime import SHAPES, timed, write_asof_data

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--entities", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3, help="runs of each tool; the median is reported")
    ap.add_argument("--keep", help="work directory to keep (default: a temporary one)")
    ap.add_argument("--memory-limit", help="fs materialize's --memory-limit and DuckDB's memory_limit (e.g. 2GiB)")
    ap.add_argument("--shapes", default="one,64,files",
                    help="layouts of the same source rows, compared side by side: " +
                         ", ".join(f"{k} ({v})" for k, v in SHAPES.items()))
    ap.add_argument("--pandas", action="store_true", help="also time pandas (it holds everything in memory)")
    ap.add_argument("--spark", help="also time fs materialize --engine spark on this Spark Connect server (sc://HOST:PORT)")
    ap.add_argument("--steps", action="store_true",
                    help="also print fs materialize --timings per step and shape (the median of --runs runs)")
    ap.add_argument("--fs", help="time this fs binary (e.g. an earlier commit's) instead of building ./cmd/fs")
    ap.add_argument("--before", help="also time this fs binary (e.g. an earlier commit's), in turn with the others, "
                                     "as 'fs before', and check that its file is the same")
    ap.add_argument("--sizes", help="several sizes in one run, e.g. 10M,100M: 10M source rows (100k keys) x 1M entity "
                                    "rows, 100M (1M keys) x 10M; overrides --rows, --entities, --events")
    a = ap.parse_args()
    base = pathlib.Path(a.keep or tempfile.mkdtemp(prefix="fs-bench-"))
    fs = pathlib.Path(a.fs).resolve() if a.fs else base / "fs"
    if not a.fs:
        subprocess.run(["go", "build", "-o", str(fs), "./cmd/fs"], cwd=ROOT, check=True)
    sizes = a.sizes.split(",") if a.sizes else [None]
    for size in sizes:
        b = argparse.Namespace(**vars(a))
        work = base
        if size:
            n = int(size.rstrip("M")) * 1_000_000
            b.rows, b.entities, b.events = n, n // 100, n // 10
            work = base / size
        results = {shape: run(b, work, shape, fs) for shape in a.shapes.split(",")}
        report(b, results)
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


# The five features: three columns and two expressions, as fs, SQL and Polars write them.
EXPRS = [("f0", "s.f0", "pl.col('f0')"), ("f1", "s.f1", "pl.col('f1')"), ("f2", "s.f2", "pl.col('f2')"),
         ("f3 * 2.0 + f4", "s.f3 * 2.0 + s.f4", "pl.col('f3') * 2.0 + pl.col('f4')"),
         ("f0 > 0 ? f1 - f2 : f1 * f2", "CASE WHEN s.f0 > 0 THEN s.f1 - s.f2 ELSE s.f1 * s.f2 END",
          "pl.when(pl.col('f0') > 0).then(pl.col('f1') - pl.col('f2')).otherwise(pl.col('f1') * pl.col('f2'))")]
CUTOFF = "2030-01-01T00:00:00Z"


def run(a, work, shape, fs):
    """Times every tool on one shape of the source; returns {tool: (wall, cpu, rss)} and the rows' agreement."""
    work.mkdir(parents=True, exist_ok=True)
    src, ents = write_asof_data(work, a.rows, a.entities, a.events, shape)
    files = src / "*.parquet" if src.is_dir() else src
    out = work / shape
    out.mkdir(exist_ok=True)
    (out / "features.yaml").write_text(
        "entities: [{name: e, join_keys: [entity_id]}]\n"
        f"sources: [{{name: s, path: {src}, entity: e, timestamp_field: ts, created_timestamp_field: created}}]\n"
        "features:\n" + "".join(f"  - {{name: g{i}, source: s, expr: '{e[0]}', type: float64}}\n"
                                for i, e in enumerate(EXPRS)))
    env = {**os.environ, "FS_STORE": str(out / "store")}
    if not (out / "store").exists():
        subprocess.run([str(fs), "init"], env=env, check=True, capture_output=True)
    subprocess.run([str(fs), "register", "features.yaml"], cwd=out, env=env, check=True, capture_output=True)

    cmds = {}  # tool: (args, keywords) of the command timed

    features = ",".join(f"g{i}" for i in range(len(EXPRS)))
    limit = ["--memory-limit", a.memory_limit] if a.memory_limit else []
    fs_cmd = [str(fs), "materialize", "--features", features, "--entities", str(ents), "--out", "fs.parquet",
              "--as-of", CUTOFF, "--quiet", *limit]
    cmds["fs materialize"] = (fs_cmd, dict(cwd=out, env=env, stdout=subprocess.DEVNULL))
    if a.before:
        cmds["fs before"] = ([str(pathlib.Path(a.before).resolve()), *fs_cmd[1:7], "before.parquet", *fs_cmd[8:]],
                             dict(cwd=out, env=env, stdout=subprocess.DEVNULL))
    if a.spark:
        cmds["fs --engine spark"] = (
            [str(fs), "materialize", "--features", features, "--entities", str(ents),
             "--out", "spark.parquet", "--as-of", CUTOFF, "--quiet", "--engine", "spark",
             "--spark-remote", a.spark], dict(cwd=out, env=env, stdout=subprocess.DEVNULL))

    # The entity rows keep their order, as fs keeps it.
    duck_limit = f"SET memory_limit='{a.memory_limit}';" if a.memory_limit else ""
    cols = ", ".join(f"{e[1]} AS g{i}" for i, e in enumerate(EXPRS))
    duck_sql = f"""
        SET TimeZone='UTC';{duck_limit}
        SET temp_directory='{out / "duckdb.tmp"}';
        SET enable_progress_bar=false;
        COPY (
          SELECT e.entity_id, e.event_timestamp, e.label, {cols}
          FROM (SELECT *, row_number() OVER () AS _row FROM '{ents}') e
          ASOF LEFT JOIN (SELECT * FROM '{files}' WHERE created <= TIMESTAMPTZ '2030-01-01') s
            ON e.entity_id = s.entity_id AND e.event_timestamp >= s.ts
          ORDER BY e._row
        ) TO '{out / "duckdb.parquet"}' (FORMAT parquet, COMPRESSION zstd)"""
    cmds["duckdb ASOF JOIN"] = ([sys.executable, "-c", f"import duckdb; duckdb.connect().execute({duck_sql!r})"], {})

    # Polars: join_asof needs both sides sorted on time; the sorts are part of its time.
    pcols = ", ".join(f"({e[2]}).alias('g{i}')" for i, e in enumerate(EXPRS))
    polars_code = f"""
import datetime, warnings, polars as pl
warnings.filterwarnings('ignore')  # join_asof cannot check sortedness within groups; both sides are sorted
s = pl.read_parquet('{files}').filter(pl.col('created') <= datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc))
s = s.drop('created').sort('ts')
e = pl.read_parquet('{ents}').with_row_index('_row').sort('event_timestamp')
m = e.join_asof(s, left_on='event_timestamp', right_on='ts', by='entity_id', strategy='backward')
del s, e
m = m.sort('_row').select('entity_id', 'event_timestamp', 'label', {pcols})
m.write_parquet('{out / "polars.parquet"}', compression='zstd')
"""
    cmds["polars join_asof"] = ([sys.executable, "-c", polars_code], {})

    if a.pandas:
        fits, need = pandas_fits(a.rows, a.events)
        if fits:
            cmds["pandas merge_asof"] = ([sys.executable, "-c", pandas_code(files, ents, out)], {})
        else:
            print(f"pandas merge_asof not run: it would need about {need / 2**30:.0f} GiB, more than is free")

    # The tools take turns, a round at a time, so that a slow spell of the machine falls on all of them.
    times = {tool: [] for tool in cmds}
    for _ in range(a.runs):
        for tool, (args, kw) in cmds.items():
            warm_cache(*(src.glob("*.parquet") if src.is_dir() else [src]), ents)
            times[tool].append(timed(args, **kw))
    res = {tool: sorted(ts, key=lambda r: r[0])[len(ts) // 2] for tool, ts in times.items()}
    steps = fs_steps(fs_cmd, out, env, a.runs) if a.steps else None
    for other, name in (("fs before", "before.parquet"), ("fs --engine spark", "spark.parquet")):
        if other in cmds:
            print(f"{shape}: {other}'s file is byte for byte fs materialize's:",
                  (out / name).read_bytes() == (out / "fs.parquet").read_bytes())

    # Same answers (DuckDB breaks ties arbitrarily; random timestamps in micros make ties vanishingly rare).
    got = pd.read_parquet(out / "fs.parquet")
    agree = {}
    for peer in ("duckdb", "polars"):
        theirs = pd.read_parquet(out / f"{peer}.parquet")
        agree[peer] = min(np.mean((got[c].to_numpy() == theirs[c].to_numpy()) |
                                  (np.isnan(got[c].to_numpy()) & np.isnan(theirs[c].to_numpy())))
                          for c in (f"g{i}" for i in range(len(EXPRS))))
    sizes = {peer: (out / f"{peer}.parquet").stat().st_size for peer in ("fs", "duckdb", "polars")}
    return res, agree, sizes, steps


def fs_steps(cmd, out, env, runs):
    """fs materialize --timings, run runs times: {step: median seconds}, steps in their order."""
    seen = {}
    for _ in range(runs):
        err = subprocess.run([*cmd, "--timings"], cwd=out, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, check=True).stderr
        for line in err.splitlines():
            if line.startswith("fs: timing: "):
                step, secs = line[len("fs: timing: "):].rsplit(None, 2)[:2]
                seen.setdefault(step.strip().replace("fs.parquet", "the output"), []).append(float(secs))
    return {k: sorted(v)[len(v) // 2] for k, v in seen.items()}


def pandas_code(files, ents, out):
    return f"""
import pandas as pd
s = pd.read_parquet('{files.parent if files.name == "*.parquet" else files}')
s = s[s['created'] <= pd.Timestamp('2030-01-01', tz='UTC')].drop(columns='created')
s = s.sort_values('ts', ignore_index=True)
e = pd.read_parquet('{ents}')
e['_row'] = range(len(e))
m = pd.merge_asof(e.sort_values('event_timestamp'), s, left_on='event_timestamp', right_on='ts', by='entity_id')
del s, e
m = m.sort_values('_row').drop(columns=['_row', 'ts'])
m['g3'] = m['f3'] * 2.0 + m['f4']
m['g4'] = m['f1'].where(m['f0'] <= 0, m['f1'] - m['f2']).where(m['f0'] > 0, m['f1'] * m['f2'])
m = m.rename(columns={{'f0': 'g0', 'f1': 'g1', 'f2': 'g2'}})[['entity_id', 'event_timestamp', 'label', 'g0', 'g1', 'g2', 'g3', 'g4']]
m.to_parquet('{out / "pandas.parquet"}', compression='zstd')
"""


def report(a, results):
    cores = os.cpu_count()
    print(f"data: {a.rows:,} source rows ({a.entities:,} entities; 5 features: 3 columns, 2 expressions), "
          f"{a.events:,} entity rows, {cores} cores; median of {a.runs} runs each"
          + (f"; memory limit {a.memory_limit}" if a.memory_limit else ""))
    tools = list(next(iter(results.values()))[0])
    print(f"{'':20s}" + "".join(f"{SHAPES[s]:>36s}" for s in results))
    for tool in tools:
        line = f"{tool:20s}"
        for res, *_ in results.values():
            w, c, r = res[tool]
            line += f"{w:8.2f} s {c:6.2f} s cpu {r:6.0f} MiB    "
        print(line)
    line = f"{'fs / best peer':20s}"
    for res, *_ in results.values():
        best = min(res[t][0] for t in res if not t.startswith("fs"))
        line += f"{res['fs materialize'][0] / best:36.2f}"
    print(line)
    if "fs before" in tools:
        line = f"{'fs before / best peer':20s}"
        for res, *_ in results.values():
            best = min(res[t][0] for t in res if not t.startswith("fs"))
            line += f"{res['fs before'][0] / best:36.2f}"
        print(line)
    for shape, (_, agree, sizes, _) in results.items():
        print(f"{SHAPES[shape]}: fs agrees with duckdb on {agree['duckdb']:.6%} of rows, with polars on "
              f"{agree['polars']:.6%}; output sizes fs {sizes['fs'] / 2**20:.1f} MiB, duckdb "
              f"{sizes['duckdb'] / 2**20:.1f} MiB, polars {sizes['polars'] / 2**20:.1f} MiB")
    steps = {shape: r[3] for shape, r in results.items() if r[3]}
    if steps:
        print("fs materialize --timings, seconds (median):")
        print(f"{'':58s}" + "".join(f"{SHAPES[s]:>26s}" for s in steps))
        for step in next(iter(steps.values())):
            print(f"{step:58s}" + "".join(f"{st.get(step, float('nan')):26.3f}" for st in steps.values()))


if __name__ == "__main__":
    main()
