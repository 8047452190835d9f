"""The README's tour runs as written, and no link in the README or docs/ is dead."""
import os
import pathlib
import re
import subprocess
import sys
import unicodedata

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def tour_block():
    """The first sh block after the README's "## A tour" heading."""
    text = (ROOT / "README.md").read_text()
    _, _, after = text.partition("\n## A tour\n")
    assert after, "README.md has no '## A tour' section"
    m = re.search(r"```sh\n(.*?)```", after, re.S)
    assert m, "the tour has no ```sh block"
    return m.group(1)


def test_readme_tour_runs_as_written(fs_bin, tmp_path):
    # make demo is `fs demo`, which writes ./fs-demo; the tour starts there.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "FS_STORE"))}
    env["PATH"] = f"{pathlib.Path(fs_bin).parent}{os.pathsep}{env['PATH']}"
    demo = subprocess.run([fs_bin, "demo"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert demo.returncode == 0, demo.stderr
    script = "set -euo pipefail\nset -x\n" + tour_block()
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    ran = [line for line in proc.stderr.splitlines() if line.startswith("+ ")]
    assert proc.returncode == 0, f"the tour stopped at {ran[-1] if ran else '?'}:\n{proc.stderr[-3000:]}"
    fs_lines = [line for line in ran if line.startswith("+ fs ")]
    assert len(fs_lines) >= 12, ran
    # What the tour says it shows.
    assert "changed (from ab7a234b4e61)" in proc.stdout
    assert "reproduced: identical" in proc.stdout
    assert (tmp_path / "fs-demo" / "predictions.parquet").exists()


def blocks(path, lang):
    """The fenced code blocks of a language in a Markdown file, with their line numbers."""
    text = path.read_text()
    for m in re.finditer(r"^( *)```" + lang + r"\n(.*?)^\1```", text, re.S | re.M):
        body = "\n".join(line[len(m.group(1)):] for line in m.group(2).splitlines())
        yield text[:m.start()].count("\n") + 1, body


@pytest.fixture()
def demo_dir(fs_bin, tmp_path):
    """A fresh `fs demo` (make demo), as the README's reader has it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "FS_STORE", "FS_BIN"))}
    env["PATH"] = f"{pathlib.Path(fs_bin).parent}{os.pathsep}{env['PATH']}"
    demo = subprocess.run([fs_bin, "demo"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert demo.returncode == 0, demo.stderr
    return tmp_path / "fs-demo", env


PYTHON_DOCS = [ROOT / "README.md", ROOT / "docs" / "python.md"]


@pytest.mark.parametrize("doc", PYTHON_DOCS, ids=lambda p: p.name)
def test_python_blocks_run_as_written(doc, demo_dir):
    """Every Python block of the README and docs/python.md runs in fs-demo, with the
    installed package, as a reader would paste it."""
    cwd, env = demo_dir
    found = list(blocks(doc, "python"))
    assert found, f"{doc.name} has no python block"
    for line, code in found:
        proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, f"{doc.name}:{line}: the block fails:\n{code}\n{proc.stderr[-3000:]}"


YAML_DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def definition_blocks():
    for doc in YAML_DOCS:
        for line, body in blocks(doc, "yaml"):
            if re.search(r"^(entities|sources|features|feature_sets):", body, re.M):
                yield pytest.param(body, id=f"{doc.name}:{line}")


def where_data_lives(cwd, env, s3):
    """What docs/storage.md's examples name: the demo's files in the buckets team and warehouse of the test
    command's S3 server, and the catalog lake (catalog.db) with the table rides.trips in s3://warehouse/wh."""
    from pyiceberg.catalog.sql import SqlCatalog
    import pyarrow.parquet as pq
    env.update(s3.env)
    names = {b["Name"] for b in s3.client.list_buckets()["Buckets"]}
    for bucket in ("team", "warehouse"):
        if bucket not in names:
            s3.client.create_bucket(Bucket=bucket)
    s3.client.upload_file(str(cwd / "driver_stats.parquet"), "team", "events/driver_stats.parquet")
    s3.client.upload_file(str(cwd / "trips.parquet"), "team", "events/trips/part-0.parquet")
    cat = SqlCatalog("lake", uri=f"sqlite:///{cwd}/catalog.db", warehouse="s3://warehouse/wh",
                     **{"s3.endpoint": s3.env["AWS_ENDPOINT_URL"], "s3.access-key-id": s3.env["AWS_ACCESS_KEY_ID"],
                        "s3.secret-access-key": s3.env["AWS_SECRET_ACCESS_KEY"], "s3.region": "us-east-1"})
    cat.create_namespace_if_not_exists("rides")
    trips = pq.read_table(cwd / "trips.parquet")
    cat.create_table_if_not_exists("rides.trips", schema=trips.schema).append(trips)


@pytest.mark.parametrize("body", list(definition_blocks()))
def test_definition_examples_register(body, demo_dir, fs_bin, request):
    """Every definition file shown in the README and docs/ registers, in a new store
    over the demo's data (with the files the example names, when they are data the
    demo does not have: objects in a bucket and a table of a catalog for docs/storage.md)."""
    cwd, env = demo_dir
    if "s3://" in body or "catalogs:" in body:
        where_data_lives(cwd, env, request.getfixturevalue("s3"))
    store = cwd / "example-store"
    subprocess.run([fs_bin, "init", "--store", str(store)], cwd=cwd, env=env, check=True, capture_output=True)
    (cwd / "example.yaml").write_text(body)
    proc = subprocess.run([fs_bin, "register", "example.yaml", "--store", str(store)], cwd=cwd, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"{body}\n{proc.stderr}"


def slug(heading):
    """GitHub's anchor for a heading."""
    s = heading.strip().lower()
    s = "".join(ch for ch in s if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return s.replace(" ", "-")


def anchors(path):
    seen, out = {}, set()
    in_code = False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        m = re.match(r"#{1,6} (.*)", line)
        if m and not in_code:
            base = slug(m.group(1))
            n = seen.get(base, 0)
            out.add(base if n == 0 else f"{base}-{n}")
            seen[base] = n + 1
    return out


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def links(path):
    in_code = False
    for no, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("```"):
            in_code = not in_code
            continue
        if not in_code:
            for m in LINK.finditer(line):
                yield no, m.group(1)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_no_dead_relative_links(doc):
    dead = []
    for no, target in links(doc):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        dest = (doc.parent / file).resolve() if file else doc
        if not dest.exists():
            dead.append(f"{doc.name}:{no}: {target}: no such file")
        elif anchor and anchor not in anchors(dest):
            dead.append(f"{doc.name}:{no}: {target}: no heading #{anchor} in {dest.name}")
    assert not dead, "\n".join(dead)


def test_link_checker_finds_dead_links(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n## A `fs` tour: go\n[ok](#a-fs-tour-go) [bad](#nope) [gone](other.md)\n")
    assert anchors(page) == {"title", "a-fs-tour-go"}
    assert [t for _, t in links(page)] == ["#a-fs-tour-go", "#nope", "other.md"]


def test_every_doc_is_reachable_from_the_readme():
    linked = {(ROOT / t.partition("#")[0]).resolve() for _, t in links(ROOT / "README.md") if not t.startswith("http")}
    missing = [d.name for d in DOCS[1:] if d.resolve() not in linked]
    assert not missing, f"README.md does not link {missing}"


def test_readme_is_short():
    assert len((ROOT / "README.md").read_bytes()) < 8 * 1024
