#!/usr/bin/env bash
# The benchmark suite (BENCHMARKS.md). For each size, on a fresh seeded demo world:
#   import throughput and peak memory (`duijie import`, store only), index build
#   (`duijie reindex`), store and index size, cold start with an existing index (start of
#   `duijie serve` to the first answered /healthz), `/v1/match` and `/v1/search` latency
#   and throughput under load from wrk on loopback, the same requests against plain
#   tantivy on the same index (examples/raw_tantivy.rs: over HTTP and in process),
#   resident memory after the load, a city-wide assignment, and training.
#
# Usage (from anywhere):  bash bench/run.sh [RECORDS ...]     default: 10000 100000 1000000
#   BENCH_SECONDS=15      length of each wrk run
#   BENCH_CONNECTIONS=8   concurrent connections of the loaded runs (latency runs use 1)
#   BENCH_REPEAT=3        wrk runs per figure, duijie and raw tantivy alternating; the table
#                         shows the median run (by req/s) and lists every run's req/s
#   BENCH_ASSIGN=1        also time the assignment of 1,000 commissioners × 20,000 enterprises
#   BENCH_TRAIN=1         also time training on each world (default on)
#   BENCH_OUT=FILE        where the figures go (default bench/results/<date>.md)
# Needs wrk (apt-get install wrk) and python3. Records are import lines: entities, needs
# and feedback events of the demo world (60,090 at scale 1).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
secs=${BENCH_SECONDS:-15}
conns=${BENCH_CONNECTIONS:-8}
train=${BENCH_TRAIN:-1}
repeat=${BENCH_REPEAT:-3}
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 1000000)
command -v wrk >/dev/null || { echo "需要 wrk（apt-get install wrk）" >&2; exit 2; }

cargo build --release --locked --quiet --bin duijie --example raw_tantivy
target=${CARGO_TARGET_DIR:-$root/target}
bin=$target/release/duijie
raw=$target/release/examples/raw_tantivy
mkdir -p bench/results
out=${BENCH_OUT:-bench/results/$(date -u +%Y-%m-%d).md}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # wrk's own reports, for anyone checking a figure.
  [ -f "$work/wrk.log" ] && cp "$work/wrk.log" "${out%.md}.wrk.log"
  rm -rf "$work"
}
trap cleanup EXIT

say() { echo "$*" | tee -a "$out"; }
# shellcheck source=bench/lib.sh
source bench/lib.sh
export WRK_LOG=$work/wrk.log

say ""
say "## Run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
say "wrk: 1 thread, ${secs} s per run; loaded runs ${conns} connections, latency runs 1 connection; each figure is the median of ${repeat} runs (duijie and raw tantivy alternating), every run's req/s in the last column."

