#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a bounded time.
#
#   fuzz/run.sh                       # every target, 120 s each
#   FUZZ_SECONDS=300 fuzz/run.sh      # 5 minutes each
#   fuzz/run.sh query import_csv      # only these targets
#
# Needs cargo-fuzz (installed here with `cargo install --locked` when missing). cargo-fuzz
# passes `-Z` flags (sanitizer, coverage) to rustc: the machine's one toolchain (stable)
# takes them with RUSTC_BOOTSTRAP=1, so no nightly toolchain is needed. One job per
# target (run one after another), seeds from fuzz/seeds/<target>/, the growing corpus in
# fuzz/corpus/<target>/ and crashes in fuzz/artifacts/<target>/ (both git-ignored).
# Exits non-zero when any target crashed.
set -euo pipefail
cd "$(dirname "$0")"

SECONDS_PER_TARGET="${FUZZ_SECONDS:-120}"
RSS_LIMIT_MB="${FUZZ_RSS_LIMIT_MB:-4096}"
TIMEOUT_S="${FUZZ_TIMEOUT:-10}"
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    TARGETS=(import_jsonl import_csv query)
fi

CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install --locked --version "$CARGO_FUZZ_VERSION" cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
FUZZ=(cargo fuzz)
# No sanitizer by default: the targets look for panics, overflows and failed assertions in
# safe Rust, and AddressSanitizer roughly doubles the build and halves the executions.
# FUZZ_SANITIZER=address brings it back.
SANITIZER="${FUZZ_SANITIZER:-none}"

# Release with debug assertions (overflow checks and debug_assert! on); built once.
"${FUZZ[@]}" build -O -a -s "$SANITIZER"

failed=0
summary=()
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    log="artifacts/$t/run.log"
    echo "== $t: ${SECONDS_PER_TARGET}s"
    status=0
    "${FUZZ[@]}" run -O -a -s "$SANITIZER" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" \
        -timeout="$TIMEOUT_S" -rss_limit_mb="$RSS_LIMIT_MB" \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    execs=$(awk '/^stat::number_of_executed_units/ {n=$2} END {print n}' "$log")
    crash=$(awk '/Test unit written to/ {sub(/.*written to /, ""); f=$0} END {print f}' "$log")
    if [ "$status" -ne 0 ] || [ -n "$crash" ]; then
        failed=1
        summary+=("$t: CRASH after ${execs:-?} executions (exit $status) ${crash:-see $log}")
        grep -E 'panicked at|ERROR: libFuzzer' "$log" | cut -c1-300 | head -4 || true
    else
        summary+=("$t: ok, ${execs:-?} executions in ${SECONDS_PER_TARGET}s, no crash")
    fi
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
