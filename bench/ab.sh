#!/usr/bin/env bash
# A/B comparison of builds: the suite's /v1/match mix (bench/lib.sh: 2,000 random stored
# needs) against each binary in turn, alternating, on its own copy of one data directory.
# Prints req/s, latency p50/p99, failed requests and the server's CPU time per request
# (from /proc/PID/stat) for every run — within one invocation the machine's speed drifts
# less than between runs.
#
# Usage: bash bench/ab.sh DATA_DIR ROUNDS SECONDS BIN_A BIN_B [BIN ...]
#   e.g. after `duijie demo --seed 42 --scale 1.6642 --out w.jsonl; duijie import
#   --data-dir d w.jsonl; duijie reindex --data-dir d` with two builds copied aside:
#   bash bench/ab.sh d 3 8 /tmp/base/duijie target/release/duijie
# Needs wrk, curl and python3; 8 connections (AB_CONNECTIONS).
set -euo pipefail
[ $# -ge 5 ] || { sed -n 2,12p "$0" >&2; exit 2; }
data=$1 rounds=$2 secs=$3
shift 3
conns=${AB_CONNECTIONS:-8}
command -v wrk >/dev/null || { echo "需要 wrk（apt-get install wrk）" >&2; exit 2; }
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
needs=$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from entities where kind = 'need'\").fetchone()[0])" "$data/duijie.db")
write_mixes "$work" "$needs"
n=0
for _ in "$@"; do
  n=$((n + 1))
  cp -r "$data" "$work/data$n"
done
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for r in $(seq "$rounds"); do
  n=0
  for bin in "$@"; do
    n=$((n + 1))
    port=$(free_port)
    "$bin" serve --no-demo --data-dir "$work/data$n" --addr "127.0.0.1:$port" > "$work/serve$n.log" 2>&1 &
    pid=$!
    wait_up "http://127.0.0.1:$port/healthz" "$pid"
    url=http://127.0.0.1:$port/v1/
    wrk -t1 -c"$conns" -d2s -s "$work/match.lua" "$url" > /dev/null # warm-up
    t0=$(cpu_ticks "$pid")
    read -r rps p50 p99 errs requests <<< "$(load "$work/match.lua" "$url" "$conns")"
    t1=$(cpu_ticks "$pid")
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    echo "round $r  $bin  $rps req/s  p50 $p50 ms  p99 $p99 ms  errors $errs  CPU $(python3 -c "print('%.3f' % (($t1 - $t0) / $hz * 1000 / max($requests, 1)))") ms/request"
  done
done
