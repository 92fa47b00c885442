// The backup, verify and restore pipelines of engine/ (backup.h, verify.h,
// restore.h) over an in-memory Volume, an identity codec and a scripted
// dialect: the contracts that need no server, each shown in milliseconds.
// The same contracts are exercised end to end against real servers by the
// tests of tests/protocols and tests/tools.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/backup.h"
#include "engine/cancel.h"
#include "engine/error.h"
#include "engine/restore.h"
#include "engine/sha256.h"
#include "engine/snapshots.h"
#include "engine/verify.h"
#include "storage/age/sink.h"
#include "storage/age/volume.h"

namespace dbsnap {
namespace {

// A Volume in memory. Counts the finish() and abort() calls of its sinks;
// put_hook runs before every put() and may throw to inject a failure.
class MemoryVolume final : public Volume {
 public:
  std::function<void(const std::string& key, std::string_view bytes)> put_hook;

  std::unique_ptr<Sink> create(const std::string& key) override;
  void put(const std::string& key, std::string_view bytes) override {
    if (put_hook) put_hook(key, bytes);
    std::lock_guard lock(mu_);
    objects_[key] = std::string(bytes);
  }
  bool put_if_absent(const std::string& key, std::string_view bytes) override {
    std::lock_guard lock(mu_);
    return objects_.emplace(key, bytes).second;
  }
  std::string get(const std::string& key) override { return read(key, 0, UINT64_MAX); }
  std::string read(const std::string& key, std::uint64_t offset, std::uint64_t length) override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) throw Error(ExitCode::io_error, "no object " + key);
    if (offset >= it->second.size()) return {};
    return it->second.substr(offset, length);
  }
  std::vector<std::string> list(const std::string& prefix) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> keys;
    for (const auto& [key, bytes] : objects_)
      if (key.starts_with(prefix)) keys.push_back(key);
    return keys;
  }
  void remove(const std::string& key) override {
    std::lock_guard lock(mu_);
    objects_.erase(key);
  }
  std::string describe() const override { return "memory"; }

  bool has(const std::string& key) {
    std::lock_guard lock(mu_);
    return objects_.contains(key);
  }
  void overwrite_byte(const std::string& key, std::size_t offset) {
    std::lock_guard lock(mu_);
    objects_.at(key).at(offset) ^= 0x20;
  }

  int finishes = 0, aborts = 0;  // by the sinks, on the coordinating thread

 private:
  friend class MemorySink;
  std::mutex mu_;
  std::map<std::string, std::string> objects_;
};

// Holds the bytes until finish() makes them the object at key.
class MemorySink final : public Sink {
 public:
  MemorySink(MemoryVolume& volume, std::string key) : volume_(volume), key_(std::move(key)) {}
  ~MemorySink() override {
    if (!done_) abort();
  }
  void write(std::span<const std::byte> bytes) override {
    bytes_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  void finish() override {
    done_ = true;
    ++volume_.finishes;
    std::lock_guard lock(volume_.mu_);
    volume_.objects_[key_] = std::move(bytes_);
  }
  void abort() noexcept override {
    done_ = true;
    ++volume_.aborts;
  }

 private:
  MemoryVolume& volume_;
  std::string key_;
  std::string bytes_;
  bool done_ = false;
};

std::unique_ptr<Sink> MemoryVolume::create(const std::string& key) {
  return std::make_unique<MemorySink>(*this, key);
}

// FNV-1a: the identity codec's checksum of the stored bytes.
std::uint32_t fnv1a(std::string_view bytes) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : bytes) h = (h ^ c) * 16777619u;
  return h;
}
std::string_view as_text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Stores the text as it is, so a test can read the data object back.
class IdentityCompressor final : public Compressor {
 public:
  std::uint32_t compress(std::string_view raw, std::vector<std::byte>& out) override {
    auto bytes = std::as_bytes(std::span(raw));
    out.assign(bytes.begin(), bytes.end());
    return fnv1a(raw);
  }
};
class IdentityDecompressor final : public Decompressor {
 public:
  std::uint32_t checksum(std::span<const std::byte> stored) override {
    return fnv1a(as_text(stored));
  }
  void decompress_chunk(std::span<const std::byte> stored, std::string& out,
                        std::size_t /*raw_size*/) override {
    out.append(as_text(stored));
  }
};
const CompressorFactory kIdentity = [] { return std::make_unique<IdentityCompressor>(); };
const DecompressorFactory kIdentityBack = [] { return std::make_unique<IdentityDecompressor>(); };
const CodecDecompressors kIdentityCodec = [](Codec) { return kIdentityBack; };

