#!/usr/bin/env bash
# Fuzzes the running service against its own OpenAPI document with schemathesis: every
# documented operation gets a bounded number of generated requests (valid and invalid),
# and the run fails on any 5xx, on a status code or content type the document does not
# list, or on a response that does not match its documented schema.
#
# Needs the debug binary (`cargo build --locked` first; CARGO_TARGET_DIR is honoured) and
# python3 with venv. schemathesis is installed from PyPI into a cached virtualenv.
#
# Tuning: SCHEMATHESIS_MAX_EXAMPLES (default 30 per operation), SCHEMATHESIS_SEED.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-30}
SEED=${SCHEMATHESIS_SEED:-42}
BIN="${CARGO_TARGET_DIR:-target}/debug/duijie"
# Python 3.11.7 and older can fail inside hypothesis with "SystemError: AST constructor
# recursion depth mismatch" (a CPython bug); prefer a newer interpreter when there is one.
PYTHON=${SCHEMATHESIS_PYTHON:-}
for py in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 python3.13 python3.12 python3; do
    [[ -n "$PYTHON" ]] && break
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import venv' 2>/dev/null; then
        PYTHON=$py
        break
    fi
done
[[ -n "$PYTHON" ]] || { echo "schemathesis.sh: python3 with venv is needed" >&2; exit 1; }
PYVER=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/duijie-schemathesis-py$PYVER"

if [[ ! -x "$BIN" ]]; then
    echo "schemathesis.sh: $BIN not found; run cargo build --locked first" >&2
    exit 1
fi

if [[ ! -x "$VENV/bin/schemathesis" ]] ||
    ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION\$"; then
    echo "== installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
# On Python 3.11 (all this machine may have), ast.parse can raise "SystemError: AST
# constructor recursion depth mismatch" (CPython gh-106905) while hypothesis describes a
# lambda for a message, which aborts generation for an operation. Turn that into the
# SyntaxError hypothesis already handles (it then describes the lambda as <unknown>);
# nothing else changes.
if [[ "$PYVER" == "3.11" ]]; then
    SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    cat >"$SITE/duijie_ast_workaround.py" <<'PY'
import ast

_parse = ast.parse


def parse(*args, **kwargs):
    try:
        return _parse(*args, **kwargs)
    except SystemError as e:
        raise SyntaxError(f"ast.parse failed: {e}") from e


ast.parse = parse
PY
    echo "import duijie_ast_workaround" >"$SITE/duijie_ast_workaround.pth"
fi
echo "== $("$VENV/bin/schemathesis" --version) on Python $PYVER"

DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$DATA"
}
trap cleanup EXIT

# A fresh data directory: the demo world loads into the empty store. No keys, so the
# service runs open (every request acts as an admin) and every operation is reachable.
echo "== starting duijie on 127.0.0.1:$PORT (data $DATA)"
env -u DATABASE_URL -u DUIJIE_MODELS_DIR -u DUIJIE_NO_DEMO \
    DUIJIE_RATE_PER_SEC=100000 DUIJIE_RATE_BURST=100000 RUST_LOG="${RUST_LOG:-warn}" \
    "$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$DATA" >"$DATA/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "schemathesis.sh: the server exited during start-up:" >&2
        cat "$DATA/server.log" >&2
        exit 1
    fi
    sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null

# Training (`POST /v1/admin/train`) takes tens of seconds per call on the demo world in a
# debug build; it is fuzzed with few examples in a separate run (below) so the whole run
# stays within a few minutes.
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
COMMON=(
    --checks "$CHECKS"
    --seed "$SEED"
    --workers 2
    --request-timeout 70
    --generation-database none
    --suppress-health-check too_slow,filter_too_much
    --no-color
)
status=0
echo "== schemathesis: every operation but training, up to $MAX_EXAMPLES examples each"
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" \
    "${COMMON[@]}" --max-examples "$MAX_EXAMPLES" \
    --exclude-operation-id train || status=$?
# One training at a time (they queue on the model lock), generated cases only (the
# coverage phase would train dozens of times).
echo "== schemathesis: training, up to 5 examples"
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" \
    "${COMMON[@]}" --workers 1 --request-timeout 180 --max-examples 5 --phases fuzzing \
    --include-operation-id train || status=$?

if grep -qE ' 5[0-9]{2} |panicked' "$DATA/server.log"; then
    echo "schemathesis.sh: the server log shows errors:" >&2
    grep -E 'ERROR|panicked' "$DATA/server.log" | head -20 >&2
fi
if [[ $status -ne 0 ]]; then
    echo "schemathesis.sh: schemathesis found failures (exit $status)" >&2
    exit "$status"
fi
echo "== schemathesis: no failures"
