# Sourced by .ci/run: makes a PostgreSQL server available to the PostgreSQL tests
# (tests/postgres.rs, tests/replicas.rs) and exports DUIJIE_TEST_PG.
#
# 1. DUIJIE_TEST_PG already set: use it.
# 2. A server on 127.0.0.1:$DUIJIE_PG_PORT (default 5432) that lets `postgres` in: use it.
# 3. Otherwise start a throwaway cluster in a temporary directory (installing PostgreSQL
#    with apt when initdb is missing), as a non-root user, on that port or a free one
#    next to it; it is stopped and removed when .ci/run exits.
# Failing to get a server fails CI: the PostgreSQL tests must not be skipped there.

duijie_pg_port="${DUIJIE_PG_PORT:-5432}"

duijie_pg_ok() { # URL
    command -v psql >/dev/null 2>&1 && psql "$1" -Atqc 'SELECT 1' >/dev/null 2>&1
}

duijie_pg_bindir() {
    local d
    for d in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")" \
        $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

duijie_pg_port_busy() { # PORT
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

duijie_pg_setup() {
    if [ -n "${DUIJIE_TEST_PG:-}" ]; then
        echo "== PostgreSQL: DUIJIE_TEST_PG is set"
        return 0
    fi
    local url="postgres://postgres@127.0.0.1:${duijie_pg_port}/postgres"
    if duijie_pg_ok "$url"; then
        echo "== PostgreSQL: using the server on 127.0.0.1:${duijie_pg_port}"
        export DUIJIE_TEST_PG="$url"
        return 0
    fi
    local bindir
    if ! bindir="$(duijie_pg_bindir)" || ! command -v psql >/dev/null 2>&1; then
        echo "== PostgreSQL: installing with apt"
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get install -y -q postgresql >/dev/null ||
            { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q postgresql >/dev/null; } ||
            return 1
        # A packaged server may have started by itself.
        sleep 1
        if duijie_pg_ok "$url"; then
            echo "== PostgreSQL: using the packaged server on 127.0.0.1:${duijie_pg_port}"
            export DUIJIE_TEST_PG="$url"
            return 0
        fi
        bindir="$(duijie_pg_bindir)" || return 1
    fi
    local port="$duijie_pg_port"
    while duijie_pg_port_busy "$port"; do port=$((port + 1)); done
    DUIJIE_PG_DIR="$(mktemp -d /tmp/duijie-pg.XXXXXX)"
    local run=()
    if [ "$(id -u)" -eq 0 ]; then
        # initdb refuses to run as root.
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres || return 1
        chown postgres "$DUIJIE_PG_DIR"
        run=(su -s /bin/sh postgres -c)
    else
        run=(sh -c)
    fi
    echo "== PostgreSQL: throwaway cluster in $DUIJIE_PG_DIR on port $port ($("$bindir/postgres" --version))"
    "${run[@]}" "'$bindir/initdb' -D '$DUIJIE_PG_DIR/data' -U postgres --auth=trust -E UTF8 >'$DUIJIE_PG_DIR/initdb.log' 2>&1" ||
        { cat "$DUIJIE_PG_DIR/initdb.log"; return 1; }
    "${run[@]}" "'$bindir/pg_ctl' -D '$DUIJIE_PG_DIR/data' -l '$DUIJIE_PG_DIR/server.log' -w \
        -o \"-p $port -k $DUIJIE_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start >/dev/null" ||
        { cat "$DUIJIE_PG_DIR/server.log"; return 1; }
    DUIJIE_PG_STOP="${run[*]} \"'$bindir/pg_ctl' -D '$DUIJIE_PG_DIR/data' -m fast stop >/dev/null\"; rm -rf '$DUIJIE_PG_DIR'"
    trap 'eval "$DUIJIE_PG_STOP"' EXIT
    export DUIJIE_TEST_PG="postgres://postgres@127.0.0.1:${port}/postgres"
    duijie_pg_ok "$DUIJIE_TEST_PG"
}

if ! duijie_pg_setup; then
    echo "== PostgreSQL: could not get a server; set DUIJIE_TEST_PG=postgres://… to one" >&2
    exit 1
fi
echo "== PostgreSQL: DUIJIE_TEST_PG=${DUIJIE_TEST_PG}"
