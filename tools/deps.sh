#!/bin/sh
# deps.sh build|test|bench - installs the Debian packages keyhold needs.
# As root it runs apt-get for what is missing; otherwise it names the packages.
set -eu
BUILD="gcc make libc6-dev libmicrohttpd-dev libgnutls28-dev libssl-dev libjansson-dev libsodium-dev libsqlite3-dev libpq-dev libcsv-dev libcrypt-dev"
TEST="libcmocka-dev python3 python3-pytest python3-requests python3-authlib python3-jwt python3-cryptography cppcheck clang-tidy postgresql nginx"
BENCH="wrk"
case "${1:-build}" in
    build) want="$BUILD" ;;
    test) want="$BUILD $TEST" ;;
    bench) want="$BUILD $BENCH" ;;
    *) echo "usage: tools/deps.sh build|test|bench" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node and npm only for the interoperability tests; any install of them will do.
if [ "${1:-build}" = test ] && ! { command -v node >/dev/null && command -v npm >/dev/null; }; then
    missing="$missing nodejs npm"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "keyhold needs these Debian packages: $missing" >&2
    echo "install them with: sudo apt-get install$missing" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
