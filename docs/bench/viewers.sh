#!/usr/bin/env bash
# Live fan-out benchmark: start hybridcon (one node on SQLite, or two nodes
# on PostgreSQL + Redis), connect N websocket viewers with cmd/loadgen,
# broadcast, and print loadgen's report (JSON with --json in LOADGEN_ARGS).
#
#   docs/bench/viewers.sh 10000            # one node, SQLite, in-process broker
#   docs/bench/viewers.sh 10000 2          # two nodes, PostgreSQL + Redis
#   KIND=advance BROADCASTS=20 docs/bench/viewers.sh 10000
#   BROADCASTS=120 LOADGEN_ARGS="--questions-rate 20 --questions-duration 60s --questions-approve 0.05" docs/bench/viewers.sh 10000
#   REDIS=cluster docs/bench/viewers.sh 10000 2   # two nodes through a 3-primary Redis Cluster
#   REDIS=single docs/bench/viewers.sh 10000 2    # the same through a fresh single redis-server
#
# Loopback only. Needs the local PostgreSQL and Redis for the two-node run.
# REDIS=cluster starts 3 redis-server primaries in cluster mode (ports 17001–17003,
# no replicas) and REDIS=single one redis-server (port 17000), both in the temp
# directory and stopped at the end; otherwise REDIS_URL (default the local
# redis://127.0.0.1:6379/0, shared with other users of this machine) is used.
set -euo pipefail
viewers=${1:-1000}; nodes=${2:-1}
kind=${KIND:-announce}; broadcasts=${BROADCASTS:-60}; rate=${RATE:-2}
token=bench-admin-token-0123456789
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
go build -o "$tmp/hybridcon" "$root/cmd/hybridcon"
go build -o "$tmp/loadgen" "$root/cmd/loadgen"
pids=(); urls=(); redis_pids=()
cleanup() { kill "${pids[@]}" "${redis_pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
# The ports are fixed: a second run on this machine would otherwise drive the
# first run's server (its node exits on the taken port, its readiness check and
# loadgen reach ours) and both reports would be wrong.
for i in $(seq 0 "$nodes"); do
  if curl -s -o /dev/null "http://127.0.0.1:$((18200 + i))/readyz"; then
    echo "port $((18200 + i)) is in use (another benchmark running?): not starting" >&2; exit 1
  fi
done
common=(HYBRIDCON_ADMIN_TOKEN=$token HYBRIDCON_LOG_LEVEL=warn HYBRIDCON_RATE_LIMITS=false HYBRIDCON_VIEWERS_PER_ADDRESS=0)
if [ "$nodes" = 1 ]; then
  env "${common[@]}" HYBRIDCON_HTTP_ADDR=127.0.0.1:18200 HYBRIDCON_DATA_DIR="$tmp/data" \
    "$tmp/hybridcon" >"$tmp/node1.log" 2>&1 &
  pids+=($!); urls+=(http://127.0.0.1:18200)
else
  db=hc_bench_$$
  psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $db"
  trap 'cleanup; psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
  redis_url=${REDIS_URL:-redis://127.0.0.1:6379/0}
  redis_ports=()
  case "${REDIS:-}" in
    cluster) redis_ports=(17001 17002 17003) ;;
    single) redis_ports=(17000) ;;
    "") ;;
    *) echo "REDIS must be cluster, single or empty" >&2; exit 2 ;;
  esac
  for p in "${redis_ports[@]}"; do
    mkdir -p "$tmp/redis-$p"
    cluster_args=()
    [ "$REDIS" = cluster ] && cluster_args=(--cluster-enabled yes --cluster-config-file "$tmp/redis-$p/nodes.conf")
    redis-server --port "$p" --bind 127.0.0.1 "${cluster_args[@]}" --save '' --appendonly no \
      --dir "$tmp/redis-$p" --logfile "$tmp/redis-$p/redis.log" &
    redis_pids+=($!)
  done
  for p in "${redis_ports[@]}"; do
    until redis-cli -p "$p" ping >/dev/null 2>&1; do sleep 0.1; done
  done
  if [ "${REDIS:-}" = cluster ]; then
    redis-cli --cluster create 127.0.0.1:17001 127.0.0.1:17002 127.0.0.1:17003 --cluster-yes >"$tmp/cluster-create.log"
    for p in "${redis_ports[@]}"; do
      until redis-cli -p "$p" cluster info | grep -q cluster_state:ok; do sleep 0.1; done
    done
    redis_url="redis://127.0.0.1:17001?addr=127.0.0.1:17002&addr=127.0.0.1:17003"
  elif [ "${REDIS:-}" = single ]; then
    redis_url=redis://127.0.0.1:17000/0
  fi
  for i in $(seq 1 "$nodes"); do
    region=cn; [ $((i % 2)) = 0 ] && region=hu
    env "${common[@]}" HYBRIDCON_HTTP_ADDR=127.0.0.1:$((18200 + i)) HYBRIDCON_REGION=$region HYBRIDCON_NODE_ID=bench-$i \
      HYBRIDCON_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable" \
      HYBRIDCON_REDIS_URL="$redis_url" HYBRIDCON_DEMO=$([ "$i" = 1 ] && echo true || echo false) \
      "$tmp/hybridcon" >"$tmp/node$i.log" 2>&1 &
    pids+=($!); urls+=(http://127.0.0.1:$((18200 + i)))
    [ "$i" = 1 ] && sleep 1.5
  done
fi
for u in "${urls[@]}"; do
  until curl -fs -o /dev/null "$u/readyz"; do sleep 0.1; done
done
for p in "${pids[@]}"; do   # a node that lost its port to another run exits
  kill -0 "$p" 2>/dev/null || { echo "node $p exited (port taken?):" >&2; cat "$tmp"/node*.log >&2; exit 1; }
done
IFS=,; urlcsv="${urls[*]}"; pidcsv="${pids[*]}"; unset IFS
"$tmp/loadgen" viewers --url "$urlcsv" --pid "$pidcsv" --event cn-hu-2021 --token $token \
  --viewers "$viewers" --broadcasts "$broadcasts" --rate "$rate" --kind "$kind" ${LOADGEN_ARGS:-}
