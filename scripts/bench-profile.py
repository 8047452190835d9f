"""Benchmark: fs profile against pandas on the same parquet file, in the same run.

pandas does what fs profile reports: read the file, describe() with the same
quantiles, nunique(), the null counts, corr(), duplicated() on the rows and on
(entity, timestamp), and a 20-bin histogram per numeric column. fs runs with
its default budget and, when --memory-limit is given, within that too (the
bounded path: row hashes and columns in temporary files); the two fs profiles
must be the same JSON. Each tool runs as its own process under GNU time.
Run with the test environment's Python:
  .venv/bin/python scripts/bench-profile.py FILE.parquet --entity entity_id --timestamp ts [--memory-limit 128MiB]
(the materialize benchmark's source, 10M rows x 8 columns, is such a file: scripts/bench-materialize.py --keep DIR)
"""
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile

from benchtime import timed

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--entity", required=True)
    ap.add_argument("--timestamp", required=True)
    ap.add_argument("--memory-limit")
    a = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="fs-bench-profile-"))
    fs = work / "fs"
    subprocess.run(["go", "build", "-o", str(fs), "./cmd/fs"], cwd=ROOT, check=True)
    env = {**os.environ, "FS_STORE": str(work / "no-store")}
    args = [str(fs), "profile", a.file, "--entity", a.entity, "--timestamp", a.timestamp, "--json"]
    rows = {}
    with open(work / "default.json", "w") as out:
        rows["fs profile"] = timed(args, env=env, stdout=out)
    if a.memory_limit:
        with open(work / "bounded.json", "w") as out:
            rows[f"fs profile, {a.memory_limit}"] = timed(args + ["--memory-limit", a.memory_limit], env=env, stdout=out)
        same = (work / "default.json").read_bytes() == (work / "bounded.json").read_bytes()
    code = f"""
import numpy as np, pandas as pd
df = pd.read_parquet({a.file!r})
num = df.select_dtypes('number')
num.describe(percentiles=[0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
df.nunique(); df.isna().sum(); num.corr()
df.duplicated().sum(); df.duplicated([{a.entity!r}, {a.timestamp!r}]).sum()
for c in num.columns:
    x = num[c].dropna().to_numpy()
    np.histogram(x, bins=20)
"""
    rows["pandas"] = timed([sys.executable, "-c", code])
    for name, (w, c, r) in rows.items():
        print(f"{name:24s} wall {w:6.2f} s   cpu {c:6.2f} s   peak RSS {r:7.0f} MiB")
    if a.memory_limit:
        print("the bounded profile is the default one, byte for byte:", same)


if __name__ == "__main__":
    main()
