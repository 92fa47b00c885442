# Helpers shared by tools/pg-local.sh and tools/mariadb-local.sh (sourced, not run).
#
# Both scripts start a throw-away server in a directory of its own, on a free
# loopback port, as an unprivileged system user when run as root. Everything
# they write lives under that directory; nothing touches the system services.
# shellcheck shell=bash

log() { echo "${0##*/}: $*" >&2; }
die() { log "$*"; exit 1; }

# A random password of 32 hex digits: safe in a URL without escaping.
gen_password() {
  od -An -tx1 -N16 /dev/urandom | tr -d ' \n'
}

# True if something already listens on 127.0.0.1:$1 (TCP).
port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# Prints a port that nothing listens on, from 20000-32767: below Linux's
# ephemeral range, so outgoing connections do not take it meanwhile. Two
# instances may still pick the same one; callers retry when the bind fails.
free_port() {
  local port i
  for i in $(seq 1 200); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
    port_in_use "$port" || { echo "$port"; return 0; }
  done
  die "no free port found in 20000-32767 after $i tries"
}

# Absolute path of $1, created if missing.
make_dir() {
  mkdir -p "$1"
  (cd "$1" && pwd -P)
}

# The arguments of every server script, "start DIR" or "stop DIR": sets cmd
# and dir (created, absolute), or dies with the usage line.
start_stop_args() {
  if [ $# -ne 2 ] || { [ "$1" != start ] && [ "$1" != stop ]; }; then
    die "usage: ${0##*/} start DIR | stop DIR"
  fi
  # shellcheck disable=SC2034  # read by the scripts that source this file
  cmd=$1
  dir=$(make_dir "$2")
}

# When root, prints the system user the server runs as ($1, which must exist);
# otherwise the current user.
server_user() {
  if [ "$(id -u)" -ne 0 ]; then
    id -un
    return
  fi
  id "$1" >/dev/null 2>&1 || die "system user '$1' does not exist: run tools/install-deps.sh"
  echo "$1"
}

# Runs "$@" as user $1 (no-op switch when that is already us).
as_user() {
  local user=$1
  shift
  if [ "$(id -un)" = "$user" ]; then
    "$@"
  else
    runuser -u "$user" -- "$@"
  fi
}

# Makes $2 (a directory made by root, e.g. by mktemp -d, mode 700) reachable
# by user $1 and fails clearly if a parent directory still blocks it.
grant_traverse() {
  local user=$1 dir=$2
  [ "$(id -un)" = "$user" ] && return 0
  chmod o+x "$dir"
  as_user "$user" test -x "$dir" ||
    die "user '$user' cannot reach $dir (a parent directory is not searchable): use a directory under /tmp"
}

# A unix socket path must fit in sun_path (108 bytes with the NUL).
check_socket_path() {
  [ "${#1}" -lt 100 ] || die "socket path $1 is too long for a unix socket: use a shorter directory"
}

# True while process $1 exists and is not a zombie (an init that does not reap
# leaves exited servers as zombies, which kill -0 still finds).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ "$state" != Z ]
}

# Stops the process whose pid is in file $1: SIGTERM, then waits up to $2
# seconds, then SIGKILL. Succeeds when there is nothing to stop.
stop_pidfile() {
  local pidfile=$1 wait_s=$2 pid i
  [ -s "$pidfile" ] || return 0
  pid=$(head -n 1 "$pidfile")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 $((wait_s * 10))); do
    alive "$pid" || return 0
    sleep 0.1
  done
  log "pid $pid did not stop in ${wait_s}s after $i checks; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}
