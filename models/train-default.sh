#!/usr/bin/env bash
# Reproduces the shipped default ranker, models/ranker-default-2.json.
#
# What it learns from: the graded judgments of the hand-written training corpora in
# models/corpus/ (TCA, TCB, TCD, TCE, TCF: written independently of every evaluation set; TCC is kept
# out of training as a held-out check), through the serving path — every judged need and
# free-text query prepared, retrieved and featurised exactly as a request would be. The
# text model (TF-IDF + latent semantic vectors) is fitted on the corpora together with
# the demo world's records (their vocabulary, not their feedback: the demo feedback
# reflects the generator's world, where structure decides). Run from the repository root.
#
#   bash models/train-default.sh            # writes models/ranker-default-2.json
#   VERSION=x OUT=/tmp/m.json bash models/train-default.sh   # a trial model elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-default-2}
out=${OUT:-models/ranker-$version.json}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${DUIJIE_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --locked --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/duijie
fi
"$bin" demo --seed 42 --scale 1 --out "$work/demo.jsonl" --judgments "$work/demo.judgments.jsonl" >/dev/null
grep -v '"kind":"feedback"' "$work/demo.jsonl" >"$work/demo-entities.jsonl"
train_sets=(models/corpus/TCA models/corpus/TCB models/corpus/TCD models/corpus/TCE models/corpus/TCF)
"$bin" import --data-dir "$work/data" "$work/demo-entities.jsonl" >/dev/null
judgments=()
for s in "${train_sets[@]}"; do
  "$bin" import --data-dir "$work/data" "$s.entities.jsonl" >/dev/null
  judgments+=(--judgments "$s.judgments.jsonl")
done
"$bin" train --data-dir "$work/data" --version-name "$version" --force --prior baseline "${judgments[@]}"
cp "$work/data/models/ranker-$version.json" "$out"
echo "wrote $out"