// The data chunk of table with rows rows, in the scripted dialect: one line
// per row, "row <table> <n>".
std::string chunk_text(const std::string& table, int rows) {
  std::string text;
  for (int r = 0; r < rows; ++r) text += fmt::format("row {} {}\n", table, r);
  return text;
}

// What a scripted backup does: tables[i] is data item i, with rows[i] rows.
// Item throw_item (if any) throws instead of emitting; item cancel_item
// requests cancellation (engine/cancel.h) and emits. With release_backwards,
// item i waits until item i + 1 was appended, so items complete last to first
// (needs jobs >= items).
struct Script {
  Script(std::vector<std::string> t, std::vector<int> r)
      : tables(std::move(t)), rows(std::move(r)) {}
  std::vector<std::string> tables;
  std::vector<int> rows;
  int throw_item = -1;
  int cancel_item = -1;
  bool release_backwards = false;

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> appended;  // tables in the order their chunk was appended
};

class ScriptedSession final : public SnapshotSession {
 public:
  explicit ScriptedSession(Script& script) : script_(script) {}
  void dump(const DataItem& item, ChunkSink& out) override {
    auto i = static_cast<std::size_t>(std::stoi(item.slice));
    std::unique_lock lock(script_.mu);
    if (script_.release_backwards) {
      script_.cv.wait(lock,
                      [&] { return script_.appended.size() == script_.tables.size() - 1 - i; });
    }
    if (static_cast<int>(i) == script_.throw_item)
      throw Error(ExitCode::server_error, "scripted failure of " + item.table);
    if (static_cast<int>(i) == script_.cancel_item) request_cancel();
    out.emit(Section::data, item.table, chunk_text(item.table, script_.rows[i]),
             static_cast<std::uint64_t>(script_.rows[i]), 0);
    script_.appended.push_back(item.table);
    script_.cv.notify_all();
  }

 private:
  Script& script_;
};

class ScriptedDump final : public DatabaseDump {
 public:
  explicit ScriptedDump(Script& script) : script_(script) {}
  ServerInfo server() const override { return {"postgres", "scripted"}; }
  std::map<std::string, std::string> position() const override { return {{"lsn", "0/1"}}; }
  void pre_data(ChunkSink& out) override { out.emit(Section::pre_data, "", "-- pre-data\n", 0, 0); }
  std::vector<DataItem> plan(std::uint64_t /*chunk_bytes*/) override {
    std::vector<DataItem> items;
    for (std::size_t i = 0; i < script_.tables.size(); ++i)
      items.push_back({script_.tables[i], std::to_string(i), 100});
    return items;
  }
  std::vector<std::unique_ptr<SnapshotSession>> share(std::size_t n) override {
    std::vector<std::unique_ptr<SnapshotSession>> sessions;
    for (std::size_t i = 0; i < n; ++i)
      sessions.push_back(std::make_unique<ScriptedSession>(script_));
    return sessions;
  }
  void post_data(ChunkSink& out) override {
    out.emit(Section::post_data, "", "-- post-data\n", 0, 0);
  }

 private:
  Script& script_;
};

