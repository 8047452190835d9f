"""What the benchmark scripts share: timing a command as its own process, the as-of benchmark's data."""
import os
import subprocess
import tempfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def timed(cmd, **kw):
    """Runs cmd under GNU time; returns its wall seconds, CPU seconds and peak RSS (MiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        subprocess.run(["/usr/bin/time", "-o", out.name, "-f", "%e %U %S %M", *cmd], check=True, **kw)
        wall, user, system, rss_kib = out.read().split()[-4:]
    return float(wall), float(user) + float(system), int(rss_kib) / 1024


def write_asof_data(work, rows, entities, events):
    """The as-of benchmark's files in work (kept when there): source.parquet, rows source rows over entities keys
    and 90 days (an event and a created time, 5 float columns, row groups of 1M, written 10M rows at a time so that
    100M rows fit in memory), and entities.parquet, events entity rows with a label. Returns their paths."""
    rng = np.random.default_rng(1)
    t0 = pd.Timestamp("2024-01-01", tz="UTC").value // 1000
    span = 90 * 86400 * 10**6
    src = work / "source.parquet"
    if not src.exists():
        with tempfile.NamedTemporaryFile(dir=work, suffix=".parquet", delete=False) as tmp:
            writer = None
            for lo in range(0, rows, 10_000_000):
                n = min(10_000_000, rows - lo)
                ts = t0 + rng.integers(0, span, n)
                table = pa.table({
                    "entity_id": pa.array(rng.integers(0, entities, n), pa.int64()),
                    "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
                    "created": pa.array(ts + rng.integers(0, 3600 * 10**6, n), pa.timestamp("us", tz="UTC")),
                    **{f"f{i}": pa.array(rng.normal(size=n)) for i in range(5)},
                })
                writer = writer or pq.ParquetWriter(tmp.name, table.schema)
                writer.write_table(table, row_group_size=1_000_000)
            writer.close()
        os.replace(tmp.name, src)
    ents = work / "entities.parquet"
    if not ents.exists():
        pq.write_table(pa.table({
            "entity_id": pa.array(rng.integers(0, entities, events), pa.int64()),
            "event_timestamp": pa.array(t0 + rng.integers(0, span, events), pa.timestamp("us", tz="UTC")),
            "label": pa.array(rng.normal(size=events)),
        }), ents)
    return src, ents
