#!/bin/sh
# bench/postgres.sh - the token endpoint on PostgreSQL with one and with two keyhold
# instances (issue 7), wrk on loopback as in bench/run.sh, everything on the same cores.
# PostgreSQL 15 is a throw-away one (tools/pg.sh) with its durable defaults (fsync on,
# synchronous_commit on), reached over its unix socket. With two instances, two wrk
# processes take half the connections each, one per instance, and their figures add up.
# Ends with the time every instance takes to grant again after PostgreSQL restarts.
# Prints a markdown table and writes it to bench/results/postgres.md.
#
# env: DURATION=10s CONNS=64 (in all) THREADS=1 PORT=18090 KEYHOLD=build/keyhold
set -eu
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}; CONNS=${CONNS:-64}; THREADS=${THREADS:-1}; PORT=${PORT:-18090}
KEYHOLD=${KEYHOLD:-build/keyhold}
command -v wrk >/dev/null || { echo "bench: wrk is missing (sh tools/deps.sh bench)" >&2; exit 1; }
DIR=$(mktemp -d /tmp/keyhold-pgbench.XXXXXX)
chmod 755 "$DIR" # as root, PostgreSQL runs as postgres and must reach $DIR/pg
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    sh tools/pg.sh stop "$DIR/pg"
    [ -n "${KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

DB=$(sh tools/pg.sh start "$DIR/pg")
export KEYHOLD_DB="$DB" KEYHOLD_ADMIN_PASSWORD=bench-admin-password
KEYHOLD_MASTER_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export KEYHOLD_MASTER_KEY

kh() { "$KEYHOLD" "$@" >/dev/null; }
kh realm create bench-es256 --alg ES256
kh role create bench-es256 api-user --permission api
printf 'benchpass\n' | kh user create bench-es256 bench --role api-user --password-stdin
SECRET=$("$KEYHOLD" client create bench-es256 bench-client \
         --grant client_credentials,password --scope api --owner bench --json |
         sed 's/.*"client_secret":"\([^"]*\)".*/\1/')
AUTH="Basic $(printf 'bench-client:%s' "$SECRET" | base64 -w0)"

# start_instance N: sets BASE to its URL (not in a subshell: PIDS must keep its pid)
start_instance() {
    port=$((PORT + $1))
    "$KEYHOLD" serve --listen 127.0.0.1:$port >"$DIR/out.$1.log" 2>"$DIR/err.$1.log" &
    PIDS="$PIDS $!"
    BASE="http://127.0.0.1:$port"
    for _ in $(seq 100); do curl -sf "$BASE/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
    echo "bench: keyhold on port $port did not start:" >&2; tail -5 "$DIR/err.$1.log" >&2; exit 1
}
url() { echo "$1/realms/bench-es256/protocol/openid-connect/token"; }
mint() { # BASE N -> N refresh tokens
    i=0; tokens=""
    while [ $i -lt "$2" ]; do
        t=$(curl -s -u "bench-client:$SECRET" \
            -d 'grant_type=password&username=bench&password=benchpass&scope=api' "$(url "$1")" |
            sed 's/.*"refresh_token":"\([^"]*\)".*/\1/')
        tokens="$tokens $t"; i=$((i + 1))
    done
    echo "$tokens"
}
# wrk_one BASE CONNS SCRIPT OUT [env...]: one wrk process in the background
wrk_one() {
    base=$1 conns=$2 script=$3 out=$4; shift 4
    env WRK_AUTH="$AUTH" WRK_SCOPE=api "$@" wrk -t"$THREADS" -c"$conns" -d"$DURATION" \
        --latency -s "bench/wrk/$script" "$(url "$base")" >"$out" &
    WRKS="$WRKS $!"
}
WRKS=""
wait_wrk() { for w in $WRKS; do wait "$w"; done; WRKS=""; }
field() { awk "$1" "$2"; }
ROWS=""
# row LABEL FILE...: the sum of req/s, the worst p99, the sum of non-2xx
row() {
    label=$1; shift
    rps=0; p99=""; bad=0
    for f in "$@"; do
        rps=$((rps + $(field '/Requests\/sec/ {printf "%.0f", $2}' "$f")))
        p=$(field '$1 == "99%" {print $2}' "$f"); p99="$p99${p99:+ / }$p"
        b=$(field '/Non-2xx/ {print $5}' "$f"); bad=$((bad + ${b:-0}))
    done
    ROWS="$ROWS| $label | $rps | $p99 | $bad |
"
}

start_instance 0; A=$BASE
wrk_one "$A" "$CONNS" cc.lua "$DIR/cc1"
wait_wrk
row "client_credentials ES256, 1 instance" "$DIR/cc1"
wrk_one "$A" "$CONNS" refresh_rotating.lua "$DIR/rt1" \
    WRK_REFRESH_TOKENS="$(mint "$A" $((CONNS + THREADS + 2)))" WRK_THREADS="$THREADS"
wait_wrk
row "refresh_token rotating, 1 instance" "$DIR/rt1"

start_instance 1; B=$BASE
HALF=$((CONNS / 2))
wrk_one "$A" "$HALF" cc.lua "$DIR/cc2a"
wrk_one "$B" "$HALF" cc.lua "$DIR/cc2b"
wait_wrk
row "client_credentials ES256, 2 instances" "$DIR/cc2a" "$DIR/cc2b"
TA=$(mint "$A" $((HALF + THREADS + 2))); TB=$(mint "$B" $((HALF + THREADS + 2)))
wrk_one "$A" "$HALF" refresh_rotating.lua "$DIR/rt2a" WRK_REFRESH_TOKENS="$TA" WRK_THREADS="$THREADS"
wrk_one "$B" "$HALF" refresh_rotating.lua "$DIR/rt2b" WRK_REFRESH_TOKENS="$TB" WRK_THREADS="$THREADS"
wait_wrk
row "refresh_token rotating, 2 instances" "$DIR/rt2a" "$DIR/rt2b"

# Recovery: PostgreSQL stopped for 2 s, then started; how long until both grant again.
granting() { [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $AUTH" \
    -d 'grant_type=client_credentials&scope=api' "$(url "$1")")" = 200 ]; }
sh tools/pg.sh stop "$DIR/pg"
sleep 2
T0=$(date +%s.%N)
sh tools/pg.sh start "$DIR/pg" >/dev/null
T1=$(date +%s.%N)
i=0
until granting "$A" && granting "$B"; do
    i=$((i + 1))
    if [ $i -ge 3000 ]; then
        echo "bench: no recovery within 30 s; last answers:" >&2
        curl -s -H "Authorization: $AUTH" -d 'grant_type=client_credentials&scope=api' "$(url "$A")" >&2
        tail -3 "$DIR/err.0.log" >&2
        exit 1
    fi
    sleep 0.01
done
T2=$(date +%s.%N)
RECOVERY=$(echo "$T0 $T1 $T2" | awk '{printf "PostgreSQL took %.2f s to start; both instances granted again %.2f s after it was up", $2 - $1, $3 - $2}')

TABLE="| PostgreSQL 15, wrk -t$THREADS -c$CONNS -d$DURATION in all | req/s | p99 | non-2xx |
|---|---:|---:|---:|
$ROWS
Recovery after a restart: $RECOVERY. $(date -u +%Y-%m-%d), $(nproc) cores; PostgreSQL, keyhold and wrk on the same cores."
echo "$TABLE"
mkdir -p bench/results
echo "$TABLE" > bench/results/postgres.md
