#!/usr/bin/env bash
# Runs every test of fs, installing what the tests need first:
#   - Go modules (go mod download),
#   - a Python virtual environment in .venv with the pinned requirements-test.txt
#     (re-created when that file changes; installed with uv, which fetches in
#     parallel),
#   - graphviz, chromium, redis-server and Java 17 from Debian when missing (apt-get: root,
#     or sudo without a password),
# then starts a real MLflow server (and an MLflow 2 one, from its own venv), a real Spark Connect server and an
# S3-compatible server (versitygw, built with go install) on free 127.0.0.1 ports, runs gofmt, go vet, the Go tests (unit, conformance, CLI
# scripts, kills, the web UI in Chromium, MLflow), a short run of each fuzz
# target, installs the Python client and runs the Python tests, stops the
# servers, and prints how long each step took. A skipped test fails the run in
# CI (CI set); elsewhere each skip says why.
# Needs: go, python3 (3.11+) with venv, network access to the Go proxy, PyPI
# and Debian on the first run. Usage: scripts/test.sh   (or: make test)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
versitygw_version=v1.8.0

# step NAME: a new step; the time of the last one is kept for the summary.
started=$(date +%s)
step_name="" step_start=$started steps=()
step() {
  local now
  now=$(date +%s)
  [ -n "$step_name" ] && steps+=("$(printf '%5d s  %s' $((now - step_start)) "$step_name")")
  step_name="$*" step_start=$now
  printf '\n== %s\n' "$*"
}
summary() {
  step "done"
  printf '\n== where the time went (%d s in all)\n' $(( $(date +%s) - started ))
  printf '%s\n' "${steps[@]}"
}

step "go modules"
go mod download

step "python environment (.venv)"
venv="$top/.venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum requirements-test.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "creating .venv: mlflow, scikit-learn, pandas, pyarrow, duckdb, pyspark, jupyter (about 1.5 GB; a few minutes)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check uv==0.13.8
  "$venv/bin/uv" pip install --quiet --python "$venv/bin/python" -r requirements-test.txt
  echo "$want" > "$stamp"
fi
"$venv/bin/python" -c 'import mlflow, sklearn, pandas, pyarrow, duckdb; print("mlflow", mlflow.__version__, "sklearn", sklearn.__version__, "pandas", pandas.__version__, "pyarrow", pyarrow.__version__, "duckdb", duckdb.__version__)'
export FS_PYTHON="$venv/bin/python"

