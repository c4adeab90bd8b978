#!/bin/sh
# banned.sh - functions keyhold never calls (unbounded, non-reentrant or weak).
set -eu
pattern='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atoll|rand|srand|random|sscanf|strncpy|tmpnam|mktemp)[[:space:]]*\('
if grep -rnE "$pattern" src include tests/unit tests/fuzz --include='*.c' --include='*.h'; then
    echo "banned.sh: a banned function is used above (see STYLE.md)" >&2
    exit 1
fi
echo "banned.sh: no banned function used"
