#!/bin/sh
# bench/run.sh - token endpoint benchmarks of the release build with wrk, as in
# ../shared/bench/peers (same Lua scripts, same wrk flags), on loopback only.
# Prints a markdown table and writes it to bench/results/latest.md.
#
# env: DURATION=10s CONNS=64 THREADS=1 (wrk -t1 -c64 -d10s, as the issue asks)
#      PORT=18080 KEYHOLD=build/keyhold
set -eu
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}; CONNS=${CONNS:-64}; THREADS=${THREADS:-1}; PORT=${PORT:-18080}
KEYHOLD=${KEYHOLD:-build/keyhold}
command -v wrk >/dev/null || { echo "bench: wrk is missing (sh tools/deps.sh bench)" >&2; exit 1; }
DIR=$(mktemp -d /tmp/keyhold-bench.XXXXXX)
DB=$DIR/bench.db
export KEYHOLD_DB=$DB KEYHOLD_ADMIN_PASSWORD=bench-admin-password
BASE=http://127.0.0.1:$PORT
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT INT TERM

kh() { "$KEYHOLD" "$@" --db "$DB" >/dev/null; }
for alg in ES256 RS256 EdDSA; do
    realm=$(echo "bench-$alg" | tr 'A-Z' 'a-z')
    kh realm create "$realm" --alg "$alg"
    kh role create "$realm" api-user --permission api
    printf 'benchpass\n' | kh user create "$realm" bench --role api-user --password-stdin
done
secret_of() { # realm client-id grants -> secret
    "$KEYHOLD" client create "$1" "$2" --grant "$3" --scope api --owner bench --json --db "$DB" |
        sed 's/.*"client_secret":"\([^"]*\)".*/\1/'
}
CC_ES=$(secret_of bench-es256 bench-client client_credentials,password)
CC_RS=$(secret_of bench-rs256 bench-client client_credentials)
CC_ED=$(secret_of bench-eddsa bench-client client_credentials)
OPAQUE=$("$KEYHOLD" client create bench-es256 bench-opaque --grant client_credentials --scope "api" \
         --owner bench --opaque --json --db "$DB" | sed 's/.*"client_secret":"\([^"]*\)".*/\1/')

"$KEYHOLD" serve --listen 127.0.0.1:$PORT >"$DIR/out.log" 2>"$DIR/err.log" &
PID=$!
for _ in $(seq 50); do curl -sf "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$PID/status; }
RSS_IDLE=$(rss)

url() { echo "$BASE/realms/$1/protocol/openid-connect/token"; }
auth() { echo "Basic $(printf '%s:%s' "${BENCH_CLIENT_ID:-bench-client}" "$1" | base64 -w0)"; }
ROWS=""
# run LABEL SCRIPT URL SECRET [extra env...]: one wrk run, one table row
run() {
    label=$1 script=$2 u=$3 secret=$4
    out=$(WRK_AUTH=$(auth "$secret") WRK_SCOPE=api wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" \
          --latency -s "bench/wrk/$script" "$u")
    rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    bad=$(echo "$out" | awk '/Non-2xx/ {print $5} /inactive=/ {sub(/.*inactive=/, ""); if ($0 > 0) print $0 " inactive"}')
    ROWS="$ROWS| $label | $rps | $p50 | $p99 | ${bad:-0} |
"
}
mint_refresh_tokens() { # N -> space-separated refresh tokens from password grants
    i=0; tokens=""
    while [ $i -lt "$1" ]; do
        t=$(curl -s -u "bench-client:$CC_ES" -d 'grant_type=password&username=bench&password=benchpass&scope=api' \
            "$(url bench-es256)" | sed 's/.*"refresh_token":"\([^"]*\)".*/\1/')
        tokens="$tokens $t"; i=$((i + 1))
    done
    echo "$tokens"
}

run "client_credentials ES256" cc.lua "$(url bench-es256)" "$CC_ES"
# Introspection of a JWT access token (ES256) and of an opaque one, each by its client
token_of() { # client-id secret -> access token of a client-credentials grant
    curl -s -u "$1:$2" -d 'grant_type=client_credentials&scope=api' "$(url bench-es256)" |
        sed 's/.*"access_token":"\([^"]*\)".*/\1/'
}
JWT=$(token_of bench-client "$CC_ES")
KHA=$(token_of bench-opaque "$OPAQUE")
INTROSPECT=$BASE/realms/bench-es256/protocol/openid-connect/token/introspect
WRK_TOKEN=$JWT run "introspection, JWT access token" introspect.lua "$INTROSPECT" "$CC_ES"
BENCH_CLIENT_ID=bench-opaque WRK_TOKEN=$KHA \
    run "introspection, opaque access token" introspect.lua "$INTROSPECT" "$OPAQUE"
run "client_credentials RS256" cc.lua "$(url bench-rs256)" "$CC_RS"
run "client_credentials EdDSA" cc.lua "$(url bench-eddsa)" "$CC_ED"
WRK_REFRESH_TOKENS=$(mint_refresh_tokens $((CONNS + THREADS + 2))) WRK_THREADS=$THREADS \
    run "refresh_token, rotating" refresh_rotating.lua "$(url bench-es256)" "$CC_ES"
WRK_USERNAME=bench WRK_PASSWORD=benchpass run "password (argon2id)" password.lua "$(url bench-es256)" "$CC_ES"
# client credentials while 16 connections keep password grants in flight
WRK_AUTH=$(auth "$CC_ES") WRK_USERNAME=bench WRK_PASSWORD=benchpass \
    wrk -t1 -c16 -d"$DURATION" -s bench/wrk/password.lua "$(url bench-es256)" >"$DIR/pw-bg.txt" &
BG=$!
sleep 1
run "client_credentials ES256 during password grants" cc.lua "$(url bench-es256)" "$CC_ES"
wait $BG || true
sleep 3 # password grants still queued when wrk stopped finish first
RSS_AFTER=$(rss)

TABLE="| case (wrk -t$THREADS -c$CONNS -d$DURATION) | req/s | p50 | p99 | non-2xx |
|---|---:|---:|---:|---:|
$ROWS
RSS idle: $RSS_IDLE MiB; after load: $RSS_AFTER MiB. $(date -u +%Y-%m-%d), $(nproc) cores, wrk on the same cores."
echo "$TABLE"
mkdir -p bench/results
echo "$TABLE" > bench/results/latest.md
