#!/usr/bin/env bash
# Ranking quality on hand-written data the ranker never saw (issue 16's yardstick).
#
#   bash bench/quality.sh [SET_DIR ...]     (default: ../shared/fieldset ../shared/samples)
#
# For each set (a directory with entities.jsonl and judgments.jsonl, optionally
# feedback-train.jsonl and split.json — the layout of ../shared/fieldset):
#   1. a fresh data directory, the entities imported, every ranker evaluated on every
#      judged need, free-text query and commissioner (NDCG@10, MRR, Recall@50);
#   2. when the set has feedback and a split: the held-out ("test") needs evaluated
#      before any feedback, after importing the feedback, and after `duijie train`
#      (no --force: the promotion gate decides), which is what a new deployment with its
#      first few hundred feedback events experiences.
# Prints Markdown tables (BENCHMARKS.md carries them). Nothing in the sets is
# special-cased: any directory of that shape works.
# Environment: DUIJIE_BIN (default target/release/duijie, built when missing or stale);
# QUALITY_MODEL=path/to/ranker-V.json evaluates that model file instead of the shipped
# one (it is copied into each fresh data directory and made active there).
set -euo pipefail
cd "$(dirname "$0")/.."

sets=("$@")
if [ ${#sets[@]} -eq 0 ]; then
  sets=(../shared/fieldset ../shared/samples)
fi

bin=${DUIJIE_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --locked --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/duijie
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# eval_json DATA_DIR JUDGMENTS → the eval rows as JSON
eval_json() {
  "$bin" eval --data-dir "$1" --judgments "$2" --json
}

# rows_md TITLE JSON... → a Markdown table of set × ranker
rows_md() {
  python3 - "$@" <<'PY'
import json, sys
title = sys.argv[1]
rows = json.loads(sys.argv[2])
print(f"\n**{title}**\n")
print("| set | ranker | n | NDCG@10 | MRR | Recall@50 |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for r in rows:
    print(f"| {r['set']} | {r['ranker']} | {r['n']} | {r['ndcg_at_10']:.3f} | {r['mrr']:.3f} | {r['recall_at_50']:.3f} |")
PY
}

for set in "${sets[@]}"; do
  if [ ! -f "$set/entities.jsonl" ] || [ ! -f "$set/judgments.jsonl" ]; then
    echo "quality.sh: $set has no entities.jsonl/judgments.jsonl — skipped" >&2
    continue
  fi
  name=$(basename "$set")
  echo
  echo "## $name ($(wc -l <"$set/entities.jsonl") records, $(wc -l <"$set/judgments.jsonl") judgments)"
  data="$work/$name"
  if [ -n "${QUALITY_MODEL:-}" ]; then
    mkdir -p "$data/models"
    cp "$QUALITY_MODEL" "$data/models/"
    v=$(basename "$QUALITY_MODEL" .json)
    printf '{"version":"%s"}' "${v#ranker-}" >"$data/models/active.json"
  fi
  "$bin" import --data-dir "$data" "$set/entities.jsonl" >/dev/null
  rows_md "All judged needs, queries and commissioners — \`duijie eval --judgments $set/judgments.jsonl\` on a fresh import" \
    "$(eval_json "$data" "$set/judgments.jsonl")"

  echo
  echo "**Field inference** (\`duijie eval --fields\`): $("$bin" eval --data-dir "$data" --judgments "$set/judgments.jsonl" --fields)"

  if [ -f "$set/feedback-train.jsonl" ] && [ -f "$set/split.json" ]; then
    test_j="$work/$name.test.jsonl"
    python3 - "$set/split.json" "$set/judgments.jsonl" >"$test_j" <<'PY'
import json, sys
test = set(json.load(open(sys.argv[1]))["test"])
for line in open(sys.argv[2]):
    line = line.strip()
    if line and json.loads(line).get("need_id") in test:
        print(line)
PY
    before=$(eval_json "$data" "$test_j")
    "$bin" import --data-dir "$data" "$set/feedback-train.jsonl" >/dev/null
    after_fb=$(eval_json "$data" "$test_j")
    train_out=$("$bin" train --data-dir "$data" --json 2>"$work/train.err" || true)
    after_train=$(eval_json "$data" "$test_j")
    python3 - "$before" "$after_fb" "$after_train" "$train_out" <<'PY'
import json, sys
before, after_fb, after_train = (json.loads(a) for a in sys.argv[1:4])
try:
    rep = json.loads(sys.argv[4])
except Exception:
    rep = {}
def ndcg(rows, ranker_prefix):
    for r in rows:
        if r["set"] == "needs" and r["ranker"].startswith(ranker_prefix):
            return r["ndcg_at_10"], r["ranker"], r["n"]
    return float("nan"), "-", 0
print("\n**Held-out needs (split.json `test`, no feedback of their own), NDCG@10**\n")
print("| stage | learned | baseline | BM25 |")
print("| --- | ---: | ---: | ---: |")
for label, rows in (("fresh import", before), ("after importing feedback-train.jsonl", after_fb), ("after `duijie train`", after_train)):
    l, name, n = ndcg(rows, "learned")
    b, _, _ = ndcg(rows, "baseline")
    m, _, _ = ndcg(rows, "bm25")
    print(f"| {label} ({name}, n={n}) | {l:.3f} | {b:.3f} | {m:.3f} |")
promoted = rep.get("promoted")
print(f"\n`duijie train`: promoted = {promoted}; version = {rep.get('version', '-')}; "
      f"events = {rep.get('training', {}).get('events', '-')}; decision: {rep.get('decision', '-')}")
PY
  fi
done
