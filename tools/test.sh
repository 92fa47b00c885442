#!/usr/bin/env bash
# The test command (README, .ci/run): install dependencies, build into build/,
# start a throw-away PostgreSQL and MariaDB on free loopback ports, run ctest
# against them, stop them and remove their directories. Exits with ctest's code.
#
#   tools/test.sh                 everything
#   tools/test.sh -R roundtrip    extra arguments go to ctest
#
# Env: DBSNAP_BUILD_DIR (default build), DBSNAP_WERROR (ON/OFF, default OFF),
#      DBSNAP_TEST_JOBS (ctest -j, default 2), DBSNAP_SKIP_DEPS=1 to skip apt.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${DBSNAP_BUILD_DIR:-build}

[ "${DBSNAP_SKIP_DEPS:-0}" = 1 ] || tools/install-deps.sh

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDBSNAP_WERROR="${DBSNAP_WERROR:-OFF}"
cmake --build "$build" --parallel "$(nproc)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbsnap-test.XXXXXX")
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  tools/pg-local.sh stop "$tmp/pg" || true
  tools/mariadb-local.sh stop "$tmp/my" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod o+x "$tmp"  # as root the servers run as users postgres and mysql

pg_env=$(tools/pg-local.sh start "$tmp/pg")
my_env=$(tools/mariadb-local.sh start "$tmp/my")
eval "$pg_env"
eval "$my_env"
export DBSNAP_TEST_PG_URL DBSNAP_TEST_MY_URL
# Scratch files of tests go under $tmp too, so a crashed test leaves nothing behind.
mkdir -p "$tmp/scratch"
export TMPDIR=$tmp/scratch

rc=0
ctest --test-dir "$build" --output-on-failure -j "${DBSNAP_TEST_JOBS:-2}" "$@" || rc=$?
exit "$rc"
