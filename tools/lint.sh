#!/bin/sh
# lint.sh - the static checks of `make check`: banned functions (tools/banned.sh),
# cppcheck and clang-tidy (.clang-tidy: its checks and why some are off) over src/.
# A finding fails the run. Suppress a false positive only on its line, with the reason
# (/* NOLINT(check): why */ or /* cppcheck-suppress id */ above the line).
set -eu
cd "$(dirname "$0")/.."
JOBS=${LINT_JOBS:-2}
sh tools/banned.sh
for tool in cppcheck clang-tidy; do
    command -v "$tool" >/dev/null || { echo "lint.sh: $tool is needed (make deps-test)" >&2; exit 1; }
done
make -s build/gen/sqlite_migrations.c
CFLAGS="-std=c11 -D_GNU_SOURCE -Isrc -Iinclude -Ibuild/gen -I/usr/include/postgresql -pthread"

# cppcheck: warnings, portability and performance (style is clang-tidy's and STYLE.md's).
cppcheck --quiet --std=c11 -D_GNU_SOURCE -Isrc -Ibuild/gen -j "$JOBS" --inline-suppr \
    --enable=warning,portability,performance --error-exitcode=1 src
echo "lint.sh: cppcheck clean"

# clang-tidy: one process per file, JOBS at a time; output only for findings.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2086
if ! find src -name '*.c' | sort |
    xargs -P "$JOBS" -I{} sh -c 'clang-tidy --quiet "$1" -- '"$CFLAGS"' 2>/dev/null' _ {} >"$out"; then
    grep -E '(error|warning):' "$out" | sort -u >&2 || cat "$out" >&2
    echo "lint.sh: clang-tidy found the problems above" >&2
    exit 1
fi
echo "lint.sh: clang-tidy clean"
