#!/usr/bin/env bash
# Installs what building and testing vpc needs, when it is missing, from
# Debian's packages: re2c, lemon, cmocka, a C compiler, make, python3 (the
# tests' checkers), file and procps (the tests' process tools).
set -eu
missing=()
need() {  # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || missing+=("$2")
}
need re2c re2c
need lemon lemon
need cc gcc
need make make
need python3 python3
need file file
need pgrep procps
need shuf coreutils
[ -f /usr/include/cmocka.h ] || missing+=(libcmocka-dev)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