for records in "${sizes[@]}"; do
  w=$work/$records
  mkdir -p "$w"
  scale=$(python3 -c "print(round($records / 60090, 4))")
  say ""
  say "### ${records} records (demo scale ${scale})"
  "$bin" demo --seed 42 --scale "$scale" --out "$w/demo.jsonl" > "$w/demo.log" 2>&1
  lines=$(wc -l < "$w/demo.jsonl")
  needs=$(grep -c '"kind":"need"' "$w/demo.jsonl")
  enterprises=$(grep -c '"kind":"enterprise"' "$w/demo.jsonl")
  providers=$(grep -c '"kind":"provider"' "$w/demo.jsonl")
  commissioners=$(grep -c '"kind":"commissioner"' "$w/demo.jsonl")
  events=$(grep -c '"kind":"feedback"' "$w/demo.jsonl" || true)
  say "- world: ${lines} lines = ${enterprises} enterprises, ${needs} needs, ${providers} providers, ${commissioners} commissioners, ${events} feedback events"

  /usr/bin/time -f "%e %M" -o "$w/import.time" "$bin" import --json --data-dir "$w/data" "$w/demo.jsonl" > "$w/import.json" 2> "$w/import.err"
  read -r isecs ikb < "$w/import.time"
  say "- import (\`duijie import\`, store only): ${isecs} s, $(python3 -c "print(round($lines / max($isecs, 0.001)))") records/s, peak RSS $((ikb / 1024)) MB"
  /usr/bin/time -f "%e %M" -o "$w/reindex.time" "$bin" reindex --data-dir "$w/data" > "$w/reindex.log" 2>&1
  read -r rsecs rkb < "$w/reindex.time"
  say "- index build (\`duijie reindex\`): ${rsecs} s, peak RSS $((rkb / 1024)) MB; import + index $(python3 -c "print(round($lines / ($isecs + $rsecs)))") records/s"
  db_mb=$(du -cm "$w/data"/duijie.db* | tail -1 | cut -f1)
  idx_mb=$(du -sm "$w/data/index" | cut -f1)
  say "- size on disk: store ${db_mb} MB, index ${idx_mb} MB"

  # Request mixes: random stored needs for match, the judged queries for search.
  write_mixes "$w" "$needs"

  port=$(free_port)
  t0=$(date +%s%N)
  "$bin" serve --no-demo --addr "127.0.0.1:$port" --data-dir "$w/data" > "$w/serve.log" 2>&1 &
  spid=$!; pids+=("$spid")
  wait_up "http://127.0.0.1:$port/healthz" "$spid"
  say "- cold start with an existing index (spawn → first /healthz answered): $(ms_since "$t0") ms, RSS then $(rss_mb "$spid") MB"

  rport=$(free_port)
  "$raw" serve "$w/data/index" "127.0.0.1:$rport" > "$w/raw.log" 2>&1 &
  rpid=$!; pids+=("$rpid")
  wait_up "http://127.0.0.1:$rport/raw/search?q=x" "$rpid"

  ours=http://127.0.0.1:$port/v1/
  floor=http://127.0.0.1:$rport/raw/
  # Warm both (page cache, provider cache, allocator) before measuring.
  secs_saved=$secs; secs=5
  load "$w/match.lua" "$ours" "$conns" > /dev/null
  load "$w/search.lua" "$ours" "$conns" > /dev/null
  load "$w/match.lua" "$floor" "$conns" > /dev/null
  load "$w/search.lua" "$floor" "$conns" > /dev/null
  secs=$secs_saved
  say ""
  say "| request | server | connections | req/s | p50 ms | p99 ms | errors | every run, req/s |"
  say "| --- | --- | --- | --- | --- | --- | --- | --- |"
  for what in match search; do
    for c in 1 "$conns"; do
      ours_runs=(); raw_runs=()
      for _ in $(seq "$repeat"); do
        ours_runs+=("$(load "$w/$what.lua" "$ours" "$c")")
        raw_runs+=("$(load "$w/$what.lua" "$floor" "$c")")
      done
      read -r a b d e ar <<< "$(median "${ours_runs[@]}")"
      read -r fa fb fd fe far <<< "$(median "${raw_runs[@]}")"
      say "| /v1/$what | duijie | $c | $a | $b | $d | $e | $ar |"
      say "| /v1/$what | raw tantivy | $c | $fa | $fb | $fd | $fe | $far |"
      say "| /v1/$what | ratio duijie/raw | $c | $(python3 -c "print('%.2f' % (float('$a') / max(float('$fa'), 1)))") | $(python3 -c "print('%.2f' % (float('$b') / max(float('$fb'), 1e-9)))") | $(python3 -c "print('%.2f' % (float('$d') / max(float('$fd'), 1e-9)))") | | |"
    done
  done
  say ""
  say "- duijie serve resident memory after the load: RSS $(rss_mb "$spid") MB, peak $(hwm_mb "$spid") MB"
  kill "$rpid"; wait "$rpid" 2>/dev/null || true
  say "- $("$raw" inprocess "$w/data/index" "$w/queries.txt" "$w/needs.txt" 2>/dev/null | paste -sd';' | sed 's/;/; /')"

  a0=$(date +%s%N)
  curl -sf -X POST -H 'content-type: application/json' -d '{}' "http://127.0.0.1:$port/v1/commissioners/assign" -o "$w/assign.json"
  say "- city-wide assignment (POST /v1/commissioners/assign, all ${commissioners} commissioners): $(ms_since "$a0") ms, $(python3 -c "import json; p=json.load(open('$w/assign.json')); print(len(p['assignments']), 'assigned,', len(p['unassigned']), 'unassigned')")"
  kill "$spid"; wait "$spid" 2>/dev/null || true

  if [ "$train" = 1 ]; then
    /usr/bin/time -f "%e %M" -o "$w/train.time" "$bin" train --force --data-dir "$w/data" > "$w/train.log" 2>&1
    read -r tsecs tkb < "$w/train.time"
    say "- training on ${events} feedback events (\`duijie train --force\`, incl. opening the data directory): ${tsecs} s, peak RSS $((tkb / 1024)) MB"
  fi
  rm -rf "$w/data" "$w/demo.jsonl"
done

if [ "${BENCH_ASSIGN:-0}" = 1 ]; then
  # 1,000 commissioners × 20,000 enterprises: the scale-10 world (20,000 enterprises)
  # without the commissioners after the first 1,000 and the feedback that names them.
  w=$work/assign
  mkdir -p "$w"
  "$bin" demo --seed 42 --scale 10 --out "$w/all.jsonl" > /dev/null 2>&1
  python3 - "$w" <<'PY'
import json, sys
w = sys.argv[1]
with open(f"{w}/all.jsonl", encoding="utf-8") as src, open(f"{w}/demo.jsonl", "w", encoding="utf-8") as dst:
    for line in src:
        r = json.loads(line)
        ids = [r.get("id") if r.get("kind") == "commissioner" else None, r.get("actor_id"), r.get("commissioner_id")]
        if any(i and i.startswith("C-") and int(i[2:]) > 1000 for i in ids):
            continue
        dst.write(line)
PY
  "$bin" import --json --data-dir "$w/data" "$w/demo.jsonl" > /dev/null || true
  "$bin" reindex --data-dir "$w/data" > /dev/null 2>&1
  c=$(grep -c '"kind":"commissioner"' "$w/demo.jsonl"); e=$(grep -c '"kind":"enterprise"' "$w/demo.jsonl")
  port=$(free_port)
  "$bin" serve --no-demo --addr "127.0.0.1:$port" --data-dir "$w/data" > "$w/serve.log" 2>&1 &
  spid=$!; pids+=("$spid")
  wait_up "http://127.0.0.1:$port/healthz" "$spid"
  say ""
  say "### Assignment: ${c} commissioners × ${e} enterprises"
  for run in 1 2 3; do
    a0=$(date +%s%N)
    curl -sf -X POST -H 'content-type: application/json' -d '{}' "http://127.0.0.1:$port/v1/commissioners/assign" -o "$w/assign.json"
    took=$(ms_since "$a0")
    say "- run ${run}: ${took} ms over HTTP; $(python3 -c "import json; p=json.load(open('$w/assign.json')); print(len(p['assignments']), 'assigned,', len(p['unassigned']), 'unassigned; exact total', round(p['total_score'], 1), 'vs greedy', round(p['greedy_total_score'], 1))")"
  done
  grep -o '"message":"assignment planned".*' "$w/serve.log" | tail -1 || true
  kill "$spid"; wait "$spid" 2>/dev/null || true
fi
echo "figures written to $out"
