# Shared by the benchmark scripts (bench/run.sh, bench/ab.sh): sourced, not run.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
rss_mb() { awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
hwm_mb() { awk '/^VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
wait_up() { # url pid
  until curl -sf -o /dev/null "$1"; do
    kill -0 "$2" 2>/dev/null || { echo "server died" >&2; return 1; }
    sleep 0.01
  done
}
# wrk SCRIPT URL CONNS -> "rps p50_ms p99_ms errors requests" (runs $secs seconds; wrk's
# own report is appended to $WRK_LOG when set)
load() {
  local res
  res=$(wrk -t1 -c"$3" -d"${secs}s" --latency -s "$1" "$2")
  echo "$res" >> "${WRK_LOG:-/dev/null}"
  echo "$res" | python3 -c '
import re, sys
t = sys.stdin.read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not m:
        return float("nan")
    n, u = m.groups()
    return float(n) * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 6e4}[u]
def find(pattern):
    m = re.search(pattern, t)
    return m.group(1) if m else "nan"
rps = float(find(r"Requests/sec:\s+([\d.]+)"))
p50 = ms(find(r"(?m)^\s+50%\s+(\S+)"))
p99 = ms(find(r"(?m)^\s+99%\s+(\S+)"))
if rps != rps or p50 != p50 or p99 != p99:
    sys.stderr.write("wrk output not understood:\n" + t)
m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
errs = int(m.group(1)) if m else 0
m = re.search(r"Socket errors: (.*)", t)
if m: errs += sum(int(x) for x in re.findall(r"\d+", m.group(1)))
m = re.search(r"(\d+) requests in", t)
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {errs} {m.group(1) if m else 0}")'
}
# median RUN... (each "rps p50 p99 errors requests") -> "rps p50 p99 errors every-rps": the median
# run by req/s (the lower middle for an even count), errors summed over all runs.
median() {
  python3 -c '
import sys
runs = sorted((r.split() for r in sys.argv[1:]), key=lambda r: float(r[0]))
m = runs[(len(runs) - 1) // 2]
errs = sum(int(r[3]) for r in runs)
print(m[0], m[1], m[2], errs, "/".join(r.split()[0] for r in sys.argv[1:]))' "$@"
}

# write_mixes DIR NEEDS: the request mixes wrk replays, in DIR — match.lua and needs.txt
# (2,000 random stored needs N-000001…N-NEEDS, seeded), and when DIR/demo.judgments.jsonl
# exists search.lua and queries.txt (the judged free-text queries).
write_mixes() {
  python3 - "$1" "$2" <<'PY'
import json, os, random, sys, urllib.parse
w, needs = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
ids = [f"N-{rng.randint(1, needs):06d}" for _ in range(2000)]
open(f"{w}/needs.txt", "w").write("\n".join(ids) + "\n")
def lua(name, method, paths, bodies):
    with open(f"{w}/{name}.lua", "w", encoding="utf-8") as f:
        f.write("local items = {\n")
        for p, b in zip(paths, bodies):
            f.write("  {%s, %s},\n" % (json.dumps(p), json.dumps(b)))
        f.write("}\nlocal i = 0\nrequest = function()\n  i = i % #items + 1\n")
        f.write('  return wrk.format("%s", wrk.path .. items[i][1], {["Content-Type"] = "application/json"}, items[i][2])\nend\n' % method)
lua("match", "POST", ["match"] * len(ids), [json.dumps({"need_id": i}) for i in ids])
judgments = f"{w}/demo.judgments.jsonl"
if os.path.exists(judgments):
    queries = []
    for line in open(judgments, encoding="utf-8"):
        q = json.loads(line).get("query")
        if q and q not in queries:
            queries.append(q)
    open(f"{w}/queries.txt", "w", encoding="utf-8").write("\n".join(queries) + "\n")
    lua("search", "GET", ["search?q=" + urllib.parse.quote(q) for q in queries], [None] * len(queries))
PY
  # wrk.format with a nil body sends none.
  [ ! -f "$1/search.lua" ] || sed -i 's/, null}/, nil}/' "$1/search.lua"
}
