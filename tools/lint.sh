#!/usr/bin/env bash
# The habits CI keeps: every tracked C++ file is clang-formatted (.clang-format),
# and every source file of the project (not tests/, whose gtest macros the
# checks misread) is clean under the checks of .clang-tidy.
#
#   tools/lint.sh                    both, clang-tidy on every source file
#   tools/lint.sh --format           clang-format only (seconds)
#   tools/lint.sh FILE...            both, clang-tidy on these files only
#   tools/lint.sh --tidy-since REV   both, clang-tidy on the files a change
#                                    since commit REV can affect (CI)
#
# clang-tidy on every source file takes ~30 CPU minutes, too long for CI.
# --tidy-since checks the source files changed since REV, and those that
# include (directly or through other headers) a header changed since REV: if
# the tree was clean at REV, a clean run says it still is (unless the compile
# flags or clang-tidy itself changed). Everything when .clang-tidy changed, or
# when REV is not a commit of this clone. CI passes the commit in .ci/tidy-base.
#
# clang-tidy reads the compile commands of build-tidy (DBSNAP_TIDY_BUILD_DIR),
# which this script configures and never builds, with the CLI's sources one by
# one (DBSNAP_UNITY=OFF: a unity build lists no command per source file).
# Needs clang-format and clang-tidy (tools/install-deps.sh --lint) and the
# build's dependencies (tools/install-deps.sh). Exits 1 naming every file that
# fails.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${DBSNAP_TIDY_BUILD_DIR:-build-tidy}
format_only=0
since=
files=()
while [ $# -gt 0 ]; do
  case $1 in
    --format) format_only=1 ;;
    --tidy-since)
      [ $# -ge 2 ] || { echo "lint.sh: --tidy-since needs a commit" >&2; exit 2; }
      since=$2
      shift
      ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) files+=("$1") ;;
  esac
  shift
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

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDBSNAP_UNITY=OFF >/dev/null
sources() { git ls-files '*.cc' | grep -v '^tests/'; }
# The tracked files matching $1 ('*.h', '*.cc') that #include a header named on stdin.
includers() {
  local patterns=() h
  while read -r h; do patterns+=(-e "#include \"$h\""); done
  [ ${#patterns[@]} -eq 0 ] || git grep -lF "${patterns[@]}" -- "$1" || true
}
# The .cc files a change since commit $1 can affect (see the top).
affected() {
  local changed new
  changed=$(git diff --name-only "$1" --)
  if grep -qx '.clang-tidy' <<<"$changed"; then
    sources
    return
  fi
  # A header that includes a changed header is changed too, to a fixed point.
  new=$(grep '[.]h$' <<<"$changed" || true)
  while [ -n "$new" ]; do
    new=$(includers '*.h' <<<"$new" | grep -vxF "$changed" || true)
    [ -z "$new" ] || changed+=$'\n'$new
  done
  grep '[.]cc$' <<<"$changed" || true
  grep '[.]h$' <<<"$changed" | includers '*.cc' || true
}
if [ ${#files[@]} -eq 0 ] && [ -n "$since" ]; then
  if git rev-parse -q --verify "$since^{commit}" >/dev/null; then
    mapfile -t files < <(comm -12 <(affected "$since" | sort -u) <(sources | sort))
    echo "lint.sh: clang-tidy on ${#files[@]} source files affected by changes since ${since:0:12}" >&2
    [ ${#files[@]} -gt 0 ] || exit "$failed"
  else
    echo "lint.sh: $since is no commit of this clone: clang-tidy on every source file" >&2
  fi
fi
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(sources)
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
