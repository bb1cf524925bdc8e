#!/usr/bin/env bash
# Reproduces the shipped default ranker, models/ranker-demo-1.json: the demo world
# (seed 42, scale 1), its simulated feedback imported into a fresh data directory,
# trained with the default options. Run from the repository root.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --locked
bin=target/release/duijie
"$bin" demo --seed 42 --scale 1 --out "$work/demo.jsonl"
"$bin" import --data-dir "$work/data" "$work/demo.jsonl"
"$bin" train --data-dir "$work/data" --version-name demo-1 --force
"$bin" eval --data-dir "$work/data" --judgments "$work/demo.judgments.jsonl"
cp "$work/data/models/ranker-demo-1.json" models/ranker-demo-1.json
echo "wrote models/ranker-demo-1.json"
