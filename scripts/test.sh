#!/usr/bin/env bash
# Runs every test of fs, installing what the tests need first:
#   - Go modules (go mod download),
#   - a Python virtual environment in .venv with the pinned requirements-test.txt
#     (re-created when that file changes),
# then go vet, the Go tests (unit, conformance, CLI scripts, the SIGKILL
# test), a short fuzz run of the canonical printer, and the Python tests.
# Needs: go, python3 (3.11+) with venv, network access to the Go proxy and PyPI
# on the first run. Usage: scripts/test.sh   (or: make test)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

step() { printf '\n== %s\n' "$*"; }

step "go modules"
go mod download

step "python environment (.venv)"
venv="$top/.venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum requirements-test.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-test.txt
  echo "$want" > "$stamp"
fi
"$venv/bin/python" -c 'import mlflow, sklearn, pandas, pyarrow, duckdb; print("mlflow", mlflow.__version__, "sklearn", sklearn.__version__, "pandas", pandas.__version__, "pyarrow", pyarrow.__version__, "duckdb", duckdb.__version__)'
export FS_PYTHON="$venv/bin/python"

step "go vet"
go vet ./...

step "go test"
go test -count=1 ./...

step "fuzz: canonical printing is a fixpoint (20s)"
go test -run '^$' -fuzz '^FuzzCanonical$' -fuzztime 20s -fuzzminimizetime 0s ./transforms

step "python tests"
"$venv/bin/python" -m pytest -q tests/python
