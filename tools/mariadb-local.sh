#!/usr/bin/env bash
# A throw-away MariaDB server for tests and benchmarks, living in one directory.
#
#   tools/mariadb-local.sh start DIR   initialise DIR (if new), start mariadbd on a free
#                                      127.0.0.1 port, print the export line below
#   tools/mariadb-local.sh stop DIR    stop it (DIR stays; remove it yourself)
#
# On start, stdout is exactly one line, also written to DIR/env:
#   export DBSNAP_TEST_MY_URL=mysql://dbsnap:PASSWORD@127.0.0.1:PORT/
# so `eval "$(tools/mariadb-local.sh start /tmp/my)"` sets it. User dbsnap@'%' has
# ALL PRIVILEGES WITH GRANT OPTION. DIR/client.cnf holds the same credentials for
# `mariadb --defaults-file=DIR/client.cnf`. Binary logging is on (server-id 1) so
# backups can record binlog positions. Durability is traded for speed
# (innodb_flush_log_at_trx_commit=0, sync_binlog=0): never keep data here.
# Instances in different DIRs run side by side. As root, mariadbd runs as user mysql.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=local-common.sh
. "$here/local-common.sh"

start_stop_args "$@"
user=$(server_user mysql)
pidfile=$dir/run/mariadbd.pid
socket=$dir/run/mariadbd.sock

if [ "$cmd" = stop ]; then
  stop_pidfile "$pidfile" 60
  rm -f "$dir/env"
  exit 0
fi

for b in mariadbd mariadb-install-db mariadb mariadb-admin; do
  command -v "$b" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
  command -v "$b" >/dev/null 2>&1 || die "missing $b: run tools/install-deps.sh"
done
if [ -s "$pidfile" ] && alive "$(head -n 1 "$pidfile")"; then
  die "a server already runs in $dir (pid $(head -n 1 "$pidfile")): ${0##*/} stop $dir"
fi
check_socket_path "$socket"
grant_traverse "$user" "$dir"
mkdir -p "$dir/run" "$dir/tmp"
chown "$user" "$dir/run" "$dir/tmp"

# Ask the server as its administrator: over the socket with unix_socket auth
# (root, or the account that installed the data directory).
admin() {
  local admin_user=root
  [ "$(id -u)" -eq 0 ] || admin_user=$user
  mariadb --no-defaults --protocol=socket --socket="$socket" -u "$admin_user" "$@"
}

if [ ! -d "$dir/data/mysql" ]; then
  log "initialising $dir/data"
  mkdir -p "$dir/data"
  chown "$user" "$dir/data"
  mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" \
    --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 ||
    { tail -n 20 "$dir/install.log" >&2; die "mariadb-install-db failed (log: $dir/install.log)"; }
  rm -f "$dir/password"
fi
[ -s "$dir/password" ] || { gen_password >"$dir/password"; chmod 600 "$dir/password"; }
password=$(cat "$dir/password")

started=
for attempt in 1 2 3 4 5; do
  port=$(free_port)
  rm -f "$socket" "$pidfile"
  : >"$dir/error.log"
  chown "$user" "$dir/error.log"
  setsid mariadbd --no-defaults --user="$user" --datadir="$dir/data" \
    --port="$port" --bind-address=127.0.0.1 --socket="$socket" --pid-file="$pidfile" \
    --tmpdir="$dir/tmp" --log-error="$dir/error.log" \
    --log-bin=mariadb-bin --server-id=1 --binlog-format=ROW --sync-binlog=0 \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --innodb-buffer-pool-size=256M \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --max-allowed-packet=256M --max-connections=300 --skip-name-resolve \
    </dev/null >>"$dir/error.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    alive "$pid" || break
    if [ -S "$socket" ] && admin -e 'SELECT 1' >/dev/null 2>&1; then
      started=1
      break
    fi
    sleep 0.1
  done
  [ -n "$started" ] && break
  alive "$pid" && { kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  if grep -qiE 'address already in use|bind on tcp/ip port' "$dir/error.log"; then
    log "port $port was taken meanwhile (attempt $attempt); trying another"
    continue
  fi
  tail -n 20 "$dir/error.log" >&2
  die "mariadbd did not start (log: $dir/error.log)"
done
[ -n "$started" ] || die "mariadbd could not bind a free port after 5 attempts"

admin <<SQL
CREATE OR REPLACE USER 'dbsnap'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO 'dbsnap'@'%' WITH GRANT OPTION;
CREATE OR REPLACE USER 'dbsnap'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO 'dbsnap'@'localhost' WITH GRANT OPTION;
SQL

umask 077
cat >"$dir/client.cnf" <<EOF
[client]
user=dbsnap
password=$password
host=127.0.0.1
port=$port
protocol=tcp
EOF
echo "export DBSNAP_TEST_MY_URL=mysql://dbsnap:$password@127.0.0.1:$port/" >"$dir/env"
log "mariadbd pid $pid listening on 127.0.0.1:$port (socket $socket, log $dir/error.log)"
cat "$dir/env"
