#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer: builds
# build-asan with clang (-DDBSNAP_SANITIZE=ON, assertions on: -O1 -g1 without
# -DNDEBUG; no benchmarks) and runs it through tools/test.sh, which starts the
# throw-away servers.
# Clang, not GCC 12: GCC makes each UBSan check's source record an ASan
# global of its own, so its dbsnap binary held ~150 MB of them, which every
# process start relocated and registered (1.2 s per dbsnap run, which the CLI
# tests start hundreds of times); clang's starts in 0.2 s and its build takes
# about two thirds of the CPU time.
# Any sanitizer report is fatal (halt_on_error) and fails the test it ran in.
#
#   tools/sanitize.sh                 the whole suite
#   tools/sanitize.sh -R splitter     extra arguments go to ctest (via tools/test.sh)
#   DBSNAP_SKIP_TESTS=1 tools/sanitize.sh   build only (.ci/run builds it beside the release suite)
#
# Env: DBSNAP_ASAN_BUILD_DIR (default build-asan), DBSNAP_SKIP_DEPS=1 to skip
#      apt, DBSNAP_SKIP_BUILD=1 to test the build as it is, DBSNAP_TEST_JOBS
#      (ctest -j, default 2), DBSNAP_WERROR (ON/OFF, default OFF), CXX
#      (default clang++-14, else clang++; tools/install-deps.sh --fuzz).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${DBSNAP_ASAN_BUILD_DIR:-build-asan}

[ "${DBSNAP_SKIP_DEPS:-0}" = 1 ] || tools/install-deps.sh --fuzz
cxx=${CXX:-}
if [ -z "$cxx" ]; then
  if command -v clang++-14 >/dev/null; then cxx=clang++-14; else cxx=clang++; fi
fi

launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
start=$(date +%s)
if [ "${DBSNAP_SKIP_BUILD:-0}" != 1 ]; then
  # RelWithDebInfo's flags without -DNDEBUG, so assert() stays on; -O1 keeps
  # ASan's stacks readable and the suite fast enough; line tables (-g1) are
  # all its reports need.
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -UNDEBUG" \
    -DDBSNAP_SANITIZE=ON -DDBSNAP_BENCH=OFF -DDBSNAP_WERROR="${DBSNAP_WERROR:-OFF}" "${launcher[@]}"
  cmake --build "$build" --parallel "$(nproc)"
fi
built=$(date +%s)
if [ "${DBSNAP_SKIP_TESTS:-0}" = 1 ]; then
  echo "sanitize.sh: build $((built - start)) s" >&2
  exit 0
fi

# detect_leaks: libpq/libmariadb keep process-lifetime allocations that are
# not ours; leaks are still reported for the unit tests that use neither.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

rc=0
DBSNAP_SKIP_DEPS=1 DBSNAP_SKIP_BUILD=1 DBSNAP_BUILD_DIR=$build tools/test.sh "$@" || rc=$?
end=$(date +%s)
echo "sanitize.sh: build $((built - start)) s, tests $((end - built)) s, exit $rc" >&2
exit "$rc"
