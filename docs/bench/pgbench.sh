#!/usr/bin/env bash
# The ceiling for check-ins: single-row inserts per second that the local
# PostgreSQL manages with pgbench (same client count as the check-in run).
set -euo pipefail
db=hc_pgbench_$$
psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $db"
trap 'psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
psql -h 127.0.0.1 -U postgres -d $db -qc "CREATE TABLE scans (id bigserial primary key, scan_id text unique, gate text, scanned_at timestamptz)"
script=$(mktemp)
echo "INSERT INTO scans (scan_id, gate, scanned_at) VALUES (md5(random()::text || clock_timestamp()::text), 'g1', now());" > "$script"
pgbench -h 127.0.0.1 -U postgres -n -c ${CLIENTS:-32} -j 2 -T ${SECONDS_:-20} -f "$script" $db | grep -E "tps|latency"
rm -f "$script"
