#!/bin/sh
# fuzz.sh [SECONDS] [TARGET...] - runs each libFuzzer target (tests/fuzz/fuzz_*.c) for
# SECONDS (default 60) with clang, ASan and UBSan, seeded from tests/fuzz/corpus/NAME/
# (kept small, replayed by `make check`); what it discovers goes to build/fuzz/corpus/NAME/.
# Crashes land in tests/fuzz/findings/NAME/ (git-ignored): fix the bug, then copy the
# input into tests/fuzz/corpus/NAME/ so `make check` replays it forever.
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
[ $# -gt 0 ] && shift
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 1; }
make -s build/gen/sqlite_migrations.c
FLAGS="-std=c11 -D_GNU_SOURCE -Isrc -Iinclude -Ibuild/gen -pthread -g -O1 -fno-omit-frame-pointer"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
OBJ=build/fuzz/obj
mkdir -p "$OBJ"
# An object is rebuilt when its .c is newer; a changed header (a struct grown by a field)
# changes every object, so any header newer than the last build rebuilds them all.
# (Stale objects of an older layout made fuzz_router abort on its first input.)
STAMP=$OBJ/.headers
if [ ! -f "$STAMP" ] || [ -n "$(find src include build/gen -name '*.h' -newer "$STAMP" | head -1)" ]; then
    rm -f "$OBJ"/*.o
    touch "$STAMP"
fi
objs=""
for src in $(find src -name '*.c' ! -path 'src/main.c' ! -path 'src/cli/*' | sort) build/gen/sqlite_migrations.c; do
    o="$OBJ/$(echo "$src" | tr / _).o"
    if [ ! -f "$o" ] || [ "$src" -nt "$o" ]; then
        clang $FLAGS $SAN -fsanitize=fuzzer-no-link -c "$src" -o "$o"
    fi
    objs="$objs $o"
done
LIBS="-lmicrohttpd -lgnutls -lssl -lcrypto -ljansson -lsodium -lsqlite3 -lcsv -lcrypt"
targets=${*:-$(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/fuzz_||; s|\.c$||')}
for name in $targets; do
    bin=build/fuzz/fuzz_$name
    # shellcheck disable=SC2086
    clang $FLAGS $SAN -fsanitize=fuzzer "tests/fuzz/fuzz_$name.c" $objs $LIBS -o "$bin"
    mkdir -p "build/fuzz/corpus/$name" "tests/fuzz/findings/$name"
    dict=""
    [ -f "tests/fuzz/dict/$name.dict" ] && dict="-dict=tests/fuzz/dict/$name.dict"
    echo "== fuzz_$name for ${SECONDS_EACH}s"
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 $dict \
        -artifact_prefix="tests/fuzz/findings/$name/" "build/fuzz/corpus/$name" \
        "tests/fuzz/corpus/$name" 2>&1 |
        grep -E '^(stat::number_of_executed_units|stat::peak_rss|==|SUMMARY|Done)' || true
done
