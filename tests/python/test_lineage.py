"""Lineage, impact, reproduce and the OpenLineage export, as a user runs them."""
import json
import pathlib
import shutil
import subprocess

import jsonschema
import pandas as pd
import pytest
from referencing import Registry, Resource

SPEC = pathlib.Path(__file__).resolve().parents[2] / "openlineage" / "testdata" / "schemas"  # the schemas, kept in the repository


@pytest.fixture()
def trained(run_fs, tmp_path):
    run_fs("demo", "--data-only", ".")
    run_fs("init")
    run_fs("register", "features.yaml")
    ds = json.loads(run_fs("materialize", "--feature-set", "driver_ranking", "--entities", "orders.tsv",
                           "--out", "train.parquet", "--as-of", "2021-04-10T00:00:00Z", "--json").stdout)
    run = json.loads(run_fs("train", "--dataset", "train.parquet", "--target", "trip_completed", "--drop-nulls",
                            "--alpha", "0.01", "--seed", "3", "--json").stdout)["run"]
    return ds, run


def test_lineage_upstream_and_downstream(run_fs, trained):
    ds, run = trained
    up = json.loads(run_fs("lineage", run["id"][:8], "--format", "json").stdout)["trees"][0]
    assert up["node"]["kind"] == "run"
    (dataset,) = up["children"]
    assert dataset["node"]["id"] == "dataset:" + ds["id"]
    kinds = sorted(c["node"]["kind"] for c in dataset["children"])
    assert kinds == ["feature", "feature", "feature", "snapshot"]
    text = run_fs("lineage", run["id"][:8]).stdout
    assert "└─<- dataset " + ds["id"][:12] in text and "snapshot driver_stats@" in text
    down = run_fs("lineage", "conv_rate", "--downstream").stdout
    assert "-> dataset " + ds["id"][:12] in down and "-> run " + run["id"][:12] in down
    assert "-> feature_set driver_ranking@" in down


def test_impact_lists_what_a_change_affects(run_fs, trained):
    ds, run = trained
    rep = json.loads(run_fs("impact", "acc_rate", "--json").stdout)
    assert [d["id"] for d in rep["datasets"]] == ["dataset:" + ds["id"]]
    assert [r["id"] for r in rep["runs"]] == ["run:" + run["id"]]
    assert [f["label"].split("@")[0] for f in rep["dependent_features"]] == ["engagement"]
    out = run_fs("impact", "trips_per_hour").stdout
    assert out.startswith("changing trips_per_hour@")
    assert "0 runs (in 0 sweeps), 0 datasets" in out  # the dataset did not use it


def test_dot_and_mermaid_render(run_fs, trained, tmp_path):
    _, run = trained
    dot = run_fs("lineage", run["id"][:8], "--format", "dot").stdout
    assert dot.startswith("digraph lineage {")
    mer = run_fs("lineage", run["id"][:8], "--format", "mermaid").stdout
    assert mer.startswith("flowchart LR") and "-->" in mer
    if shutil.which("dot") is None:
        pytest.fail("graphviz is not installed: the test command installs it") if __import__("os").environ.get("CI") \
            else pytest.skip("graphviz (dot) is not installed; the test command installs it")
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
    assert "<svg" in svg and run["id"][:12] in svg


def registry():
    resources = []
    for p in [SPEC / "OpenLineage.json", *sorted((SPEC / "facets").glob("*.json"))]:
        doc = json.loads(p.read_text())
        resources.append((doc["$id"], Resource.from_contents(doc)))
    return Registry().with_resources(resources)


FACETS = {"schema": "SchemaDatasetFacet", "version": "DatasetVersionDatasetFacet", "jobType": "JobTypeJobFacet",
          "parent": "ParentRunFacet"}


