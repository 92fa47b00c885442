#!/usr/bin/env bash
# The quick-start job: install dependencies, build, start a throwaway
# PostgreSQL and MariaDB with generated sample data, back both up with dbsnap,
# restore each twice into new databases, once with the stock client
# (gunzip -c | psql / mariadb) and once with `dbsnap restore`, and show that
# source and copies hold the same rows.
#
#   tools/demo.sh            everything; servers are stopped at the end
#   tools/demo.sh --keep     leave the servers running (their URLs are printed)
#
# Backups go to ./demo-backups. Sample data is generated here (pgbench and SQL),
# so nothing outside this repository is needed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
keep=0
[ "${1:-}" = --keep ] && keep=1

step() { printf '\n==> %s\n' "$*"; }

step "installing dependencies (Debian packages)"
tools/install-deps.sh
step "building"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel "$(nproc)" --target dbsnap
dbsnap=$root/build/dbsnap

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbsnap-demo.XXXXXX")
chmod o+x "$tmp"
cleanup() {
  if [ "$keep" = 1 ]; then
    echo "servers kept running; stop them with: tools/pg-local.sh stop $tmp/pg; tools/mariadb-local.sh stop $tmp/my"
    return
  fi
  tools/pg-local.sh stop "$tmp/pg" || true
  tools/mariadb-local.sh stop "$tmp/my" || true
  rm -rf "$tmp"
}
trap cleanup EXIT

step "starting a throwaway PostgreSQL and MariaDB on loopback"
eval "$(tools/pg-local.sh start "$tmp/pg")"
eval "$(tools/mariadb-local.sh start "$tmp/my")"
pg=${DBSNAP_TEST_PG_URL%/postgres}
my=${DBSNAP_TEST_MY_URL%/}
mysql_client=(mariadb --defaults-file="$tmp/my/client.cnf")

step "generating sample data: PostgreSQL 'shop' (pgbench scale 5 + typed tables), MariaDB 'shop'"
psql -q "$pg/postgres" -c "CREATE DATABASE shop"
pgbench -q -i -s 5 "$pg/shop" 2>&1 | tail -n 1
psql -q -v ON_ERROR_STOP=1 "$pg/shop" <<'SQL'
CREATE TYPE status AS ENUM ('new', 'paid', 'shipped');
CREATE TABLE customer (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,
                       email text UNIQUE, tags text[], profile jsonb, created timestamptz DEFAULT now());
CREATE TABLE "Order" (id serial PRIMARY KEY, customer_id bigint REFERENCES customer(id),
                      state status NOT NULL DEFAULT 'new', total numeric(12,2), note text, blob bytea);
INSERT INTO customer (name, email, tags, profile)
  SELECT 'customer ' || i, 'c' || i || '@example.com', ARRAY['t' || i % 7, 'x'],
         jsonb_build_object('score', i % 100, 'note', E'tab\there')
  FROM generate_series(1, 50000) i;
INSERT INTO "Order" (customer_id, state, total, note, blob)
  SELECT 1 + i % 50000, (ARRAY['new','paid','shipped'])[1 + i % 3]::status, i * 1.25,
         CASE WHEN i % 5 = 0 THEN NULL WHEN i % 5 = 1 THEN '' ELSE E'line\nbreak ' || i END,
         decode(md5(i::text), 'hex')
  FROM generate_series(1, 200000) i;
CREATE VIEW paid_orders AS SELECT * FROM "Order" WHERE state = 'paid';
SQL
"${mysql_client[@]}" <<'SQL'
SET NAMES utf8mb4;
CREATE DATABASE shop;
USE shop;
CREATE TABLE customer (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL,
                       email VARCHAR(200) UNIQUE, score FLOAT, born DATE, avatar BLOB) DEFAULT CHARSET=utf8mb4;
CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL,
                     total DECIMAL(12,2), note TEXT, placed DATETIME(6),
                     FOREIGN KEY (customer_id) REFERENCES customer(id)) DEFAULT CHARSET=utf8mb4;
SET SESSION max_recursive_iterations = 1000000;
INSERT INTO customer (name, email, score, born, avatar)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
  SELECT CONCAT('customer ', i, ' 😀'), CONCAT('c', i, '@example.com'), i / 7.0,
         DATE_ADD('1970-01-01', INTERVAL i DAY), UNHEX(MD5(i)) FROM n;
INSERT INTO orders (customer_id, total, note, placed)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
  SELECT 1 + i % 50000, i * 1.25, IF(i % 5 = 0, NULL, CONCAT('it''s order\t', i)),
         TIMESTAMPADD(SECOND, i, '2024-01-01') FROM n;
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 1000;
SQL

step "dbsnap ping"
"$dbsnap" ping "$pg/shop"
"$dbsnap" ping "$my/shop"

step "dbsnap backup (4 parallel connections, one consistent snapshot each)"
rm -rf demo-backups
"$dbsnap" backup "$pg/shop" --to demo-backups --jobs 4
"$dbsnap" backup "$my/shop" --to demo-backups --jobs 4
"$dbsnap" snapshots demo-backups

step "restoring with the stock clients: gunzip -c x.sql.gz | psql / mariadb"
pg_file=$(find demo-backups -path "*-${pg##*:}/shop/*.sql.gz" | head -n 1)
my_file=$(find demo-backups -path "*-${my##*:}/shop/*.sql.gz" | head -n 1)
psql -q "$pg/postgres" -c "CREATE DATABASE shop_copy"
gunzip -c "$pg_file" | psql -q -v ON_ERROR_STOP=1 "$pg/shop_copy" >/dev/null
"${mysql_client[@]}" -e "CREATE DATABASE shop_copy"
gunzip -c "$my_file" | "${mysql_client[@]}" shop_copy

step "dbsnap verify (checksums, no server) and dbsnap restore (native, 4 connections)"
"$dbsnap" verify "$pg_file"
"$dbsnap" verify "$my_file"
"$dbsnap" restore "$pg_file" --to "$pg/shop_native" --jobs 4
"$dbsnap" restore "$my_file" --to "$my/shop_native" --jobs 4

step "comparing source and copies (rows and content checksum per table)"
pg_sum() {
  local t
  for t in $(psql -At "$pg/$1" -c "SELECT quote_ident(relname) FROM pg_class
               WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1"); do
    psql -At -F ' ' "$pg/$1" -c "SELECT format('%-28s', '$t'), count(*),
           md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) FROM $t x"
  done
}
my_sum() {
  local t
  for t in customer orders; do
    "${mysql_client[@]}" -N "$1" -e "CHECKSUM TABLE $t EXTENDED; SELECT COUNT(*) FROM $t" | tr '\n' ' ' |
      awk -v t="$t" '{printf "%-28s %8s %s\n", t, $3, $2}'
  done
}
status=0
for side in pg my; do
  "${side}_sum" shop >"$tmp/$side.src"
  "${side}_sum" shop_copy >"$tmp/$side.copy"
  "${side}_sum" shop_native >"$tmp/$side.native"
  echo "-- $side: table, rows, checksum (source | gunzip-restored copy | dbsnap-restored copy)"
  paste -d'|' "$tmp/$side.src" "$tmp/$side.copy" "$tmp/$side.native"
  if cmp -s "$tmp/$side.src" "$tmp/$side.copy" && cmp -s "$tmp/$side.src" "$tmp/$side.native"; then
    echo "   identical"
  else
    echo "   DIFFERENT"
    status=1
  fi
done
exit "$status"
