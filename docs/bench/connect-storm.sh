#!/usr/bin/env bash
# Connect storm: N new websocket viewers offered at RATE connections per
# second, measured with the standalone fan-out harness against hybridcon
# and against the harness's ideal server in the same sitting, runs
# alternating (ideal, hybridcon, ideal, …). Prints one line per run with
# the load average before it, then the harness's JSON line.
#
#   FANOUT=/path/to/fanout IDEAL=/path/to/ideal docs/bench/connect-storm.sh [N] [RUNS]
#   BEFORE=/path/to/other/checkout FANOUT=… IDEAL=… docs/bench/connect-storm.sh 10000 3
#   SAME_IDEAL=/path/to/patched/ideal FANOUT=… IDEAL=… docs/bench/connect-storm.sh 10000 5
#
# With BEFORE, that checkout's hybridcon runs too (its own node, same
# settings), third in each round: before and after in the same sitting.
#
# With SAME_IDEAL, an ideal server whose first frame is hybridcon's own
# snapshot runs too, last in each round ("ideal-same"): the harness's
# ideal built with ideal-snapshot.patch, given the snapshot hybridcon's
# node serves at /live. It does the ideal's work on hybridcon's content,
# so the two differ only in what the server does, not in what the
# harness reads.
#
# FANOUT and IDEAL are the harness's binaries (go build . and ./ideal in
# its module). With PERMSG_DIR, each run's per-message latencies go to
# PERMSG_DIR/<label>.txt (a harness built with fanout-permsg.patch; read
# them with per-broadcast.py). hybridcon runs one node on SQLite with the
# demo, rate limits and the per-address viewer cap off (every viewer comes
# from 127.0.0.1).
# Loopback only; every run is bounded by --timeout.
set -euo pipefail
n=${1:-10000}; runs=${2:-3}; rate=${RATE:-20000}; messages=${MESSAGES:-10}
: "${FANOUT:?set FANOUT to the harness binary}" "${IDEAL:?set IDEAL to the ideal server binary}"
token=bench-admin-token-0123456789
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
go build -o "$tmp/hybridcon" "$root/cmd/hybridcon"
ulimit -n "$(ulimit -Hn)"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; [ -n "${KEEP_LOGS:-}" ] && cat "$tmp"/*.log >&2; rm -rf "$tmp"; }
trap cleanup EXIT

"$IDEAL" -addr 127.0.0.1:18390 >"$tmp/ideal.log" 2>&1 &
ideal=$!; pids+=($ideal)
(cd "$root" && exec env HYBRIDCON_ADMIN_TOKEN=$token HYBRIDCON_LOG_LEVEL=warn HYBRIDCON_RATE_LIMITS=false HYBRIDCON_VIEWERS_PER_ADDRESS=0 \
  HYBRIDCON_HTTP_ADDR=127.0.0.1:18391 HYBRIDCON_DATA_DIR="$tmp/data" "$tmp/hybridcon") >"$tmp/hybridcon.log" 2>&1 &
hc=$!; pids+=($hc)
ports=(18391)
if [ -n "${BEFORE:-}" ]; then
  (cd "$BEFORE" && go build -o "$tmp/hybridcon-before" ./cmd/hybridcon)
  # From its own directory: a node reads configs/hybridcon.yaml there.
  (cd "$BEFORE" && exec env HYBRIDCON_ADMIN_TOKEN=$token HYBRIDCON_LOG_LEVEL=warn HYBRIDCON_RATE_LIMITS=false HYBRIDCON_VIEWERS_PER_ADDRESS=0 \
    HYBRIDCON_HTTP_ADDR=127.0.0.1:18392 HYBRIDCON_DATA_DIR="$tmp/data-before" "$tmp/hybridcon-before") >"$tmp/before.log" 2>&1 &
  before=$!; pids+=($before); ports+=(18392)
fi
for port in "${ports[@]}"; do
  for _ in $(seq 1 300); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 0.2; done
  # One snapshot before the storm, as a running conference has.
  curl -sf http://127.0.0.1:$port/api/v1/events/cn-hu-2021/live >/dev/null
done
if [ -n "${SAME_IDEAL:-}" ]; then
  curl -sf http://127.0.0.1:18391/api/v1/events/cn-hu-2021/live >"$tmp/snapshot.json"
  "$SAME_IDEAL" -addr 127.0.0.1:18393 -snapshot "$tmp/snapshot.json" >"$tmp/ideal-same.log" 2>&1 &
  same=$!; pids+=($same)
  for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:18393/ && break; sleep 0.1; done
fi
permsg() { # label
  if [ -n "${PERMSG_DIR:-}" ]; then mkdir -p "$PERMSG_DIR"; export FANOUT_PERMSG="$PERMSG_DIR/$1.txt"; fi
}
harness() { # name pid fanout-flags…: one run, labelled name-i
  local name=$1 pid=$2; shift 2
  echo "run $i $name load $(cut -d' ' -f1-3 /proc/loadavg)"
  permsg "$name-$i"
  "$FANOUT" --ready-match '"snapshot"' "$@" --pid "$pid" --label "$name-$i" "${common[@]}" | tail -1
  sleep 5
}
hybridcon() { # name port pid
  harness "$1" "$3" --url ws://127.0.0.1:$2/ws/events/cn-hu-2021 \
    --publish-url http://127.0.0.1:$2/api/v1/events/cn-hu-2021/announcements \
    --publish-header "Authorization: Bearer $token" \
    --publish-body '{"text":{"en":"{{marker}}","zh":"{{marker}}","hu":"{{marker}}"}}'
}
idealrun() { # name port pid
  harness "$1" "$3" --url ws://127.0.0.1:$2/ws \
    --publish-url http://127.0.0.1:$2/publish --publish-body '{"m":"{{marker}}"}'
}

common=(--n "$n" --connect-rate "$rate" --messages "$messages" --rate 2 --settle 3s --drain 10s --timeout 180s --quiet --json)
for i in $(seq 1 "$runs"); do
  idealrun ideal 18390 "$ideal"
  hybridcon hybridcon 18391 "$hc"
  if [ -n "${BEFORE:-}" ]; then hybridcon before 18392 "$before"; fi
  if [ -n "${SAME_IDEAL:-}" ]; then idealrun ideal-same 18393 "$same"; fi
done
