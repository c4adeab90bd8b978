#!/bin/sh
# pg.sh - a throw-away PostgreSQL 15 for tests and benchmarks.
#
#   tools/pg.sh start DIR [fast]  initdb in DIR/data (unless done before), start it
#                                 listening only on a unix socket in DIR, create
#                                 database keyhold; prints its URL. "fast": fsync
#                                 and synchronous commit off (tests only; a crash
#                                 may lose commits). A restart keeps the mode.
#   tools/pg.sh stop DIR          stops it by the PID in DIR/data/postmaster.pid
#   tools/pg.sh url DIR           prints the URL again
#   tools/pg.sh run CMD...        start (fast) in a new temporary folder, run CMD
#                                 with KEYHOLD_TEST_PG (its URL),
#                                 KEYHOLD_TEST_PG_DIR and KEYHOLD_REQUIRE_PG=1
#                                 set, stop and remove it; exits with CMD's status.
#
# PostgreSQL refuses to run as root: as root the server runs as the
# `postgres` user of Debian's package, and DIR is handed to it.
set -eu
BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$BIN/postgres" ] || { echo "pg.sh: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { echo "postgresql://keyhold@/keyhold?host=$1"; }

start() {
    dir=$1; mode=${2:-}
    fresh=
    if [ ! -d "$dir/data" ]; then
        fresh=1
        mkdir -p "$dir"
        [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
        as_owner "$BIN/initdb" -D "$dir/data" -U keyhold -A trust -E UTF8 --locale=C.UTF-8 \
            --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
        opts="-c listen_addresses= -c unix_socket_directories=$dir -c max_connections=400"
        [ "$mode" = fast ] &&
            opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        echo "$opts" >"$dir/options"
    fi
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
        -o "$(cat "$dir/options")" start >/dev/null || { tail -20 "$dir/postgres.log" >&2; exit 1; }
    [ -n "$fresh" ] && as_owner "$BIN/createdb" -h "$dir" -U keyhold keyhold
    url "$dir"
}

stop() {
    dir=$1
    pidfile="$dir/data/postmaster.pid"
    [ -f "$pidfile" ] || return 0
    pid=$(head -1 "$pidfile")
    kill -INT "$pid" 2>/dev/null || return 0   # fast shutdown
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    return 0
}

case "${1:-}" in
    start) start "$2" "${3:-}" ;;
    stop) stop "$2" ;;
    url) url "$2" ;;
    run)
        shift
        dir=$(mktemp -d /tmp/kh_pg_XXXXXX)
        trap 'stop "$dir"; rm -rf "$dir"' EXIT INT TERM
        KEYHOLD_TEST_PG=$(start "$dir" fast)
        export KEYHOLD_TEST_PG KEYHOLD_TEST_PG_DIR="$dir" KEYHOLD_REQUIRE_PG=1
        set +e
        "$@"
        status=$?
        set -e
        exit $status
        ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