class ScriptedDriver final : public Driver {
 public:
  explicit ScriptedDriver(Script& script) : script_(script) {}
  PingReport ping(const ServerUrl& /*url*/) override { return {}; }
  std::vector<std::string> databases(const ServerUrl& /*url*/) override { return {"app"}; }
  std::unique_ptr<DatabaseDump> open_dump(const ServerUrl& /*url*/,
                                          const DumpOptions& /*options*/) override {
    return std::make_unique<ScriptedDump>(script_);
  }

 private:
  Script& script_;
};

BackupRequest request(int jobs) {
  BackupRequest r;
  r.url = ServerUrl::parse("postgres://u:secret@db.example:5432/app");
  r.jobs = jobs;
  return r;
}

// The one manifest the backup left in volume.
Manifest only_manifest(MemoryVolume& volume) {
  std::vector<std::string> keys;
  for (const auto& key : volume.list(""))
    if (key.ends_with(kManifestSuffix)) keys.push_back(key);
  EXPECT_EQ(keys.size(), 1u);
  return keys.empty() ? Manifest{} : parse_manifest(volume.get(keys.front()));
}

TEST(BackupPipeline, ChunksAreAppendedInCompletionOrderAndTileTheFile) {
  Script script({"public.a", "public.b", "public.c", "public.d"}, {3, 5, 7, 11});
  script.release_backwards = true;
  ScriptedDriver driver(script);
  MemoryVolume volume;
  BackupResult result = run_backup(driver, volume, kIdentity, request(4), nullptr);

  EXPECT_EQ(script.appended,
            (std::vector<std::string>{"public.d", "public.c", "public.b", "public.a"}));
  const Manifest& m = result.manifest;
  EXPECT_EQ(m.status, SnapshotStatus::completed);
  ASSERT_EQ(m.chunks.size(), 6u);  // pre-data, four tables, post-data
  EXPECT_EQ(m.chunks.front().section, Section::pre_data);
  EXPECT_EQ(m.chunks.back().section, Section::post_data);
  std::string file = volume.get(result.data_key);
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < m.chunks.size(); ++i) {
    const ChunkEntry& c = m.chunks[i];
    EXPECT_EQ(c.offset, offset) << "chunk " << i;
    if (c.section == Section::data) {
      EXPECT_EQ(c.table, script.appended[i - 1]);
      EXPECT_EQ(file.substr(c.offset, c.length), chunk_text(c.table, static_cast<int>(c.rows)));
    }
    offset += c.length;
  }
  EXPECT_EQ(offset, file.size());
  EXPECT_EQ(m.size, file.size());
  EXPECT_EQ(m.tables.at("public.c"), 7u);
  EXPECT_EQ(volume.finishes, 1);
  EXPECT_EQ(volume.aborts, 0);
  EXPECT_EQ(m.server_url.find("secret"), std::string::npos);

  VerifyReport report = verify_snapshot(volume, result.manifest_key, kIdentityCodec);
  EXPECT_TRUE(report.problems.empty()) << report.problems.front();
  EXPECT_EQ(report.rows, 3u + 5 + 7 + 11);
}

TEST(BackupPipeline, AWorkerThatThrowsLeavesAFailedManifestAndAbortsOnce) {
  Script script({"public.a", "public.b", "public.c"}, {1, 2, 3});
  script.throw_item = 1;
  ScriptedDriver driver(script);
  MemoryVolume volume;
  try {
    run_backup(driver, volume, kIdentity, request(2), nullptr);
    FAIL() << "the backup did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::server_error);
    EXPECT_STREQ(e.what(), "scripted failure of public.b");
  }
  Manifest m = only_manifest(volume);
  EXPECT_EQ(m.status, SnapshotStatus::failed);
  EXPECT_EQ(m.failure, "scripted failure of public.b");
  EXPECT_EQ(volume.aborts, 1);
  EXPECT_EQ(volume.finishes, 0);
  for (const auto& key : volume.list(""))
    EXPECT_FALSE(key.ends_with(data_suffix(Codec::gzip))) << key;
}

