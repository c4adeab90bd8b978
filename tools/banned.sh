#!/bin/sh
# banned.sh - functions keyhold never calls (unbounded, non-reentrant or weak).
set -eu
# Unbounded copies and formats, unchecked conversions (atoi: no error, UB on overflow),
# weak or seeded randomness (use core/random), non-reentrant libc (strtok, localtime,
# ctime...: keyhold is multi-threaded; use the _r forms), stack growth by a runtime size
# (alloca) and racy temporary names.
pattern='\b(strcpy|stpcpy|strcat|strncat|strncpy|wcscpy|sprintf|vsprintf|gets|getpass|sscanf|strtok|atoi|atol|atoll|atof|rand|srand|rand_r|random|srandom|drand48|erand48|lrand48|mrand48|srand48|tmpnam|tempnam|mktemp|alloca|asctime|ctime|gmtime|localtime)[[:space:]]*\('
dirs=""
for d in src include tests/unit tests/fuzz bench; do
    if [ -d "$d" ]; then dirs="$dirs $d"; fi
done
# shellcheck disable=SC2086
if grep -rnE "$pattern" $dirs --include='*.c' --include='*.h'; then
    echo "banned.sh: a banned function is used above (see STYLE.md)" >&2
    exit 1
fi
echo "banned.sh: no banned function used"
