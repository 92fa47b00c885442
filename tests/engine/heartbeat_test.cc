// A running backup records host, pid and a heartbeat in its manifest;
// effective_status() reads a running manifest whose process is gone as
// "interrupted", and ManifestHeartbeat renews the heartbeat while it runs.
#include "engine/heartbeat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>

#include "engine/manifest.h"
#include "storage/local/volume.h"
#include "tests/support/common.h"

namespace dbsnap {
namespace {

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

Manifest running(std::string host, std::uint64_t pid, std::int64_t beat_ago) {
  Manifest m;
  m.status = SnapshotStatus::running;
  m.started_at = "2026-01-01T00:00:00Z";
  m.host = std::move(host);
  m.pid = pid;
  std::time_t t = static_cast<std::time_t>(now() - beat_ago);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  m.heartbeat_at = buf;
  return m;
}

TEST(ParseUtcIso, KnownInstantsAndGarbage) {
  EXPECT_EQ(parse_utc_iso("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_utc_iso("2026-11-21T22:00:00Z"), 1795298400);
  EXPECT_EQ(parse_utc_iso("2000-02-29T12:34:56.789Z"), 951827696);
  EXPECT_EQ(parse_utc_iso(""), -1);
  EXPECT_EQ(parse_utc_iso("2026-11-21 22:00:00Z"), -1);
  EXPECT_EQ(parse_utc_iso("2026-13-21T22:00:00Z"), -1);
  EXPECT_EQ(parse_utc_iso("2026-11-21T22:00:00"), -1);
}

TEST(EffectiveStatus, FinishedManifestsKeepTheirStatus) {
  for (SnapshotStatus s : {SnapshotStatus::completed, SnapshotStatus::failed}) {
    Manifest m = running(this_host_name(), static_cast<std::uint64_t>(test::dead_pid()), 10'000);
    m.status = s;
    EXPECT_EQ(effective_status(m, this_host_name(), now()), s);
  }
}

TEST(EffectiveStatus, LiveProcessWithFreshHeartbeatIsRunning) {
  Manifest m = running(this_host_name(), static_cast<std::uint64_t>(getpid()), 5);
  EXPECT_EQ(effective_status(m, this_host_name(), now()), SnapshotStatus::running);
}

TEST(EffectiveStatus, DeadProcessOnThisHostIsInterruptedAtOnce) {
  Manifest m = running(this_host_name(), static_cast<std::uint64_t>(test::dead_pid()), 1);
  EXPECT_EQ(effective_status(m, this_host_name(), now()), SnapshotStatus::interrupted);
}

TEST(EffectiveStatus, OtherHostIsJudgedByItsHeartbeat) {
  Manifest fresh = running("elsewhere", 1, 30);
  EXPECT_EQ(effective_status(fresh, "here", now()), SnapshotStatus::running);
  Manifest stale = running("elsewhere", 1, kHeartbeatStaleSeconds + 60);
  EXPECT_EQ(effective_status(stale, "here", now()), SnapshotStatus::interrupted);
}

TEST(EffectiveStatus, StaleHeartbeatOfALiveLookingPidIsInterrupted) {
  // The pid may have been reused by another process since.
  Manifest m =
      running(this_host_name(), static_cast<std::uint64_t>(getpid()), kHeartbeatStaleSeconds + 1);
  EXPECT_EQ(effective_status(m, this_host_name(), now()), SnapshotStatus::interrupted);
}

TEST(EffectiveStatus, OldManifestWithoutHeartbeatFallsBackToStartedAt) {
  Manifest m;
  m.status = SnapshotStatus::running;
  m.started_at = "2026-01-01T00:00:00Z";
  EXPECT_EQ(effective_status(m, "here", parse_utc_iso(m.started_at) + 60), SnapshotStatus::running);
  EXPECT_EQ(effective_status(m, "here", parse_utc_iso(m.started_at) + 3600),
            SnapshotStatus::interrupted);
}

TEST(ManifestHeartbeat, RecordsTheProcessAndRenewsUntilStopped) {
  test::ScratchDir dir;
  LocalVolume volume(dir.path());
  Manifest m;
  m.server_kind = ServerKind::postgres;
  m.database = "app";
  m.data_object = "x.sql.gz";
  m.started_at = "2026-01-01T00:00:00Z";
  ManifestHeartbeat beat(volume, "a/x.manifest.json", m, std::chrono::seconds(1));
  EXPECT_EQ(m.host, this_host_name());
  EXPECT_EQ(m.pid, static_cast<std::uint64_t>(getpid()));
  Manifest first = parse_manifest(volume.get("a/x.manifest.json"));
  EXPECT_EQ(first.status, SnapshotStatus::running);
  EXPECT_EQ(first.pid, m.pid);
  EXPECT_EQ(first.host, m.host);
  ASSERT_GE(parse_utc_iso(first.heartbeat_at), 0) << first.heartbeat_at;
  // Renewed within a few intervals.
  std::string renewed;
  for (int i = 0; i < 50 && renewed.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Manifest now_m = parse_manifest(volume.get("a/x.manifest.json"));
    if (now_m.heartbeat_at != first.heartbeat_at) renewed = now_m.heartbeat_at;
  }
  EXPECT_GT(parse_utc_iso(renewed), parse_utc_iso(first.heartbeat_at)) << "never renewed";
  beat.stop();
  // Nothing writes after stop(): the final manifest stays.
  m.status = SnapshotStatus::completed;
  volume.put("a/x.manifest.json", to_json(m));
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  EXPECT_EQ(parse_manifest(volume.get("a/x.manifest.json")).status, SnapshotStatus::completed);
}

TEST(ManifestJson, HostPidAndHeartbeatRoundTrip) {
  Manifest m = running("host-1", 4242, 0);
  m.server_kind = ServerKind::mysql;
  m.database = "d";
  m.data_object = "x.sql.gz";
  Manifest back = parse_manifest(to_json(m));
  EXPECT_EQ(back.host, "host-1");
  EXPECT_EQ(back.pid, 4242u);
  EXPECT_EQ(back.heartbeat_at, m.heartbeat_at);
}

}  // namespace
}  // namespace dbsnap