TEST(BackupPipeline, TheCompletedManifestFailingRemovesTheDurableDataObject) {
  Script script({"public.a"}, {4});
  ScriptedDriver driver(script);
  MemoryVolume volume;
  bool failed_once = false;
  volume.put_hook = [&](const std::string&, std::string_view bytes) {
    if (!failed_once && bytes.find("\"completed\"") != std::string_view::npos) {
      failed_once = true;
      throw Error(ExitCode::io_error, "unable to write the manifest: disk full");
    }
  };
  EXPECT_THROW(run_backup(driver, volume, kIdentity, request(1), nullptr), Error);
  EXPECT_TRUE(failed_once);
  Manifest m = only_manifest(volume);
  EXPECT_EQ(m.status, SnapshotStatus::failed);
  EXPECT_EQ(m.failure, "unable to write the manifest: disk full");
  EXPECT_EQ(volume.finishes, 1);  // the data object was durable, then removed
  for (const auto& key : volume.list(""))
    EXPECT_FALSE(key.ends_with(data_suffix(Codec::gzip))) << key;
}

// A RestoreTarget that records what its sessions ran: each line
// "row <table> <n>" counts as a row of table.
class RecordingTarget final : public RestoreTarget {
 public:
  std::string describe() const override { return "recording"; }
  const std::string& database() const override { return database_; }
  bool database_exists() override { return exists; }
  void create_database() override { calls.push_back("create"); }
  void clean_database() override { calls.push_back("clean"); }
  std::string database_contents() override { return contents; }
  std::unique_ptr<RestoreSession> open_session(const SessionOptions& /*options*/) override {
    return std::make_unique<Session>(*this);
  }
  bool table_matches(std::string_view manifest_table, std::string_view user_name) const override {
    return manifest_table == user_name;
  }
  std::uint64_t count_rows(const std::string& table) override {
    std::lock_guard lock(mu_);
    return rows_[table];
  }
  void drop_database() override { calls.push_back("drop"); }

  bool exists = false;
  std::string contents;            // what database_contents() says
  std::vector<std::string> calls;  // create, clean, drop: in order
  std::set<std::string> labels() {
    std::lock_guard lock(mu_);
    return labels_;
  }

 private:
  class Session final : public RestoreSession {
   public:
    explicit Session(RecordingTarget& target) : target_(target) {}
    void begin(std::string_view label, std::uint64_t /*first_line*/) override {
      label_ = label;
      text_.clear();
    }
    void feed(std::string_view text) override { text_ += text; }
    void end() override {
      std::lock_guard lock(target_.mu_);
      target_.labels_.insert(label_);
      std::size_t pos = 0;
      while ((pos = text_.find("row ", pos)) != std::string::npos) {
        std::size_t space = text_.find(' ', pos + 4);
        ++target_.rows_[text_.substr(pos + 4, space - pos - 4)];
        pos = space;
      }
    }
    std::vector<std::string> settings() const override { return {}; }

   private:
    RecordingTarget& target_;
    std::string label_, text_;
  };

  std::string database_ = "copy";
  std::mutex mu_;
  std::set<std::string> labels_;
  std::map<std::string, std::uint64_t> rows_;
};

RestoreRequest restore_request(int jobs) {
  RestoreRequest r;
  r.jobs = jobs;
  return r;
}

// A completed scripted backup in volume: three tables of 2, 3 and 4 rows.
BackupResult backed_up(MemoryVolume& volume) {
  Script script({"public.a", "public.b", "public.c"}, {2, 3, 4});
  ScriptedDriver driver(script);
  return run_backup(driver, volume, kIdentity, request(2), nullptr);
}

TEST(RestorePipeline, RunsEveryChunkAndComparesTheCounts) {
  MemoryVolume volume;
  BackupResult backup = backed_up(volume);
  RecordingTarget target;
  SnapshotKeys keys;
  Manifest m = load_manifest(volume, backup.manifest_key, keys);
  RestoreReport report =
      restore_snapshot(target, volume, keys, m, kIdentityBack, restore_request(2), nullptr);
  EXPECT_EQ(target.calls, std::vector<std::string>{"create"});
  EXPECT_EQ(report.chunks, m.chunks.size());
  ASSERT_EQ(report.counts.size(), 3u);
  EXPECT_TRUE(report.counts_match());
  EXPECT_EQ(report.counts[2].actual, 4u);
}

