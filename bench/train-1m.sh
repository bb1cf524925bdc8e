#!/usr/bin/env bash
# Benchmark: training on about 1,000,000 feedback events. Generates the demo world at
# scale 19 (38,000 enterprises, 57,000 needs, 11,400 providers, ~1.1 M feedback events),
# imports it and times `duijie train` (the training report's own "用时" excludes opening
# the data directory). Prints import throughput, peak memory and training time.
# Run from the repository root: bash bench/train-1m.sh [SCALE]
set -euo pipefail
scale=${1:-19}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --locked --quiet
bin=target/release/duijie
"$bin" demo --seed 42 --scale "$scale" --out "$work/demo.jsonl"
/usr/bin/time -f "import: wall %e s, peak RSS %M KB" "$bin" import --data-dir "$work/data" "$work/demo.jsonl" | tail -1
/usr/bin/time -f "train (incl. opening the data directory): wall %e s, peak RSS %M KB" "$bin" train --data-dir "$work/data" --force
