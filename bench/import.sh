#!/bin/sh
# import.sh - user imports: a 100,000-row CSV through POST /v1/imports (curl against the
# release build) and through `keyhold import`; rows/s and the peak RSS (VmHWM) of the
# server, then of a 1,000,000-row import (the limit raised) to show memory stays flat.
# The token comes from a client-credentials grant (no password hash in the server's
# memory, so the peak RSS is the import's). A JSON document of the same users goes
# through the API too.
# Usage: sh bench/import.sh [ROWS] [BIG_ROWS]   (writes bench/results/import.md)
set -eu
ROWS=${1:-100000}
BIG=${2:-1000000}
cd "$(dirname "$0")/.."
make -s build/keyhold >/dev/null
K=$PWD/build/keyhold
W=$(mktemp -d /tmp/kh_import_bench.XXXXXX)
trap 'kill $PID 2>/dev/null || true; rm -rf "$W"' EXIT
export KEYHOLD_MASTER_KEY=$(printf '%064d' 7) KEYHOLD_ADMIN_PASSWORD=bench-admin-pw
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DB=$W/keyhold.db

gen() { # gen N PREFIX > file: a CSV of N users with names, e-mails and a role
    awk -v n="$1" -v p="$2" 'BEGIN { print "email,username,first_name,last_name,roles";
        for (i = 0; i < n; i++) printf "%s%d@example.com,%s%d,First %d,\"Last, %d\",reader\n", p, i, p, i, i, i }'
}
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
rss() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/"$1"/status; }
# The server's VmHWM would show the argon2id hash it computes once at start (19 MiB), so
# the peak of an import is its VmRSS sampled every 50 ms while the import runs.
peak_during() { # peak_during PID CMD...: runs CMD, prints the peak VmRSS of PID meanwhile
    pid=$1; shift
    ( max=0; while kill -0 "$pid" 2>/dev/null; do
          r=$(awk '/VmRSS/ { print $2 }' /proc/"$pid"/status 2>/dev/null || echo 0)
          [ "${r:-0}" -gt "$max" ] && max=$r && echo "$max" >"$W/peak"
          sleep 0.05
      done ) &
    sampler=$!
    "$@"
    kill $sampler 2>/dev/null || true; wait $sampler 2>/dev/null || true
    awk '{ printf "%.1f", $1 / 1024 }' "$W/peak"
}

serve() { # serve MAX_BYTES: start the server, wait for /healthz
    "$K" serve --listen 127.0.0.1:"$PORT" --db "$DB" --max-import-bytes "$1" \
        --purge-interval 0 >"$W/serve.out" 2>"$W/serve.err" &
    PID=$!
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server did not start" >&2; exit 1
}

"$K" realm create bench --db "$DB" >/dev/null 2>&1 || true
serve 67108864
"$K" role create bench reader --permission users:read --db "$DB" >/dev/null
"$K" role create bench importer --permission imports:manage --db "$DB" >/dev/null
"$K" user create bench job --role importer --db "$DB" >/dev/null
"$K" integration create bench --user job --scope imports:manage --db "$DB" --json >"$W/client.json"
CLIENT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' "$W/client.json")
SECRET=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_secret"])' "$W/client.json")
token() {
    curl -sf -u "$CLIENT:$SECRET" -d grant_type=client_credentials \
        "http://127.0.0.1:$PORT/realms/bench/protocol/openid-connect/token" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
post() { # post FILE [TYPE]: the import through the API; prints the record
    curl -sS -H "Authorization: Bearer $(token)" -H "Content-Type: ${2:-text/csv}" \
        --data-binary @"$1" "http://127.0.0.1:$PORT/v1/imports"
}
post_to() { # post_to OUT FILE [TYPE]: post, the record into OUT
    out=$1; shift
    post "$@" >"$out"
}
gen_json() { # gen_json N PREFIX > file: the same users as a JSON document
    awk -v n="$1" -v p="$2" 'BEGIN { printf "{\"users\":[";
        for (i = 0; i < n; i++) printf "%s{\"email\":\"%s%d@example.com\",\"username\":\"%s%d\",\"first_name\":\"First %d\",\"last_name\":\"Last, %d\",\"roles\":[\"reader\"]}", (i ? "," : ""), p, i, p, i, i, i;
        print "]}" }'
}