TEST(PrepareTarget, DropCleanAndANonEmptyDatabaseAreDecidedInOnePlace) {
  auto calls = [](bool exists, std::string contents, PrepareMode mode) {
    RecordingTarget target;
    target.exists = exists;
    target.contents = std::move(contents);
    prepare_target(target, mode);
    return target.calls;
  };
  using Calls = std::vector<std::string>;
  EXPECT_EQ(calls(false, "", PrepareMode::create), Calls{"create"});
  EXPECT_EQ(calls(false, "", PrepareMode::drop), Calls{"create"});
  EXPECT_EQ(calls(false, "", PrepareMode::clean), Calls{"create"});
  EXPECT_EQ(calls(true, "2 tables", PrepareMode::drop), (Calls{"drop", "create"}));
  EXPECT_EQ(calls(true, "2 tables", PrepareMode::clean), Calls{"clean"});
  EXPECT_EQ(calls(true, "", PrepareMode::create), Calls{});
  try {
    calls(true, "2 tables", PrepareMode::create);
    FAIL() << "a non-empty database was not refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_STREQ(e.what(),
                 "database 'copy' on recording is not empty (2 tables): use --drop to recreate it "
                 "or --clean to drop its objects");
  }
}

TEST(RestorePipeline, AChunkWhoseChecksumIsWrongStopsTheRestoreBeforeItRuns) {
  MemoryVolume volume;
  BackupResult backup = backed_up(volume);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < backup.manifest.chunks.size(); ++i)
    if (backup.manifest.chunks[i].table == "public.b") bad = i;
  const ChunkEntry& chunk = backup.manifest.chunks.at(bad);
  volume.overwrite_byte(backup.data_key, chunk.offset + chunk.length / 2);

  RecordingTarget target;
  SnapshotKeys keys;
  Manifest m = load_manifest(volume, backup.manifest_key, keys);
  try {
    restore_snapshot(target, volume, keys, m, kIdentityBack, restore_request(1), nullptr);
    FAIL() << "the restore did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::verify_failed);
    EXPECT_NE(std::string(e.what()).find(describe_chunk(m, bad)), std::string::npos) << e.what();
  }
  EXPECT_EQ(target.count_rows("public.b"), 0u);
  for (const auto& label : target.labels()) EXPECT_EQ(label.find("public.b"), std::string::npos);
}

// An encrypted backup (BackupRequest::encrypt with storage/age's AgeSink):
// the manifest's size and sha256 are the stored bytes', its chunks are
// plaintext coordinates that AgeVolume reads back.
BackupResult encrypted_backup(MemoryVolume& volume, const age::X25519Identity& identity) {
  Script script({"public.a", "public.b", "public.c"}, {2, 3, 4});
  ScriptedDriver driver(script);
  BackupRequest r = request(2);
  r.encrypt = [recipient = identity.recipient()](std::unique_ptr<Sink> next) {
    return std::unique_ptr<EncryptingSink>(
        std::make_unique<age::AgeSink>(std::move(next), std::vector{recipient}));
  };
  return run_backup(driver, volume, kIdentity, r, nullptr);
}

