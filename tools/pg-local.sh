#!/usr/bin/env bash
# A throw-away PostgreSQL server for tests and benchmarks, living in one directory.
#
#   tools/pg-local.sh start DIR   initialise DIR (if new), start postgres on a free
#                                 127.0.0.1 port, print the export line below
#   tools/pg-local.sh stop DIR    stop it (DIR stays; remove it yourself)
#
# On start, stdout is exactly one line, also written to DIR/env:
#   export DBSNAP_TEST_PG_URL=postgres://dbsnap:PASSWORD@127.0.0.1:PORT/postgres
# so `eval "$(tools/pg-local.sh start /tmp/pg)"` sets it. dbsnap is the superuser
# (scram-sha-256 on TCP and on the unix socket in DIR/run). Durability is traded
# for speed (fsync=off, full_page_writes=off): never keep data here. Instances in
# different DIRs run side by side. initdb refuses root, so as root the server runs
# as user postgres. PG_BINDIR overrides /usr/lib/postgresql/<newest>/bin.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=local-common.sh
. "$here/local-common.sh"

start_stop_args "$@"
user=$(server_user postgres)

if [ -z "${PG_BINDIR:-}" ]; then
  PG_BINDIR=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -x "${PG_BINDIR:-}/pg_ctl" ] || die "no PostgreSQL server binaries (pg_ctl) found: run tools/install-deps.sh"
pg_ctl=$PG_BINDIR/pg_ctl

if [ "$cmd" = stop ]; then
  if [ -s "$dir/data/postmaster.pid" ]; then
    owner=$(stat -c %U "$dir/data")
    as_user "$owner" "$pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ||
      stop_pidfile "$dir/data/postmaster.pid" 30
  fi
  rm -f "$dir/env"
  exit 0
fi

if [ -s "$dir/data/postmaster.pid" ] && alive "$(head -n 1 "$dir/data/postmaster.pid")"; then
  die "a server already runs in $dir: ${0##*/} stop $dir"
fi
check_socket_path "$dir/run/.s.PGSQL.65535"
grant_traverse "$user" "$dir"
mkdir -p "$dir/run"
chown "$user" "$dir/run"

if [ ! -f "$dir/data/PG_VERSION" ]; then
  log "initialising $dir/data"
  rm -rf "$dir/data"
  mkdir -m 700 "$dir/data"
  chown "$user" "$dir/data"
  gen_password >"$dir/password"
  chmod 600 "$dir/password"
  chown "$user" "$dir/password"
  as_user "$user" "$PG_BINDIR/initdb" -D "$dir/data" -U dbsnap --pwfile="$dir/password" \
    --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { tail -n 20 "$dir/initdb.log" >&2; die "initdb failed (log: $dir/initdb.log)"; }
  cat >>"$dir/data/postgresql.conf" <<EOF

# tools/pg-local.sh: a throw-away test server, fast and not crash-safe
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/run'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
max_wal_size = 4GB
checkpoint_timeout = 30min
max_connections = 200
max_locks_per_transaction = 256
dynamic_shared_memory_type = mmap
logging_collector = off
EOF
fi
password=$(cat "$dir/password")

started=
for attempt in 1 2 3 4 5; do
  port=$(free_port)
  : >"$dir/server.log"
  chown "$user" "$dir/server.log"
  if as_user "$user" "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-p $port" start >/dev/null 2>&1; then
    started=1
    break
  fi
  if grep -qi 'address already in use' "$dir/server.log"; then
    log "port $port was taken meanwhile (attempt $attempt); trying another"
    continue
  fi
  tail -n 20 "$dir/server.log" >&2
  die "postgres did not start (log: $dir/server.log)"
done
[ -n "$started" ] || die "postgres could not bind a free port after 5 attempts"

# Dumps from stock installations (pagila's among them) give objects to role
# postgres: let it exist, as on such a server, without a login.
PGPASSWORD=$password "$PG_BINDIR/psql" -X -q -h "$dir/run" -p "$port" -U dbsnap -d postgres -v ON_ERROR_STOP=1 -c \
  "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgres') THEN
     CREATE ROLE postgres SUPERUSER NOLOGIN; END IF; END\$\$" >/dev/null ||
  die "unable to create role postgres"

umask 077
echo "export DBSNAP_TEST_PG_URL=postgres://dbsnap:$password@127.0.0.1:$port/postgres" >"$dir/env"
log "postgres pid $(head -n 1 "$dir/data/postmaster.pid") listening on 127.0.0.1:$port (socket dir $dir/run, log $dir/server.log)"
cat "$dir/env"
