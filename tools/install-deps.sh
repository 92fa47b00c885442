#!/usr/bin/env bash
# Installs, from Debian 12 packages, everything dbsnap's build, tests and demo need.
#
#   tools/install-deps.sh            build + test dependencies: PostgreSQL, MariaDB and
#                                    Ceph RGW (the S3 endpoint of tools/s3-local.sh)
#   tools/install-deps.sh --bench    also what bench/compare uses (mydumper, sysbench, time,
#                                    pgcopydb)
#   tools/install-deps.sh --fuzz     also clang and its libFuzzer runtime (tools/fuzz.sh)
#   tools/install-deps.sh --lint     also clang-format and clang-tidy (tools/lint.sh)
#
# Idempotent: asks apt only for what dpkg says is missing, and runs
# `apt-get update` only then. Needs root (or sudo) when something is missing.
# The postgresql and mariadb-server packages are installed without starting
# their system services: tests start their own servers (tools/pg-local.sh,
# tools/mariadb-local.sh) on free ports, and the default ports stay free.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libpq-dev libmariadb-dev libdeflate-dev libzstd-dev liburing-dev libboost1.81-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  libtomlplusplus-dev libhowardhinnant-date-dev tzdata libxxhash-dev libsqlite3-dev
  postgresql postgresql-contrib mariadb-server mariadb-client
  gzip zstd iproute2 procps util-linux age
  perl libschedule-cron-events-perl
  radosgw ceph-mon ceph-osd curl
  chromium prometheus python3-yaml systemd
)
for arg in "$@"; do
  case $arg in
    --bench) packages+=(mydumper sysbench time pgcopydb) ;;
    --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
    --lint) packages+=(clang-format-14 clang-tidy-14) ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all ${#packages[@]} packages are installed" >&2
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps.sh: missing ${missing[*]}; run as root" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps.sh: installing ${missing[*]}" >&2

# Keep package scripts from starting services: invoke-rc.d asks policy-rc.d,
# and 101 means "action not allowed". Only a policy we create is removed.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# temporary, from dbsnap tools/install-deps.sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

# Where services run anyway (e.g. an init that ignores policy-rc.d), stop the
# ones this run installed so nothing listens on 5432/3306 on our behalf.
for p in "${missing[@]}"; do
  case $p in
    postgresql) svc=postgresql ;;
    mariadb-server) svc=mariadb ;;
    *) continue ;;
  esac
  if command -v service >/dev/null 2>&1; then
    "${sudo[@]}" service "$svc" stop >/dev/null 2>&1 || true
  fi
done
echo "install-deps.sh: done" >&2
