#!/usr/bin/env bash
# A/B comparison of builds: the same /v1/match mix (random stored needs, as in run.sh)
# against each binary in turn, alternating, on its own copy of one data directory. Prints
# req/s, latency p50/p99 and the server's CPU time per request (from /proc/PID/stat) for
# every run — within one invocation the machine's speed drifts less than between runs.
#
# Usage: bash bench/ab.sh DATA_DIR ROUNDS SECONDS BIN_A BIN_B [BIN ...]
#   e.g. after `duijie demo --seed 42 --scale 1.6642 --out w.jsonl; duijie import
#   --data-dir d w.jsonl; duijie reindex --data-dir d` with two builds copied aside:
#   bash bench/ab.sh d 3 8 /tmp/base/duijie target/release/duijie
# Needs wrk, curl and python3; uses 127.0.0.1:18080 and 8 connections (AB_CONNECTIONS).
set -euo pipefail
[ $# -ge 5 ] || { sed -n 2,11p "$0" >&2; exit 2; }
data=$1 rounds=$2 secs=$3
shift 3
conns=${AB_CONNECTIONS:-8}
command -v wrk >/dev/null || { echo "需要 wrk（apt-get install wrk）" >&2; exit 2; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
needs=$(sqlite3 "$data/duijie.db" "select count(*) from entities where kind='need'" 2>/dev/null ||
  python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from entities where kind='need'\").fetchone()[0])" "$data/duijie.db")
python3 - "$work/match.lua" "$needs" <<'PY'
import json, random, sys
out, needs = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
ids = ["N-%06d" % rng.randrange(1, needs + 1) for _ in range(2000)]
with open(out, "w", encoding="utf-8") as f:
    f.write("items = {\n")
    for i in ids:
        f.write("  %s,\n" % json.dumps(json.dumps({"need_id": i})))
    f.write("}\ncounter = 0\nrequest = function()\n  counter = counter + 1\n"
            "  return wrk.format(\"POST\", wrk.path .. \"match\", "
            "{[\"Content-Type\"] = \"application/json\"}, items[(counter % #items) + 1])\nend\n")
PY
n=0
for bin in "$@"; do
  n=$((n + 1))
  cp -r "$data" "$work/data$n"
done
for r in $(seq "$rounds"); do
  n=0
  for bin in "$@"; do
    n=$((n + 1))
    "$bin" serve --no-demo --data-dir "$work/data$n" --addr 127.0.0.1:18080 > "$work/serve$n.log" 2>&1 &
    pid=$!
    for _ in $(seq 200); do curl -sf 127.0.0.1:18080/healthz > /dev/null && break; sleep 0.1; done
    wrk -t1 -c"$conns" -d2s -s "$work/match.lua" http://127.0.0.1:18080/v1/ > /dev/null
    t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    res=$(wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$work/match.lua" http://127.0.0.1:18080/v1/)
    t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    python3 - "$r" "$bin" "$t0" "$t1" "$(getconf CLK_TCK)" <<PY
import re, sys
r, b, t0, t1, hz = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
t = """$res"""
n = int(re.search(r"(\d+) requests in", t).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", t, re.M))
print(f"round {r}  {b}  {rps:.0f} req/s  p50 {lat.get('50')}  p99 {lat.get('99')}  "
      f"CPU {(t1 - t0) / hz * 1000 / max(n, 1):.3f} ms/request")
PY
  done
done
