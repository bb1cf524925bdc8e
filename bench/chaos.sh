#!/usr/bin/env bash
# Crash-and-fault cycles against the real binary (issue 17):
#
#   bench/chaos.sh [CYCLES=50]        DUIJIE_BIN=target/release/duijie by default
#
# Each cycle starts `duijie serve` on the same data directory, writes providers from a
# client for a random 0.5–2 s (every 2xx answer is an acknowledged write), on every
# third cycle takes the index directory away for a second while writing (every write to
# it fails with ENOENT: a stand-in for a full disk or a read-only remount that works as
# root too), then kills the server with SIGKILL in the middle of the writes. The next
# start must come up by itself, and then every acknowledged write must be readable and
# the index must hold exactly the store's records (`/v1/stats`: documents = entities,
# lag 0). Prints: cycles, acknowledged writes, lost, mismatches, failed restarts.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

cycles=${1:-50}
bin=${DUIJIE_BIN:-target/release/duijie}
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release, or set DUIJIE_BIN)" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill -9 ${pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
data=$work/data
acked=$work/acked.txt
: > "$acked"
lost=0 mismatches=0 failed_restarts=0 pid=

start() { # -> sets pid, url; 0 when it answers /readyz within 120 s
  local port
  port=$(free_port)
  url=http://127.0.0.1:$port
  "$bin" serve --no-demo --addr "127.0.0.1:$port" --data-dir "$data" --follow-ms 200 \
    >>"$work/serve.log" 2>&1 &
  pid=$!
  local t=0
  until curl -sf -o /dev/null "$url/readyz"; do
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
    t=$((t + 1))
    [ $t -lt 2400 ] || return 1
  done
}

# writer URL CYCLE SECONDS: PUTs providers, appends acknowledged ids to $acked.
writer() {
  python3 - "$1" "$2" "$3" "$acked" <<'PY'
import json, sys, time, urllib.request
url, cycle, secs, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
end, i = time.time() + secs, 0
with open(out, "a") as f:
    while time.time() < end:
        pid = f"P-C{cycle}-{i}"
        body = json.dumps({"name": f"混沌测试平台{cycle}-{i}", "provider_type": "pilot_platform",
                           "services": ["pilot_scale"], "description": "燃料电池电堆中试。"}).encode()
        req = urllib.request.Request(f"{url}/v1/providers/{pid}", data=body, method="PUT",
                                     headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                if 200 <= r.status < 300:
                    f.write(pid + "\n"); f.flush()
        except Exception:
            pass  # not acknowledged (the server is dying, or refused it)
        i += 1
PY
}

# check URL: every acknowledged id readable; index documents = store records, lag 0.
check() {
  python3 - "$1" "$acked" <<'PY'
import json, sys, time, urllib.request, urllib.error
url, acked = sys.argv[1], sys.argv[2]
ids = [l.strip() for l in open(acked) if l.strip()]
lost = 0
for pid in ids:
    try:
        urllib.request.urlopen(f"{url}/v1/providers/{pid}", timeout=10).read()
    except urllib.error.HTTPError:
        lost += 1
mismatch = 1
for _ in range(100):  # the follower may still be catching up
    s = json.load(urllib.request.urlopen(f"{url}/v1/stats", timeout=10))
    c = s["counts"]
    records = c["enterprises"] + c["needs"] + c["providers"] + c["commissioners"]
    if s["index"]["lag"] == 0 and s["index"]["documents"] == records:
        mismatch = 0
        break
    time.sleep(0.1)
print(lost, mismatch, len(ids))
PY
}

for ((c = 1; c <= cycles; c++)); do
  if ! start; then
    failed_restarts=$((failed_restarts + 1))
    echo "cycle $c: the server did not start (see below)" >&2
    tail -5 "$work/serve.log" >&2
    kill -9 "$pid" 2>/dev/null || true
    # The next cycle tries again on the same directory.
    continue
  fi
  read -r l m n < <(check "$url")
  lost=$((lost > l ? lost : l)) # cumulative: every acknowledged write so far is checked
  mismatches=$((mismatches + m))
  secs=$(python3 -c 'import random; print(round(random.uniform(0.5, 2.0), 2))')
  writer "$url" "$c" "$secs" &
  wpid=$!
  if ((c % 3 == 0)); then
    sleep 0.3
    mv "$data/index" "$data/index.away"
    sleep 1
    mv "$data/index.away" "$data/index"
  fi
  sleep "$secs"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  wait "$wpid" || true
  printf 'cycle %d: %d acknowledged so far, lost %d, mismatch %d\n' "$c" "$n" "$l" "$m"
done
# A last start checks the writes of the last cycle.
if start; then
  read -r l m n < <(check "$url")
  lost=$((lost > l ? lost : l))
  mismatches=$((mismatches + m))
  kill "$pid"
  wait "$pid" 2>/dev/null || true
else
  failed_restarts=$((failed_restarts + 1))
  n=$(wc -l < "$acked")
fi
echo "cycles $cycles  acknowledged $n  lost $lost  mismatches $mismatches  failed_restarts $failed_restarts"
[ "$lost" -eq 0 ] && [ "$mismatches" -eq 0 ] && [ "$failed_restarts" -eq 0 ]