gen "$ROWS" api >"$W/api.csv"
gen "$ROWS" cli >"$W/cli.csv"
BYTES=$(wc -c <"$W/api.csv")
START_RSS=$(rss $PID)
t0=$(now); API_RSS=$(peak_during $PID post_to "$W/api.json" "$W/api.csv"); t1=$(now)
grep -q "\"created\":$ROWS" "$W/api.json" || { echo "API import failed: $(head -c 300 "$W/api.json")" >&2; exit 1; }
API_RATE=$(rate "$ROWS" "$t0" "$t1"); API_S=$(secs "$t0" "$t1")

gen_json "$ROWS" json >"$W/api.json.in"
JSON_BYTES=$(wc -c <"$W/api.json.in")
t0=$(now); JSON_RSS=$(peak_during $PID post_to "$W/json.json" "$W/api.json.in" application/json); t1=$(now)
grep -q "\"created\":$ROWS" "$W/json.json" || { echo "JSON import failed: $(head -c 300 "$W/json.json")" >&2; exit 1; }
JSON_RATE=$(rate "$ROWS" "$t0" "$t1"); JSON_S=$(secs "$t0" "$t1")

t0=$(now); /usr/bin/time -f '%M' -o "$W/cli.time" "$K" import bench "$W/cli.csv" --db "$DB" >/dev/null 2>"$W/cli.err"; t1=$(now)
CLI_RATE=$(rate "$ROWS" "$t0" "$t1"); CLI_S=$(secs "$t0" "$t1")
CLI_RSS=$(awk '{ printf "%.1f", $1 / 1024 }' "$W/cli.time")

kill $PID; wait $PID 2>/dev/null || true
gen "$BIG" big >"$W/big.csv"
BIG_BYTES=$(wc -c <"$W/big.csv")
serve $((BIG_BYTES + 1))
BIG_START=$(rss $PID)
t0=$(now); BIG_RSS=$(peak_during $PID post_to "$W/big.json" "$W/big.csv"); t1=$(now)
grep -q "\"created\":$BIG" "$W/big.json" || { echo "big import failed: $(head -c 300 "$W/big.json")" >&2; exit 1; }
BIG_RATE=$(rate "$BIG" "$t0" "$t1"); BIG_S=$(secs "$t0" "$t1")

mkdir -p bench/results
{
    echo "# User imports ($(date -u +%Y-%m-%d), $(nproc) cores, release build)"
    echo
    echo "CSV rows of five columns (email, username, first and last name, one role), every row a new user."
    echo "Peak RSS: the server's VmRSS sampled every 50 ms during the import (idle: before it);"
    echo "the CLI's: its maximum resident set (/usr/bin/time)."
    echo
    echo "| import | rows | body | time | rows/s | peak RSS |"
    echo "|---|---|---|---|---|---|"
    echo "| POST /v1/imports (curl) | $ROWS | $((BYTES / 1024)) KiB | ${API_S} s | $API_RATE | $API_RSS MiB (idle $START_RSS MiB) |"
    echo "| POST /v1/imports, JSON (curl) | $ROWS | $((JSON_BYTES / 1024)) KiB | ${JSON_S} s | $JSON_RATE | $JSON_RSS MiB (idle $START_RSS MiB) |"
    echo "| keyhold import (CLI) | $ROWS | $((BYTES / 1024)) KiB | ${CLI_S} s | $CLI_RATE | $CLI_RSS MiB (process) |"
    echo "| POST /v1/imports, limit raised | $BIG | $((BIG_BYTES / 1024 / 1024)) MiB | ${BIG_S} s | $BIG_RATE | $BIG_RSS MiB (idle $BIG_START MiB) |"
} | tee bench/results/import.md
