#!/usr/bin/env bash
# Live fan-out benchmark: start hybridcon (one node on SQLite, or two nodes
# on PostgreSQL + Redis), connect N websocket viewers with cmd/loadgen,
# broadcast, and print loadgen's report (JSON with --json in LOADGEN_ARGS).
#
#   docs/bench/viewers.sh 10000            # one node, SQLite, in-process broker
#   docs/bench/viewers.sh 10000 2          # two nodes, PostgreSQL + Redis
#   KIND=advance BROADCASTS=20 docs/bench/viewers.sh 10000
#
# Loopback only. Needs the local PostgreSQL and Redis for the two-node run.
set -euo pipefail
viewers=${1:-1000}; nodes=${2:-1}
kind=${KIND:-announce}; broadcasts=${BROADCASTS:-60}; rate=${RATE:-2}
token=bench-admin-token-0123456789
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
go build -o "$tmp/hybridcon" "$root/cmd/hybridcon"
go build -o "$tmp/loadgen" "$root/cmd/loadgen"
pids=(); urls=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
common=(HYBRIDCON_ADMIN_TOKEN=$token HYBRIDCON_LOG_LEVEL=warn HYBRIDCON_RATE_LIMITS=false)
if [ "$nodes" = 1 ]; then
  env "${common[@]}" HYBRIDCON_HTTP_ADDR=127.0.0.1:18200 HYBRIDCON_DATA_DIR="$tmp/data" \
    "$tmp/hybridcon" >"$tmp/node1.log" 2>&1 &
  pids+=($!); urls+=(http://127.0.0.1:18200)
else
  db=hc_bench_$$
  psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $db"
  trap 'cleanup; psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
  prefix="bench$$:"
  for i in $(seq 1 "$nodes"); do
    region=cn; [ $((i % 2)) = 0 ] && region=hu
    env "${common[@]}" HYBRIDCON_HTTP_ADDR=127.0.0.1:$((18200 + i)) HYBRIDCON_REGION=$region HYBRIDCON_NODE_ID=bench-$i \
      HYBRIDCON_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable" \
      HYBRIDCON_REDIS_URL=redis://127.0.0.1:6379/0 HYBRIDCON_DEMO=$([ "$i" = 1 ] && echo true || echo false) \
      "$tmp/hybridcon" >"$tmp/node$i.log" 2>&1 &
    pids+=($!); urls+=(http://127.0.0.1:$((18200 + i)))
    [ "$i" = 1 ] && sleep 1.5
  done
fi
for u in "${urls[@]}"; do
  until curl -fs -o /dev/null "$u/readyz"; do sleep 0.1; done
done
IFS=,; urlcsv="${urls[*]}"; pidcsv="${pids[*]}"; unset IFS
"$tmp/loadgen" viewers --url "$urlcsv" --pid "$pidcsv" --event cn-hu-2021 --token $token \
  --viewers "$viewers" --broadcasts "$broadcasts" --rate "$rate" --kind "$kind" ${LOADGEN_ARGS:-}
