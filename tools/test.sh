#!/usr/bin/env bash
# The test command (README, .ci/run): install dependencies, build into build/,
# start a throw-away PostgreSQL, MariaDB and S3 endpoint (tools/*-local.sh) on
# free loopback ports, run ctest against them, stop them and remove their
# directories. Exits with ctest's code.
#
#   tools/test.sh                 everything
#   tools/test.sh -R roundtrip    extra arguments go to ctest
#
# Env: DBSNAP_BUILD_DIR (default build), DBSNAP_WERROR (ON/OFF, default OFF),
#      DBSNAP_TEST_JOBS (ctest -j, default 2), DBSNAP_SKIP_DEPS=1 to skip apt,
#      DBSNAP_SKIP_BUILD=1 to test the build as it is.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${DBSNAP_BUILD_DIR:-build}

[ "${DBSNAP_SKIP_DEPS:-0}" = 1 ] || tools/install-deps.sh

if [ "${DBSNAP_SKIP_BUILD:-0}" != 1 ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDBSNAP_WERROR="${DBSNAP_WERROR:-OFF}"
  cmake --build "$build" --parallel "$(nproc)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbsnap-test.XXXXXX")
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  [ -d "$tmp/s3" ] && { tools/s3-local.sh stop "$tmp/s3" || true; }
  tools/pg-local.sh stop "$tmp/pg" || true
  tools/mariadb-local.sh stop "$tmp/my" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod o+x "$tmp"  # as root the servers run as users postgres and mysql

# The S3 endpoint takes longest to come up: start it first, in the background.
s3_pid=
if [ -x tools/s3-local.sh ]; then
  tools/s3-local.sh start "$tmp/s3" >"$tmp/s3.env" &
  s3_pid=$!
fi
pg_env=$(tools/pg-local.sh start "$tmp/pg")
my_env=$(tools/mariadb-local.sh start "$tmp/my")
eval "$pg_env"
eval "$my_env"
export DBSNAP_TEST_PG_URL DBSNAP_TEST_MY_URL
if [ -n "$s3_pid" ]; then
  wait "$s3_pid" || { echo "test.sh: tools/s3-local.sh failed to start" >&2; exit 1; }
  eval "$(cat "$tmp/s3.env")"
fi
# Scratch files of tests go under $tmp too, so a crashed test leaves nothing behind.
mkdir -p "$tmp/scratch"
export TMPDIR=$tmp/scratch

rc=0
ctest --test-dir "$build" --output-on-failure -j "${DBSNAP_TEST_JOBS:-2}" "$@" || rc=$?
exit "$rc"
