#!/usr/bin/env bash
# A throw-away S3 endpoint for tests and benchmarks: Ceph RADOS Gateway on a
# one-monitor, one-OSD cluster whose data lives in memory (memstore), all in DIR.
#
#   tools/s3-local.sh start DIR   start it on free 127.0.0.1 ports, create a user
#                                 with random keys and the bucket dbsnap-test,
#                                 print the export line below
#   tools/s3-local.sh stop DIR    stop it (DIR stays; remove it yourself)
#
# On start, stdout is exactly one line, also written to DIR/env:
#   export DBSNAP_TEST_S3_URL=s3://dbsnap-test/ci DBSNAP_TEST_S3_ENDPOINT=http://127.0.0.1:PORT
#          DBSNAP_TEST_S3_REGION=us-east-1 DBSNAP_TEST_S3_ACCESS_KEY=... DBSNAP_TEST_S3_SECRET_KEY=...
# Path-style requests; SigV4 is checked as on AWS. Needs (root, once):
#   apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd curl
# Startup takes ~15 s. Objects live in RAM (S3_LOCAL_MEM_BYTES caps them,
# default 2 GiB): keep test data small. Instances in different DIRs run side by side.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=local-common.sh
. "$here/local-common.sh"

bucket=dbsnap-test
start_stop_args "$@"

# Stops the daemons listed in DIR/pids, newest first.
stop_all() {
  [ -s "$dir/pids" ] || return 0
  local pid pids
  read -r -a pids <"$dir/pids"
  for pid in "${pids[@]}"; do
    echo "$pid" >"$dir/stop.pid"
    stop_pidfile "$dir/stop.pid" 20
  done
  rm -f "$dir/pids" "$dir/stop.pid"
}

if [ "$cmd" = stop ]; then
  stop_all
  rm -f "$dir/env"
  exit 0
fi
for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool ceph-authtool curl; do
  command -v "$tool" >/dev/null ||
    die "$tool is missing: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd curl"
done
[ ! -s "$dir/pids" ] || die "a gateway already runs in $dir: ${0##*/} stop $dir"

# Records a started daemon so stop (and a failed start) can end it.
started() { echo "$1 $(cat "$dir/pids" 2>/dev/null || true)" >"$dir/pids.new" && mv "$dir/pids.new" "$dir/pids"; }
fail() {
  log "$*"
  tail -n 5 "$dir"/log/*.log >&2 2>/dev/null || true
  stop_all
  exit 1
}

rm -rf "$dir/mon" "$dir/osd" "$dir/run" "$dir/log" "$dir/monmap" "$dir/keyring"
mkdir -p "$dir/mon" "$dir/osd" "$dir/run" "$dir/log"
port=$(free_port)
mon_port=$(free_port)
[ "$port" != "$mon_port" ] || mon_port=$(free_port)
access_key=$(gen_password | cut -c1-20 | tr a-f A-F)
secret_key=$(gen_password)
fsid=$(cat /proc/sys/kernel/random/uuid)
conf=$dir/ceph.conf
cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
# without cephx the messenger must not ask for secure mode
ms client mode = crc
ms mon client mode = crc
keyring = $dir/keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
# one OSD holds every replica
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 1
mon data avail crit = 0
[mon.a]
mon data = $dir/mon
[osd.0]
osd data = $dir/osd
osd objectstore = memstore
memstore device bytes = ${S3_LOCAL_MEM_BYTES:-2147483648}
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $dir/run/rgw
rgw dns name = localhost
CONF

ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" -i a --mkfs --monmap "$dir/monmap" --keyring "$dir/keyring" ||
  fail "ceph-mon --mkfs failed"
ceph-mon -c "$conf" -i a -f >"$dir/log/mon.out" 2>&1 &
started $!
osd_uuid=$(cat /proc/sys/kernel/random/uuid)
osd_id=$(timeout 60 ceph -c "$conf" osd new "$osd_uuid") || fail "the monitor did not answer"
ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >"$dir/log/osd-mkfs.out" 2>&1 ||
  fail "ceph-osd --mkfs failed"
ceph-osd -c "$conf" -i "$osd_id" -f >"$dir/log/osd.out" 2>&1 &
started $!
radosgw -c "$conf" -n client.rgw -f >"$dir/log/rgw.out" 2>&1 &
rgw=$!
started "$rgw"

for i in $(seq 1 600); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  alive "$rgw" || fail "radosgw exited (log: $dir/log)"
  [ "$i" -lt 600 ] || fail "radosgw did not answer on port $port in 60 s"
  sleep 0.1
done
timeout 60 radosgw-admin -c "$conf" user create --uid=dbsnap --display-name=dbsnap \
  --access-key="$access_key" --secret="$secret_key" >"$dir/log/user.out" 2>&1 ||
  fail "radosgw-admin user create failed"
empty_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
status=$(curl -s -o "$dir/log/bucket.out" -w '%{http_code}' -X PUT \
  --aws-sigv4 aws:amz:us-east-1:s3 --user "$access_key:$secret_key" \
  -H "x-amz-content-sha256: $empty_sha256" "http://127.0.0.1:$port/$bucket")
[ "$status" = 200 ] || fail "creating bucket $bucket: HTTP $status $(cat "$dir/log/bucket.out")"

umask 077
echo "export DBSNAP_TEST_S3_URL=s3://$bucket/ci DBSNAP_TEST_S3_ENDPOINT=http://127.0.0.1:$port" \
  "DBSNAP_TEST_S3_REGION=us-east-1 DBSNAP_TEST_S3_ACCESS_KEY=$access_key" \
  "DBSNAP_TEST_S3_SECRET_KEY=$secret_key" >"$dir/env"
log "radosgw pid $rgw listening on 127.0.0.1:$port, bucket $bucket (logs: $dir/log)"
cat "$dir/env"
