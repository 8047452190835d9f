"""What the benchmark scripts share: timing a command as its own process, the as-of benchmark's data."""
import os
import pathlib
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


SHAPES = {
    "1M": "row groups of 1M rows",
    "one": "one row group",
    "64": "64 row groups",
    "files": "100 files of 1/100 each",
}


def write_asof_data(work, rows, entities, events, shape="1M"):
    """The as-of benchmark's files in work (kept when there): the source, rows source rows over entities keys and 90
    days (an event and a created time, 5 float columns; generated 10M rows at a time) laid out as shape says (SHAPES:
    source.parquet in row groups of 1M, written a batch at a time so that 100M rows fit in memory; source-one.parquet
    in one row group; source-64.parquet in 64; source/, a directory of 100 files), and entities.parquet, events entity
    rows with a label. Every shape holds the same rows in the same order. Returns their paths."""
    rng = np.random.default_rng(1)
    t0 = pd.Timestamp("2024-01-01", tz="UTC").value // 1000
    span = 90 * 86400 * 10**6
    src = work / {"1M": "source.parquet", "files": "source"}.get(shape, f"source-{shape}.parquet")
    batches = source_batches(rng, rows, entities, t0, span)
    if not src.exists():
        write_source(work, src, batches, rows, shape)
    else:
        for _ in batches:  # the entity rows draw from the generator after the source
            pass
    ents = work / "entities.parquet"
    if not ents.exists():
        pq.write_table(pa.table({
            "entity_id": pa.array(rng.integers(0, entities, events), pa.int64()),
            "event_timestamp": pa.array(t0 + rng.integers(0, span, events), pa.timestamp("us", tz="UTC")),
            "label": pa.array(rng.normal(size=events)),
        }), ents)
    return src, ents


def source_batches(rng, rows, entities, t0, span):
    """The source's rows, 10M at a time."""
    for lo in range(0, rows, 10_000_000):
        n = min(10_000_000, rows - lo)
        ts = t0 + rng.integers(0, span, n)
        yield pa.table({
            "entity_id": pa.array(rng.integers(0, entities, n), pa.int64()),
            "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "created": pa.array(ts + rng.integers(0, 3600 * 10**6, n), pa.timestamp("us", tz="UTC")),
            **{f"f{i}": pa.array(rng.normal(size=n)) for i in range(5)},
        })


def write_source(work, src, batches, rows, shape):
    """Writes the source's batches as shape says, through a temporary name."""
    if shape == "files":
        tmp = pathlib.Path(tempfile.mkdtemp(dir=work))
        table = pa.concat_tables(batches)
        step = -(-rows // 100)
        for k in range(100):
            pq.write_table(table.slice(k * step, step), tmp / f"part-{k:03d}.parquet")
        os.replace(tmp, src)
        return
    group = {"1M": 1_000_000, "one": rows, "64": -(-rows // 64)}[shape]
    with tempfile.NamedTemporaryFile(dir=work, suffix=".parquet", delete=False) as tmp:
        writer = None
        pending = [] if shape != "1M" else None
        for table in batches:
            if pending is not None:
                pending.append(table)
                continue
            writer = writer or pq.ParquetWriter(tmp.name, table.schema)
            writer.write_table(table, row_group_size=group)
        if pending is not None:
            table = pa.concat_tables(pending)
            writer = pq.ParquetWriter(tmp.name, table.schema)
            writer.write_table(table, row_group_size=group)
        writer.close()
    os.replace(tmp.name, src)