TEST(EncryptedPipeline, ManifestDescribesTheStoredBytesAndVerifiesWithAndWithoutTheKey) {
  MemoryVolume volume;
  auto identity = age::X25519Identity::generate();
  BackupResult backup = encrypted_backup(volume, identity);
  const Manifest& m = backup.manifest;
  EXPECT_TRUE(backup.data_key.ends_with(".sql.gz.age")) << backup.data_key;
  EXPECT_TRUE(m.data_object.ends_with(".sql.gz.age")) << m.data_object;
  EXPECT_EQ(m.encryption.format, "age-v1");
  EXPECT_EQ(m.encryption.chunk_size, age::kChunkBytes);
  std::string stored = volume.get(backup.data_key);
  EXPECT_EQ(m.size, stored.size());
  Sha256 sha;
  sha.update(std::as_bytes(std::span(stored.data(), stored.size())));
  EXPECT_EQ(m.sha256, sha.hex_digest());
  EXPECT_EQ(age::header_length(stored), m.encryption.header_length);
  EXPECT_EQ(parse_manifest(volume.get(backup.manifest_key)).encryption, m.encryption);

  age::AgeVolume view(volume, {identity});
  std::string plain = view.get(backup.data_key);
  std::uint64_t end = 0;
  for (const auto& c : m.chunks) {
    EXPECT_EQ(c.offset, end);
    end += c.length;
  }
  EXPECT_EQ(end, plain.size());
  EXPECT_EQ(encrypted_size(m.encryption, end), stored.size());

  VerifyReport keyless = verify_snapshot(volume, backup.manifest_key, kIdentityCodec);
  EXPECT_TRUE(keyless.problems.empty()) << keyless.problems.front();
  EXPECT_FALSE(keyless.contents_checked);
  VerifyReport keyed = verify_snapshot(volume, backup.manifest_key, kIdentityCodec, &view);
  EXPECT_TRUE(keyed.problems.empty()) << keyed.problems.front();
  EXPECT_TRUE(keyed.contents_checked);

  RecordingTarget target;
  SnapshotKeys keys;
  Manifest loaded = load_manifest(volume, backup.manifest_key, keys);
  RestoreReport report =
      restore_snapshot(target, view, keys, loaded, kIdentityBack, restore_request(2), nullptr);
  EXPECT_TRUE(report.counts_match());
  EXPECT_EQ(report.counts.size(), 3u);
}

TEST(EncryptedPipeline, AChunkThatFailsAuthenticationStopsTheRestoreBeforeItRuns) {
  MemoryVolume volume;
  auto identity = age::X25519Identity::generate();
  BackupResult backup = encrypted_backup(volume, identity);
  volume.overwrite_byte(backup.data_key, backup.manifest.encryption.header_length + 16 + 3);
  age::AgeVolume view(volume, {identity});
  RecordingTarget target;
  SnapshotKeys keys;
  Manifest m = load_manifest(volume, backup.manifest_key, keys);
  try {
    restore_snapshot(target, view, keys, m, kIdentityBack, restore_request(1), nullptr);
    FAIL() << "the restore did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::verify_failed);
    EXPECT_NE(std::string(e.what()).find("age payload chunk 0 "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(describe_chunk(m, 0)), std::string::npos) << e.what();
  }
  EXPECT_TRUE(target.labels().empty()) << "nothing ran";
  EXPECT_FALSE(verify_snapshot(volume, backup.manifest_key, kIdentityCodec).problems.empty());
  EXPECT_FALSE(
      verify_snapshot(volume, backup.manifest_key, kIdentityCodec, &view).problems.empty());
}

// Cancellation is process-wide and cannot be taken back: ctest runs each
// test of this file in a process of its own (gtest_discover_tests), and this
// one comes last for a run of the whole executable.
TEST(BackupPipelineCancelled, CancellationDuringTheDataFailsTheBackupAsInterrupted) {
  Script script({"public.a", "public.b"}, {1, 1});
  script.cancel_item = 0;
  ScriptedDriver driver(script);
  MemoryVolume volume;
  try {
    run_backup(driver, volume, kIdentity, request(1), nullptr);
    FAIL() << "the backup did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::interrupted);
  }
  EXPECT_EQ(only_manifest(volume).status, SnapshotStatus::failed);
  EXPECT_EQ(volume.aborts, 1);
  EXPECT_EQ(volume.finishes, 0);
}

}  // namespace
}  // namespace dbsnap
