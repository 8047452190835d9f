#!/usr/bin/env bash
# Times the registry as a user meets it, end to end (process start, store
# open, work, output): `fs register` of a 1,000-feature file, and
# `fs features list` on a store holding 10,000 feature versions.
# Prints one line per figure. Usage: scripts/bench-registry.sh [RUNS]
set -euo pipefail
runs=${1:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$top"
go build -o "$work/fs" ./cmd/fs
fs="$work/fs"
"$fs" demo --data-only "$work" 2>/dev/null
export FS_STORE="$work/store"
"$fs" init 2>/dev/null

# features.yaml-style file with 1,000 features; $1 shifts every expression.
gen() {
  echo "entities: [{name: driver, join_keys: [driver_id]}]"
  echo "sources: [{name: driver_stats, path: driver_stats.parquet, entity: driver, timestamp_field: datetime, created_timestamp_field: created}]"
  echo "features:"
  for i in $(seq 0 999); do
    printf '  - name: f%04d\n    source: driver_stats\n    expr: conv_rate * %d + acc_rate / %d.0\n' "$i" $((i + $1)) $((i + 1))
  done
}

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

reg_times=()
for v in $(seq 0 9); do
  gen "$v" > "$work/v$v.yaml"
  t0=$(now); "$fs" register "$work/v$v.yaml" >/dev/null; t1=$(now)
  reg_times+=($(( (t1 - t0) / 1000000 )))
done
versions=$("$fs" features show f0000 --json | grep -c '"canonical"')
echo "store: 1000 features x ${versions} versions = $((1000 * versions)) feature versions"
echo "fs register (1,000 features, each a new version): median $(printf '%s\n' "${reg_times[@]}" | median) ms, max $(printf '%s\n' "${reg_times[@]}" | sort -n | tail -1) ms over 10 runs"

list_times=()
for _ in $(seq 1 "$runs"); do
  t0=$(now); "$fs" features list >/dev/null; t1=$(now)
  list_times+=($(( (t1 - t0) / 1000000 )))
done
echo "fs features list (10,000 versions): median $(printf '%s\n' "${list_times[@]}" | median) ms, max $(printf '%s\n' "${list_times[@]}" | sort -n | tail -1) ms over $runs runs"
json_t0=$(now); "$fs" features list --json >/dev/null; json_t1=$(now)
echo "fs features list --json (10,000 versions): $(( (json_t1 - json_t0) / 1000000 )) ms"
