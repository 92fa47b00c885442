#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) into
# build-fuzz and runs each for a bounded time on a copy of its seed corpus
# (tests/fuzz/corpus/<target>, plus the saved findings of
# tests/fuzz/regressions/<target>). Fails if any target crashes, leaks, times out
# or breaks an invariant; the input that did is left in build-fuzz/findings/.
#
#   tools/fuzz.sh              every target, 30 s each
#   tools/fuzz.sh 120          every target, 120 s each
#   tools/fuzz.sh 10 url gunzip  only these targets
#   DBSNAP_SKIP_TESTS=1 tools/fuzz.sh   build only
#
# Env: DBSNAP_FUZZ_BUILD_DIR (default build-fuzz), DBSNAP_FUZZ_JOBS (targets
#      run at once, default 1), CXX (default clang++-14, else clang++).
#      Needs clang and libclang-rt-14-dev (tools/install-deps.sh --fuzz).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-30}
shift || true
build=${DBSNAP_FUZZ_BUILD_DIR:-build-fuzz}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/*_fuzz.cc; do
    n=${f##*/}
    targets+=("${n%_fuzz.cc}")
  done
fi

cxx=${CXX:-}
if [ -z "$cxx" ]; then
  if command -v clang++-14 >/dev/null; then cxx=clang++-14; else cxx=clang++; fi
fi
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DDBSNAP_FUZZ=ON "${launcher[@]}" >/dev/null
cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]/%/_fuzz}"
[ "${DBSNAP_SKIP_TESTS:-0}" != 1 ] || exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
findings=$build/findings
mkdir -p "$findings"

run() {  # target: runs it, prints its final stats line, returns its exit code
  local t=$1 corpus=$build/corpus/$1 log=$build/fuzz-$1.log rc=0
  rm -rf "$corpus"
  mkdir -p "$corpus" "$findings/$t"
  cp tests/fuzz/corpus/"$t"/* "$corpus"/
  if [ -d tests/fuzz/regressions/"$t" ]; then cp tests/fuzz/regressions/"$t"/* "$corpus"/; fi
  "$build/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$findings/$t/" "$corpus" \
    >"$log" 2>&1 || rc=$?
  local done_line
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  if [ "$rc" -eq 0 ]; then
    printf 'fuzz.sh: %-15s ok     %s\n' "$t" "${done_line:-(no DONE line)}"
  else
    printf 'fuzz.sh: %-15s FAILED (exit %d), input in %s/%s, log %s\n' "$t" "$rc" "$findings" "$t" "$log"
    grep -E 'ERROR|runtime error|invariant|SUMMARY' "$log" | head -5 | sed 's/^/    /'
  fi
  return "$rc"
}

failed=()
jobs=${DBSNAP_FUZZ_JOBS:-1}
if [ "$jobs" -le 1 ]; then
  for t in "${targets[@]}"; do run "$t" || failed+=("$t"); done
else
  declare -A pids
  for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    run "$t" &
    pids[$t]=$!
  done
  for t in "${targets[@]}"; do wait "${pids[$t]}" || failed+=("$t"); done
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} target(s) ran ${seconds} s each without a finding" >&2
