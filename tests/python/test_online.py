"""Online serving from Python, against a local store and a real fs serve: after
online_sync(as_of=T), store.online(...) gives what training_set(..., as_of=T) gives for
entity rows (key, T), bit for bit, on random events with composite string and integer keys,
ties, late rows, null values, a TTL and windows; pushes; logged requests replayed."""
import subprocess

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fs_features as fs

DEFS = """entities:
  - name: place
    join_keys: [city, zone]
sources:
  - name: trips
    path: events/
    entity: place
    timestamp_field: ts
    created_timestamp_field: created
features:
  - name: last_fare
    source: trips
    expr: fare
  - name: fare_ttl
    source: trips
    expr: fare * 2.0
    ttl: 36h
  - name: n_3d
    source: trips
    aggregate: count
    window: 3d
  - name: fare_mean_7d
    source: trips
    expr: fare
    aggregate: mean
    window: 7d
  - name: kind_last
    source: trips
    expr: kind
"""
FEATS = ["last_fare", "fare_ttl", "n_3d", "fare_mean_7d", "kind_last"]
HOUR = 3600 * 10**6
T0 = pd.Timestamp("2024-01-01", tz="UTC")


def write_events(path, rng, rows=5_000):
    t0 = T0.value // 1000
    ts = t0 + rng.integers(0, 24 * 20, rows) * HOUR  # hourly over 20 days: ties
    pq.write_table(pa.table({
        "city": pa.array(rng.choice(["paris", "nice", "lyon", "lille"], rows)),
        "zone": pa.array(rng.integers(0, 40, rows), pa.int64()),
        "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "created": pa.array(ts + rng.integers(0, 48, rows) * HOUR, pa.timestamp("us", tz="UTC")),
        "fare": pa.array(np.round(rng.gamma(2.0, 9.0, rows), 2), pa.float64(), mask=rng.random(rows) < 0.05),
        "kind": pa.array(rng.choice(["a", "b"], rows)),
    }), path, row_group_size=1_000)


@pytest.fixture()
def stores(fs_bin, tmp_path, fs_serve, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FS_BIN", fs_bin)
    (tmp_path / "events").mkdir()
    rng = np.random.default_rng(5)
    write_events(tmp_path / "events" / "a.parquet", rng)
    write_events(tmp_path / "events" / "b.parquet", rng, rows=2_000)
    (tmp_path / "features.yaml").write_text(DEFS)
    local = fs.Store.init("local")
    fs.Store.init("team")
    url = fs_serve(tmp_path, "team", "--data-root", str(tmp_path), "--log-requests")
    remote = fs.Store(url)
    for s in (local, remote):
        s.register("features.yaml")
    return {"local": local, "remote": remote}


def keys():
    k = [{"city": c, "zone": z} for c in ["paris", "nice", "lyon", "lille"] for z in range(40)]
    return k + [{"city": "rome", "zone": 1}, {"city": "paris", "zone": 99}]  # in no source


def offline(store, ents, t):
    df = pd.DataFrame(ents)
    df["event_timestamp"] = pd.Timestamp(t)
    return store.training_set(FEATS, entities=df, as_of=t)[["city", "zone"] + FEATS]


def same_bits(a, b):
    """Frames equal value by value: floats by their bits, nulls as nulls."""
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for c in a.columns:
        x, y = a[c].tolist(), b[c].tolist()
        for i, (u, v) in enumerate(zip(x, y)):
            nu, nv = u is None or (isinstance(u, float) and np.isnan(u)), v is None or (isinstance(v, float) and np.isnan(v))
            if nu or nv:
                assert nu and nv, (c, i, u, v)
            elif isinstance(u, float) or isinstance(v, float):
                assert np.float64(u).tobytes() == np.float64(v).tobytes(), (c, i, u, v)
            else:
                assert u == v, (c, i, u, v)


@pytest.mark.parametrize("kind", ["local", "remote"])
def test_online_is_the_training_set(stores, kind):
    store = stores[kind]
    ents = keys()
    for t in ["2024-01-04T00:00:00Z", "2024-01-11T13:30:00Z", "2024-02-01T00:00:00Z"]:
        res = store.online_sync(FEATS, as_of=t)
        assert [f["status"] for f in res["features"]] == ["synced"] * len(FEATS)
        got = store.online(FEATS, entities=ents)
        assert got.attrs["fs"]["as_of"] == t and set(got.attrs["fs"]["versions"]) == set(FEATS)
        same_bits(got, offline(store, ents, t))
    nulls = got.attrs["fs"]["nulls"]
    assert nulls[0]["fare_ttl"] == "outside_ttl" and nulls[-1]["last_fare"] == "no_row" and got["n_3d"].iloc[-1] == 0

    # Entities as a DataFrame or a dict of lists: the same rows.
    df = pd.DataFrame(ents[:5])
    same_bits(store.online(FEATS, entities=df), got.iloc[:5].reset_index(drop=True))
    same_bits(store.online(FEATS, entities={"city": ["paris"], "zone": [0]}), got.iloc[:1])

    # A push: the pushed key as of the push, as the training set gives it then.
    rows = pd.DataFrame({"city": ["paris"], "zone": [3], "ts": [pd.Timestamp.now(tz="UTC").floor("s")],
                         "created": [pd.Timestamp.now(tz="UTC").floor("s")], "fare": [77.25], "kind": ["b"]})
    rows[["ts", "created"]] = rows[["ts", "created"]].astype("datetime64[us, UTC]")
    if kind == "local":
        pushed = store.push("trips", rows)
    else:
        rows.to_parquet("rows.parquet", index=False)
        pushed = store.push("trips", "rows.parquet")
    assert pushed["rows"] == 1 and pushed["keys"] == 1
    got = store.online(FEATS, entities=[{"city": "paris", "zone": 3}])
    assert got["last_fare"].iloc[0] == 77.25 and got["fare_ttl"].iloc[0] == 154.5 and got["kind_last"].iloc[0] == "b"
    same_bits(got, offline(store, [{"city": "paris", "zone": 3}], pushed["as_of"]))


def test_online_errors(stores):
    for store in stores.values():
        with pytest.raises(fs.FsError, match="has no online values") as e:
            store.online(["last_fare"], entities=[{"city": "paris", "zone": 1}])
        assert "fs online sync" in e.value.hint
        store.online_sync(["last_fare"], as_of="2024-01-05")
        with pytest.raises(fs.FsError, match='entity 1: zone is "1", not an integer'):
            store.online(["last_fare"], entities=[{"city": "paris", "zone": "1"}])
        with pytest.raises(fs.UsageError, match="one of features, feature_set and run"):
            store.online(["last_fare"], feature_set="x", entities=[{"city": "paris", "zone": 1}])
        with pytest.raises(fs.FsError, match="the rows have a column extra"):
            pd.DataFrame({"city": ["x"], "zone": [1], "ts": [T0], "created": [T0], "fare": [1.0], "kind": ["a"], "extra": [1]}).to_parquet("bad.parquet")
            store.push("trips", "bad.parquet")
    with pytest.raises(fs.FsError, match="no online requests are logged"):
        stores["local"].online_check()


def test_logged_requests_replay(stores):
    store = stores["remote"]
    store.online_sync(FEATS, as_of="2024-01-09")
    for chunk in (keys()[:50], keys()[50:]):
        store.online(FEATS, entities=chunk)
    check = store.online_check(last=10)
    assert check["requests"] == 2 and check["values"] == len(keys()) * len(FEATS) and check["differences"] == []
