#!/usr/bin/env bash
# The test command (README, .ci/run): install dependencies, build into build/,
# start a throw-away PostgreSQL, MariaDB and S3 endpoint (tools/*-local.sh) on
# free loopback ports, run ctest against them, stop them and remove their
# directories. Exits with ctest's code, or 1 if a test was skipped or did not
# run: a green run ran every test, except (outside CI) the tests of data sets
# that are missing, which the summary counts and names.
#
#   tools/test.sh                 everything
#   tools/test.sh -R roundtrip    extra arguments go to ctest
#
# Env: DBSNAP_BUILD_DIR (default build), DBSNAP_WERROR (ON/OFF, default OFF),
#      DBSNAP_TEST_JOBS (ctest -j, default 2), DBSNAP_SKIP_DEPS=1 to skip apt,
#      DBSNAP_SKIP_BUILD=1 to test the build as it is,
#      DBSNAP_DATASETS the folder of the sample data sets (pagila/, sakila/,
#      pg-regress/; default ../shared/datasets beside the project); their tests
#      skip without them,
#      DBSNAP_CI=1 (.ci/run): the data sets are required (checked first) and
#      no test may skip.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${DBSNAP_BUILD_DIR:-build}

# The one place that decides where the data sets are; the tests read it.
export DBSNAP_DATASETS=${DBSNAP_DATASETS:-$(dirname "$root")/shared/datasets}
datasets=(pagila sakila pg-regress)
ci=${DBSNAP_CI:-0}
missing=()
for d in "${datasets[@]}"; do
  [ -d "$DBSNAP_DATASETS/$d" ] || missing+=("$d/")
done
if [ "$ci" = 1 ] && [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: CI needs the data sets: DBSNAP_DATASETS=$DBSNAP_DATASETS has no ${missing[*]}" >&2
  exit 1
fi

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
junit=$tmp/ctest.xml
ctest --test-dir "$build" --output-on-failure --no-tests=error --output-junit "$junit" \
  -j "${DBSNAP_TEST_JOBS:-2}" "$@" || rc=$?

# ctest counts a skipped test (and one that did not run) as not failed: sort
# them out of its JUnit report, "<status> <1 if a data-set skip> <name>" (a
# parameterised test's name has spaces: "X/pagila_jobs1  # GetParam() = ...").
if [ ! -s "$junit" ]; then
  echo "test.sh: ctest wrote no report ($junit)" >&2
  exit $((rc == 0 ? 1 : rc))
fi
not_run=$(awk '
  /<testcase / {
    name = $0; sub(/.*<testcase name="/, "", name); sub(/".*/, "", name); sub(/  # GetParam.*/, "", name)
    status = $0; sub(/.*status="/, "", status); sub(/".*/, "", status)
    data_set = 0
  }
  /needs data set / { data_set = 1 }
  /<\/testcase>/ && status != "run" && status != "fail" { print status, data_set, name }
' "$junit")
data_set_skips=()
others=()
while read -r status data_set name; do
  [ -n "$name" ] || continue
  if [ "$status" = notrun ] && [ "$data_set" = 1 ] && [ "$ci" != 1 ] && [ ${#missing[@]} -gt 0 ]; then
    data_set_skips+=("$name")
  else
    others+=("$name ($status)")
  fi
done <<<"$not_run"

path=$(grep -o 'write path of FileWriteMode::automatic: [a-z_]*' "$junit" | head -n 1 || true)
[ -z "$path" ] || echo "test.sh: local volume ${path#write path of FileWriteMode::automatic: } (write path of FileWriteMode::automatic)"
if [ ${#data_set_skips[@]} -gt 0 ]; then
  echo "test.sh: ${#data_set_skips[@]} tests skipped: they need the data sets ${missing[*]} that DBSNAP_DATASETS=$DBSNAP_DATASETS lacks; set DBSNAP_DATASETS to a folder holding pagila/, sakila/, pg-regress/ to run them:"
  printf '  %s\n' "${data_set_skips[@]}"
fi
if [ ${#others[@]} -gt 0 ]; then
  echo "test.sh: FAILED: ${#others[@]} tests were skipped or did not run (a skip is not a pass; see their output in $build/Testing/Temporary/LastTest.log):" >&2
  printf '  %s\n' "${others[@]}" >&2
  [ "$rc" != 0 ] || rc=1
fi
exit "$rc"
