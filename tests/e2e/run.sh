#!/usr/bin/env bash
# Browser end-to-end test of the web page (headless Chromium via playwright-core).
#   bash tests/e2e/run.sh                 # uses target/debug/duijie (build it first: cargo build)
#   DUIJIE_BIN=path/to/duijie bash tests/e2e/run.sh
# Installs what is missing (Debian's chromium and a CJK font via apt, playwright-core via npm ci),
# starts the server on a free port with a fresh data directory (the demo world loads), runs
# e2e.mjs against it, and stops the server on exit. Screenshots go to tests/e2e/screenshots/.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${DUIJIE_BIN:-${CARGO_TARGET_DIR:-target}/debug/duijie}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
# DUIJIE_WEB_DIR (serve web/ from disk) may be given relative to the repository root.
if [ -n "${DUIJIE_WEB_DIR:-}" ]; then
  case "$DUIJIE_WEB_DIR" in /*) ;; *) DUIJIE_WEB_DIR="$ROOT/$DUIJIE_WEB_DIR" ;; esac
  export DUIJIE_WEB_DIR
fi
STARTUP_TIMEOUT="${E2E_STARTUP_TIMEOUT:-300}"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x "$BIN" ]; then
  echo "e2e: server binary not found at $BIN (run 'cargo build' or set DUIJIE_BIN)" >&2
  exit 1
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "e2e: Node.js (>= 20) and npm are required" >&2
  exit 1
fi

# System packages: Debian's Chromium, and a CJK font so screenshots show Chinese text.
pkgs=()
[ -x /usr/bin/chromium ] || pkgs+=(chromium)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; }; then
  pkgs+=(fonts-wqy-microhei)
fi
if [ "${#pkgs[@]}" -gt 0 ]; then
  echo "== e2e: installing ${pkgs[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

# playwright-core only: it never downloads a browser.
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
  echo "== e2e: npm ci"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi

DATA="$(mktemp -d "${TMPDIR:-/tmp}/duijie-e2e.XXXXXX")"
LOG="$DATA/server.log"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== e2e: starting $BIN (demo world loads into $DATA)"
"$BIN" serve --addr 127.0.0.1:0 --data-dir "$DATA" >"$LOG" 2>&1 &
SERVER_PID=$!

BASE=""
for _ in $(seq 1 $((STARTUP_TIMEOUT * 5))); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "e2e: the server exited during start-up; its log:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  BASE="$(grep -o 'duijie 已启动：http://[^ ]*' "$LOG" 2>/dev/null | head -n1 | sed 's/^duijie 已启动：//' || true)"
  [ -n "$BASE" ] && break
  sleep 0.2
done
if [ -z "$BASE" ]; then
  echo "e2e: the server did not report its address within ${STARTUP_TIMEOUT}s; its log:" >&2
  cat "$LOG" >&2
  exit 1
fi

healthy=""
for _ in $(seq 1 100); do
  if node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$BASE/healthz"; then
    healthy=1
    break
  fi
  sleep 0.2
done
if [ -z "$healthy" ]; then
  echo "e2e: $BASE/healthz did not answer" >&2
  cat "$LOG" >&2
  exit 1
fi

echo "== e2e: server at $BASE"
status=0
node "$HERE/e2e.mjs" "$BASE" || status=$?
if [ "$status" -ne 0 ]; then
  echo "== e2e: failed; last lines of the server log:" >&2
  tail -n 30 "$LOG" >&2 || true
fi
exit "$status"
