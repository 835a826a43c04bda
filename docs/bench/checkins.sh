#!/usr/bin/env bash
# Check-in throughput: start hybridcon on SQLite or PostgreSQL, register
# sample attendees (ATTENDEES, default 100,000: enough that nearly every
# scan of a 30 s run is a guest's first, as at a real door, with 10 %
# repeats), write their tickets, and scan them with cmd/loadgen at full
# speed for 30 s.
#
#   docs/bench/checkins.sh sqlite
#   docs/bench/checkins.sh postgres
#   ATTENDEES=20000 DURATION=20s CONCURRENCY=32 docs/bench/checkins.sh postgres
#
# MODE=uploads times offline uploads instead: UPLOADS batches of BATCH
# scans (default 10 of 1,000) sent one after another by one kiosk, each
# sent twice (the second time all replays), with 10 % repeated tickets.
#
#   ATTENDEES=20000 MODE=uploads docs/bench/checkins.sh postgres
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
# An import takes at most 20,000 rows: one file per 20,000.
python3 - "$tmp" "${ATTENDEES:-100000}" <<'PY'
import sys
n = int(sys.argv[2])
for part in range((n + 19999) // 20000):
    with open(f"{sys.argv[1]}/attendees-{part:02d}.csv", "w", encoding="utf-8") as f:
        f.write("name,organization,country,email,external_id,category\n")
        for i in range(part * 20000, min(n, (part + 1) * 20000)):
            f.write(f"Bench Guest {i},Bench Org {i % 97},CN,guest{i}@bench.example.org,BENCH-{i:06d},guest\n")
PY
"$tmp/hybridcon" &>/dev/null & pid=$!   # loads the demo event
until curl -fs -o /dev/null http://127.0.0.1:18300/readyz; do sleep 0.1; done
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
for f in "$tmp"/attendees-*.csv; do
  "$tmp/hybridcon" import-attendees --event cn-hu-2021 "$f" | tail -1
done
"$tmp/hybridcon" tickets --event cn-hu-2021 --out "$tmp/tickets" --text-only | tail -1
"$tmp/hybridcon" >"$tmp/server.log" 2>&1 & pid=$!
until curl -fs -o /dev/null http://127.0.0.1:18300/readyz; do sleep 0.1; done
if [ "${MODE:-checkins}" = uploads ]; then
  "$tmp/loadgen" uploads --url http://127.0.0.1:18300 --event cn-hu-2021 --token $token \
    --tickets "$tmp/tickets/tickets.txt" --batch ${BATCH:-1000} --uploads ${UPLOADS:-10} --dup-ratio 0.1 ${LOADGEN_ARGS:-}
  exit
fi
"$tmp/loadgen" checkins --url http://127.0.0.1:18300 --event cn-hu-2021 --token $token \
  --tickets "$tmp/tickets/tickets.txt" --rate 0 --concurrency ${CONCURRENCY:-32} --duration ${DURATION:-30s} --dup-ratio 0.1 ${LOADGEN_ARGS:-}