step "mlflow server (real, on 127.0.0.1, sqlite backend, served artifacts)"
# start_mlflow MLFLOW DIR PORT: an mlflow server on 127.0.0.1:PORT keeping its database and artifacts in DIR; its
# pid in started_pid. stop_mlflow_at PID DIR stops it and removes DIR.
start_mlflow() {
  "$1" server --host 127.0.0.1 --port "$3" --backend-store-uri "sqlite:///$2/mlflow.db" --artifacts-destination "$2/artifacts" \
    --workers 1 > "$2/server.log" 2>&1 &
  started_pid=$!
}
stop_mlflow_at() { kill "$1" 2>/dev/null || true; pkill -P "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; rm -rf "$2"; }
free_port() { "$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mlflow_dir=$(mktemp -d)
mlflow_port=$(free_port)
start_mlflow "$venv/bin/mlflow" "$mlflow_dir" "$mlflow_port"
mlflow_pid=$started_pid
stop_mlflow() { stop_mlflow_at "$mlflow_pid" "$mlflow_dir"; }
stop_servers() { stop_mlflow; stop_mlflow2 2>/dev/null || true; stop_spark 2>/dev/null || true; stop_s3 2>/dev/null || true; }
trap stop_servers EXIT
# wait_mlflow PORT PID DIR: wait for an mlflow server to answer /health (3 minutes at most).
wait_mlflow() {
  healthy() { "$venv/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "http://127.0.0.1:$1/health" 2>/dev/null; }
  for i in $(seq 1 180); do
    if healthy "$1"; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then cat "$3/server.log"; echo "the mlflow server on port $1 died"; exit 1; fi
    sleep 1
  done
  healthy "$1" || { cat "$3/server.log"; echo "the mlflow server on port $1 did not start"; exit 1; }
}
wait_mlflow "$mlflow_port" "$mlflow_pid" "$mlflow_dir"
export FS_MLFLOW_URI="http://127.0.0.1:$mlflow_port"
echo "mlflow server at $FS_MLFLOW_URI"

step "MLflow 2 server (requirements-mlflow2.txt in .venv-mlflow2: a server without logged models, for the fallback)"
venv2="$top/.venv-mlflow2"
want2=$(sha256sum requirements-mlflow2.txt | cut -d' ' -f1)
if [ ! -x "$venv2/bin/mlflow" ] || [ "$(cat "$venv2/.requirements.sha256" 2>/dev/null)" != "$want2" ]; then
  rm -rf "$venv2"
  python3 -m venv "$venv2"
  "$venv/bin/uv" pip install --quiet --python "$venv2/bin/python" -r requirements-mlflow2.txt
  echo "$want2" > "$venv2/.requirements.sha256"
fi
mlflow2_dir=$(mktemp -d)
mlflow2_port=$(free_port)
start_mlflow "$venv2/bin/mlflow" "$mlflow2_dir" "$mlflow2_port"
mlflow2_pid=$started_pid
stop_mlflow2() { stop_mlflow_at "$mlflow2_pid" "$mlflow2_dir"; }
wait_mlflow "$mlflow2_port" "$mlflow2_pid" "$mlflow2_dir"
export FS_MLFLOW2_URI="http://127.0.0.1:$mlflow2_port"
echo "MLflow 2 server at $FS_MLFLOW2_URI"

step "S3-compatible server (versitygw $versitygw_version, built from the Go module proxy once; posix backend, versioning on, 127.0.0.1)"
versitygw_dir="$(go env GOPATH)/fs-test-tools/versitygw-$versitygw_version"
if [ ! -x "$versitygw_dir/versitygw" ]; then
  GOBIN="$versitygw_dir" go install "github.com/versity/versitygw/cmd/versitygw@$versitygw_version"
fi
s3_dir=$(mktemp -d)
mkdir -p "$s3_dir/root" "$s3_dir/versions"
s3_port=$(free_port)
export FS_TEST_S3_ACCESS_KEY=fs-test-access FS_TEST_S3_SECRET_KEY=fs-test-secret-key
"$versitygw_dir/versitygw" --access "$FS_TEST_S3_ACCESS_KEY" --secret "$FS_TEST_S3_SECRET_KEY" --port "127.0.0.1:$s3_port" \
  posix --versioning-dir "$s3_dir/versions" "$s3_dir/root" > "$s3_dir/server.log" 2>&1 &
s3_pid=$!
stop_s3() { kill "$s3_pid" 2>/dev/null || true; wait "$s3_pid" 2>/dev/null || true; rm -rf "$s3_dir"; }
s3_up() { "$venv/bin/python" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)' "$s3_port" 2>/dev/null; }
for i in $(seq 1 60); do s3_up && break; sleep 0.5; done
s3_up || { cat "$s3_dir/server.log"; echo "the S3-compatible server did not start"; exit 1; }
export FS_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
echo "S3-compatible server at $FS_TEST_S3_ENDPOINT"

# debian_install PACKAGE COMMAND WHY: install a Debian package when its
# command is missing.
debian_install() {
  command -v "$2" >/dev/null 2>&1 && return 0
  step "$1 ($3)"
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "$1" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$1" >/dev/null; }
  else
    sudo -n apt-get install -y -q "$1" >/dev/null 2>&1 || echo "could not install $1: the tests that need it will say so"
  fi
}
debian_install graphviz dot "the lineage test renders dot"
debian_install chromium chromium "the web UI's tests drive a headless browser"
debian_install redis-server redis-server "the online store's Redis tests start their own redis-server"

debian_install openjdk-17-jre-headless java "the Spark Connect server runs on Java 17"

# hadoop-aws (S3A) and the parts of the AWS SDK it uses, from Maven Central (about 40 MB, kept in ~/.ivy2*):
# Spark reads s3:// sources as s3a:// from the S3-compatible server above. The SDK's 690 MB bundle is left out.
step "Spark Connect server (pyspark's own, local[2], S3A, on a free port of 127.0.0.1; it starts while the Go tests run)"
spark_home=$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
spark_dir=$(mktemp -d)
spark_port=$(free_port)
spark_env() { env SPARK_HOME="$spark_home" SPARK_LOCAL_IP=127.0.0.1 SPARK_PID_DIR="$spark_dir" SPARK_LOG_DIR="$spark_dir" PATH="$venv/bin:$PATH" "$@"; }
spark_env "$spark_home/sbin/start-connect-server.sh" --master 'local[2]' --driver-memory 2g \
  --conf spark.connect.grpc.binding.address=127.0.0.1 --conf spark.connect.grpc.binding.port="$spark_port" \
  --conf spark.ui.enabled=false --conf spark.sql.shuffle.partitions=4 --conf spark.sql.session.timeZone=UTC \
  --conf spark.driver.bindAddress=127.0.0.1 \
  --packages "org.apache.hadoop:hadoop-aws:3.5.0,software.amazon.awssdk:s3:2.35.4,software.amazon.awssdk:sts:2.35.4,software.amazon.awssdk:s3-transfer-manager:2.35.4" \
  --conf spark.jars.excludes=software.amazon.awssdk:bundle \
  --conf spark.hadoop.fs.s3a.endpoint="$FS_TEST_S3_ENDPOINT" --conf spark.hadoop.fs.s3a.endpoint.region=us-east-1 \
  --conf spark.hadoop.fs.s3a.path.style.access=true --conf spark.hadoop.fs.s3a.connection.ssl.enabled=false \
  --conf spark.hadoop.fs.s3a.access.key="$FS_TEST_S3_ACCESS_KEY" --conf spark.hadoop.fs.s3a.secret.key="$FS_TEST_S3_SECRET_KEY" \
  > "$spark_dir/start.log" 2>&1
stop_spark() { spark_env "$spark_home/sbin/stop-connect-server.sh" > /dev/null 2>&1; rm -rf "$spark_dir"; }
export FS_SPARK_REMOTE="sc://127.0.0.1:$spark_port"
spark_up() { "$venv/bin/python" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)' "$spark_port" 2>/dev/null; }

# Screenshots of the web UI and other test output land here.
export FS_TEST_OUTPUT="$PWD/test-output"
mkdir -p "$FS_TEST_OUTPUT"

step "gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.venv/*'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi
go vet ./...

step "go build for macOS and Windows (the platform files stay in step)"
GOOS=darwin GOARCH=arm64 go build ./...
GOOS=windows GOARCH=amd64 go build ./...

# A failing Go test does not stop the run: the Python tests run too, and
# the run fails at the end with both reported.
step "go test"
go_status=0
"$venv/bin/python" scripts/gotest.py -count=1 ./... | tee "$FS_TEST_OUTPUT/go-test.txt" || go_status=$?

# Each fuzz target runs briefly here (about 10-20 s each), for a number of
# inputs rather than a time: Go 1.26's fuzzing can fail a run with "context
# deadline exceeded" as a -fuzztime duration ends, with no failing input
# (go.dev/issue/75804, fixed in Go 1.27); a count sets no deadline. make fuzz
# runs them longer.
fuzz() { step "fuzz: $1 ($3 inputs)"; go test -run '^$' -fuzz "^$1\$" -fuzztime "${3}x" -fuzzminimizetime 0s "$2"; }
fuzz FuzzCanonical ./transforms 300000
fuzz FuzzColumnsMatchRows ./transforms 50000
fuzz FuzzReadParquet ./featurestore/parquet 15000
fuzz FuzzOwnPagesAreParquetGos ./featurestore/parquet 150
fuzz FuzzDefinitions ./featurestore/yaml 6000
fuzz FuzzEntities ./materialize 5000
fuzz FuzzRequests ./http 6000

step "waiting for the Spark Connect server at $FS_SPARK_REMOTE"
for i in $(seq 1 180); do spark_up && break; sleep 1; done
spark_up || { cat "$spark_dir"/*.out "$spark_dir/start.log" 2>/dev/null | tail -50; echo "the Spark Connect server did not start"; exit 1; }

# The picker conformance suite on the real Spark engine (materialize/pickertest).
step "Spark picker conformance (go test -tags spark ./spark)"
"$venv/bin/python" scripts/gotest.py -tags spark -count=1 -run Conforms ./spark | tee "$FS_TEST_OUTPUT/go-spark-test.txt" || go_status=$?

step "the Python client (pip install ./python builds fs into it with Go)"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --force-reinstall ./python

step "python tests"
py_status=0
"$venv/bin/python" -m pytest -q -rs tests/python | tee "$FS_TEST_OUTPUT/python-test.txt" || py_status=$?

summary
# One closing line for the whole run, Go's and Python's tests together.
"$venv/bin/python" - "$FS_TEST_OUTPUT/go-test.txt" "$FS_TEST_OUTPUT/go-spark-test.txt" "$FS_TEST_OUTPUT/python-test.txt" <<'PY'
import re, sys
total = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[1:]:
    counts = [l for l in open(path) if re.search(r"\d+ (passed|failed)", l)]
    for n, word in re.findall(r"(\d+) (passed|failed|skipped)", counts[-1] if counts else ""):
        total[word] += int(n)
print(f"total: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
PY
if [ "$go_status" != 0 ] || [ "$py_status" != 0 ]; then
  echo "FAILED: go test exit $go_status, python tests exit $py_status"
  exit 1
fi
