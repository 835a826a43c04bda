#!/usr/bin/env bash
# An announcement's cost when it arrives at a process that was idle,
# against its cost back to back: one node (SQLite, the demo, no viewers)
# gets N announcements over one keep-alive connection at 2 a second, then
# N as fast as curl sends them. Prints the server's CPU per announcement
# (user+sys from /proc, after subtracting what the idle node spent over
# an equal quiet span measured just before) and curl's median time per
# request. Repeats ROUNDS times, alternating with BEFORE's binary when
# BEFORE names another checkout.
#
#   docs/bench/announce-cold.sh [N] [ROUNDS]
#   BEFORE=/path/to/other/checkout docs/bench/announce-cold.sh 60 3
set -euo pipefail
n=${1:-60}; rounds=${2:-3}
token=bench-admin-token-0123456789
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

start() { # name dir port
  (cd "$2" && go build -o "$tmp/$1" ./cmd/hybridcon)
  (cd "$2" && exec env HYBRIDCON_ADMIN_TOKEN=$token HYBRIDCON_LOG_LEVEL=warn HYBRIDCON_RATE_LIMITS=false \
    HYBRIDCON_HTTP_ADDR=127.0.0.1:$3 HYBRIDCON_DATA_DIR="$tmp/data-$1" "$tmp/$1") >"$tmp/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do curl -sf http://127.0.0.1:$3/readyz >/dev/null && return; sleep 0.2; done
  echo "node $1 did not become ready" >&2; exit 1
}
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
body='{"text":{"en":"Coffee in the foyer","zh":"茶歇在前厅","hu":"Kávészünet az előtérben"}}'

post() { # port count [rate]
  local urls=() i
  for ((i = 0; i < $2; i++)); do urls+=(-o /dev/null "http://127.0.0.1:$1/api/v1/events/cn-hu-2021/announcements"); done
  curl -s -w '%{time_total}\n' ${3:+--rate "$3"} -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "$body" "${urls[@]}"
}
measure() { # name port pid
  post "$2" 5 >/dev/null # warm: the first requests of a process pay for its start
  sleep 1
  local a b c d idle_ms
  a=$(ticks "$3"); sleep $((n / 2)); b=$(ticks "$3")
  c=$(ticks "$3"); post "$2" "$n" 2/s >"$tmp/cold"; d=$(ticks "$3")
  idle_ms=$(( (b - a) * 1000 / hz ))
  local cold_ms=$(( (d - c) * 1000 / hz - idle_ms ))
  c=$(ticks "$3"); post "$2" "$((n * 10))" >"$tmp/hot"; d=$(ticks "$3")
  local hot_ms=$(( (d - c) * 1000 / hz ))
  awk -v name="$1" -v idle="$idle_ms" -v span=$((n / 2)) -v cold="$cold_ms" -v hot="$hot_ms" -v n="$n" \
    -v cm="$(sort -n "$tmp/cold" | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]*1000}')" \
    -v hm="$(sort -n "$tmp/hot" | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]*1000}')" \
    'BEGIN{printf "%-9s idle %4d ms / %ds  at 2/s: %.2f ms CPU each, median %.2f ms  back to back: %.2f ms CPU each, median %.2f ms\n",
      name, idle, span, cold / n, cm, hot / (n * 10), hm}'
}

start hybridcon "$root" 18397; hc=${pids[-1]}
if [ -n "${BEFORE:-}" ]; then start before "$BEFORE" 18398; before=${pids[-1]}; fi
for i in $(seq 1 "$rounds"); do
  echo "round $i load $(cut -d' ' -f1-3 /proc/loadavg)"
  measure hybridcon 18397 "$hc"
  if [ -n "${BEFORE:-}" ]; then measure before 18398 "$before"; fi
done
