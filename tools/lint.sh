#!/usr/bin/env bash
# The habits CI keeps: every tracked C++ file is clang-formatted (.clang-format),
# and every source file of the project (not tests/, whose gtest macros the
# checks misread) is clean under the checks of .clang-tidy.
#
#   tools/lint.sh                 both, clang-tidy on every source file
#   tools/lint.sh --format        clang-format only (seconds)
#   tools/lint.sh FILE...         both, clang-tidy on these files only
#
# clang-tidy reads the compile commands of a configured build:
# DBSNAP_BUILD_DIR (default build). Needs clang-format and clang-tidy
# (tools/install-deps.sh --lint). Exits 1 naming every file that fails.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${DBSNAP_BUILD_DIR:-build}
format_only=0
files=()
for arg in "$@"; do
  case $arg in
    --format) format_only=1 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) files+=("$arg") ;;
  esac
done
pick() { command -v "$1-14" >/dev/null && echo "$1-14" || echo "$1"; }
clang_format=$(pick clang-format)
clang_tidy=$(pick clang-tidy)

failed=0
unformatted=$(git ls-files '*.cc' '*.h' | xargs "$clang_format" --dry-run 2>&1 | grep -o '^[^:]*:[0-9]*:[0-9]*: warning' | cut -d: -f1 | sort -u || true)
if [ -n "$unformatted" ]; then
  echo "lint.sh: not clang-formatted (run $clang_format -i on them):" >&2
  printf '  %s\n' $unformatted >&2
  failed=1
fi
[ "$format_only" = 1 ] && exit "$failed"

[ -f "$build/compile_commands.json" ] || {
  echo "lint.sh: no $build/compile_commands.json: configure a build first (cmake -S . -B $build)" >&2
  exit 1
}
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(git ls-files '*.cc' | grep -v '^tests/')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# One file per clang-tidy process, as many at once as there are cores.
if ! printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 1 "$clang_tidy" -p "$build" --quiet --warnings-as-errors='*' >"$log" 2>&1; then
  grep -E '(warning|error):' "$log" | sort -u >&2
  echo "lint.sh: clang-tidy found problems in the files above" >&2
  failed=1
fi
[ "$failed" = 0 ] && echo "lint.sh: ${#files[@]} files clean under clang-tidy, every file clang-formatted" >&2
exit "$failed"