def test_openlineage_events_validate(run_fs, trained):
    ds, run = trained
    lines = run_fs("lineage", "export", "--openlineage").stdout.splitlines()
    events = [json.loads(l) for l in lines]
    reg = registry()
    spec = json.loads((SPEC / "OpenLineage.json").read_text())
    event_schema = {"$ref": spec["$id"] + "#/$defs/RunEvent"}
    facet_files = {json.loads(p.read_text())["$id"].rsplit("/", 1)[1].removesuffix(".json"): json.loads(p.read_text())["$id"]
                   for p in (SPEC / "facets").glob("*.json")}
    checked = 0
    for e in events:
        jsonschema.Draft202012Validator(event_schema, registry=reg, format_checker=jsonschema.FormatChecker()).validate(e)
        facets = [*e["job"].get("facets", {}).items(), *e["run"].get("facets", {}).items()]
        for d in e["inputs"] + e["outputs"]:
            facets += d.get("facets", {}).items()
        for name, facet in facets:
            if name in FACETS:
                schema = {"$ref": facet_files[FACETS[name]] + "#/$defs/" + FACETS[name]}
                jsonschema.Draft202012Validator(schema, registry=reg).validate(facet)
                checked += 1
    assert checked > 0
    by_job = {}
    for e in events:
        by_job.setdefault((e["job"]["name"], e["run"]["runId"]), []).append(e["eventType"])
    assert sorted(by_job.values()) == [["START", "COMPLETE"], ["START", "COMPLETE"]]
    mat = [e for e in events if e["job"]["name"] == "materialize"][0]
    assert mat["outputs"][0]["facets"]["version"]["datasetVersion"] == ds["id"]
    assert {i["facets"]["version"]["datasetVersion"] for i in mat["inputs"]} >= {ds["entities"]["digest"]}
    tr = [e for e in events if e["job"]["name"] == "train"][0]
    assert tr["inputs"][0]["facets"]["version"]["datasetVersion"] == ds["id"]


def test_reproduce_identical_then_backfill_then_change(run_fs, trained, tmp_path):
    ds, run = trained
    out = run_fs("reproduce", run["id"][:8]).stdout
    assert "reproduced: identical" in out
    path = tmp_path / "driver_stats.parquet"
    df = pd.read_parquet(path, dtype_backend="pyarrow")  # keeps the parquet types (nullable int64)
    # A backfill created after the cutoff: the rebuild is still identical.
    late = df.iloc[:50].copy()
    late["conv_rate"] = 0.99
    late["created"] = pd.Timestamp("2026-01-01", tz="UTC")
    pd.concat([df, late]).to_parquet(path, index=False)
    rep = json.loads(run_fs("reproduce", run["id"][:8], "--json").stdout)
    assert rep["identical"] and rep["same_rows"] and not rep["same_dataset_id"]
    assert rep["sources"][0]["changed"] and rep["sources"][0]["files"] == ["modified " + str(path)]
    assert "behind" in " ".join(rep["notes"]) or "after the cutoff" in " ".join(rep["notes"])
    # A change before the cutoff: not identical, and it says what differs.
    df2 = df.copy()
    df2["conv_rate"] = df2["conv_rate"] * 2
    df2.to_parquet(path, index=False)
    proc = run_fs("reproduce", run["id"][:8], check=False)
    assert proc.returncode == 4
    assert "differs  column conv_rate differs in" in proc.stdout
    assert "not reproduced" in proc.stdout


def test_a_copied_project_reproduces_from_its_own_files(fs_bin, run_fs, trained, tmp_path):
    """Paths inside the project are kept relative to it: a copy of the
    project folder reproduces from the copy's files, even when the
    original's are changed, and finds a moved entity file by its content."""
    ds, run = trained
    copy = tmp_path.parent / (tmp_path.name + "-copy")
    shutil.copytree(tmp_path, copy)
    # Spoil the original: reading it from the copy would show.
    (tmp_path / "orders.tsv").write_text("event_timestamp\tdriver_id\ttrip_completed\n")
    (tmp_path / "driver_stats.parquet").write_bytes(b"not parquet")

    def fs(*args):
        import os
        return subprocess.run([fs_bin, *args], cwd=copy, capture_output=True, text=True,
                              env={**os.environ, "FS_STORE": str(copy / ".fs")})

    shown = json.loads(fs("datasets", "show", ds["id"][:12], "--json").stdout)
    assert shown["entities"]["path"] == str(copy / "orders.tsv")
    assert shown["sources"][0]["files"][0]["path"] == str(copy / "driver_stats.parquet")
    proc = fs("reproduce", run["id"][:12], "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["identical"]
    # The entity file moved within the project: found by its content.
    (copy / "inputs").mkdir()
    (copy / "orders.tsv").rename(copy / "inputs" / "orders.tsv")
    proc = fs("reproduce", run["id"][:12], "--json")
    rep = json.loads(proc.stdout)
    assert proc.returncode == 0 and rep["identical"], proc.stdout + proc.stderr
    assert any("inputs/orders.tsv has its content and was used" in n for n in rep["notes"]), rep["notes"]
    # So is a source file that moved.
    (copy / "data").mkdir()
    (copy / "driver_stats.parquet").rename(copy / "data" / "driver_stats.parquet")
    proc = fs("reproduce", run["id"][:12], "--json")
    rep = json.loads(proc.stdout)
    assert proc.returncode == 0 and rep["identical"], proc.stdout + proc.stderr
    assert any("data/driver_stats.parquet has its files' content and was used" in n for n in rep["notes"]), rep["notes"]
