#!/usr/bin/env bash
# Cold start to ready: exec → first 200 from /readyz, fresh SQLite data dir each run.
set -euo pipefail
bin=${1:-/tmp/hybridcon}; runs=${2:-10}; port=18181
for i in $(seq 1 "$runs"); do
  dir=$(mktemp -d)
  t0=$(date +%s%N)
  HYBRIDCON_HTTP_ADDR=127.0.0.1:$port HYBRIDCON_DATA_DIR=$dir "$bin" >/dev/null 2>&1 &
  pid=$!
  until curl -fs -o /dev/null http://127.0.0.1:$port/readyz; do sleep 0.005; done
  t1=$(date +%s%N)
  echo "run $i: $(( (t1 - t0) / 1000000 )) ms"
  kill $pid; wait $pid 2>/dev/null || true; rm -rf "$dir"
done
