#!/usr/bin/env bash
# Check-in throughput: start hybridcon on SQLite or PostgreSQL, register
# 20,000 sample attendees, write their tickets, and scan them with
# cmd/loadgen at full speed for 30 s.
#
#   docs/bench/checkins.sh sqlite
#   docs/bench/checkins.sh postgres
set -euo pipefail
backend=${1:-postgres}
token=bench-admin-token-0123456789
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
go build -o "$tmp/hybridcon" "$root/cmd/hybridcon"
go build -o "$tmp/loadgen" "$root/cmd/loadgen"
export HYBRIDCON_ADMIN_TOKEN=$token HYBRIDCON_LOG_LEVEL=warn HYBRIDCON_RATE_LIMITS=false HYBRIDCON_HTTP_ADDR=127.0.0.1:18300 HYBRIDCON_DATA_DIR="$tmp/data"
db=""
if [ "$backend" = postgres ]; then
  db=hc_ci_bench_$$
  psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $db"
  export HYBRIDCON_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
fi
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"
  [ -n "$db" ] && psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; true; }
trap cleanup EXIT
"$tmp/hybridcon" migrate >/dev/null
python3 - "$tmp/attendees.csv" <<'PY'
import sys
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("name,organization,country,email,external_id,category\n")
    for i in range(20000):
        f.write(f"Bench Guest {i},Bench Org {i % 97},CN,guest{i}@bench.example.org,BENCH-{i:05d},guest\n")
PY
"$tmp/hybridcon" &>/dev/null & pid=$!   # loads the demo event
until curl -fs -o /dev/null http://127.0.0.1:18300/readyz; do sleep 0.1; done
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
"$tmp/hybridcon" import-attendees --event cn-hu-2021 "$tmp/attendees.csv" | tail -1
"$tmp/hybridcon" tickets --event cn-hu-2021 --out "$tmp/tickets" | tail -1
"$tmp/hybridcon" >"$tmp/server.log" 2>&1 & pid=$!
until curl -fs -o /dev/null http://127.0.0.1:18300/readyz; do sleep 0.1; done
"$tmp/loadgen" checkins --url http://127.0.0.1:18300 --event cn-hu-2021 --token $token \
  --tickets "$tmp/tickets/tickets.txt" --rate 0 --concurrency ${CONCURRENCY:-32} --duration ${DURATION:-30s} --dup-ratio 0.1 ${LOADGEN_ARGS:-}
