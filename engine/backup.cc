#include "engine/backup.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>

#include "engine/cancel.h"
#include "engine/error.h"
#include "engine/heartbeat.h"
#include "engine/parallel.h"
#include "engine/sha256.h"
#include "engine/snapshots.h"

namespace dbsnap {
namespace {

std::string utc_now_iso() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
}

// Appends finished chunks to the sink in completion order, assigns their
// offsets, hashes the whole stream and records each chunk in the manifest.
// Thread-safe: workers call append() concurrently; only the write is serialised
// (compression happened before, on the worker).
class OrderedAppender {
 public:
  OrderedAppender(Sink& sink, Manifest& manifest, BackupProgress* progress)
      : sink_(sink), manifest_(manifest), progress_(progress) {}

  // Returns the chunk's index in the manifest; after: the chunk it continues.
  std::size_t append(Section section, std::string_view table, std::span<const std::byte> member,
                     std::uint64_t raw_bytes, std::uint64_t rows, std::uint64_t checksum,
                     std::uint32_t crc, std::optional<std::size_t> after) {
    std::lock_guard lock(mu_);
    sink_.write(member);
    sha_.update(member);
    manifest_.chunks.push_back(ChunkEntry{section, std::string(table), offset_, member.size(),
                                          raw_bytes, rows, crc, after});
    offset_ += member.size();
    if (section == Section::data) {
      manifest_.tables[std::string(table)] += rows;
      manifest_.checksums[std::string(table)] += checksum;  // mod 2^64
    }
    if (progress_ != nullptr) {
      progress_->raw_bytes += raw_bytes;
      progress_->stored_bytes += member.size();
      progress_->rows += rows;
    }
    return manifest_.chunks.size() - 1;
  }

  // Size and SHA-256 of everything appended; call once, after the last append.
  std::pair<std::uint64_t, std::string> seal() { return {offset_, sha_.hex_digest()}; }

 private:
  std::mutex mu_;
  Sink& sink_;
  Manifest& manifest_;
  BackupProgress* progress_;
  Sha256 sha_;
  std::uint64_t offset_ = 0;
};

// Passes bytes on to next and counts and hashes them: the stored bytes of
// an encrypted data object, below the encrypting sink.
class HashingSink final : public Sink {
 public:
  explicit HashingSink(std::unique_ptr<Sink> next) : next_(std::move(next)) {}
  void write(std::span<const std::byte> bytes) override {
    next_->write(bytes);
    sha_.update(bytes);
    size_ += bytes.size();
  }
  void finish() override {
    next_->finish();
    if (sealed_) *sealed_ = {size_, sha_.hex_digest()};
  }
  void abort() noexcept override { next_->abort(); }
  // Where finish() stores the size and SHA-256 of everything written.
  void seal_into(std::pair<std::uint64_t, std::string>* sealed) { sealed_ = sealed; }

 private:
  std::unique_ptr<Sink> next_;
  Sha256 sha_;
  std::uint64_t size_ = 0;
  std::pair<std::uint64_t, std::string>* sealed_ = nullptr;
};

// A worker's ChunkSink: compresses on the calling thread, then appends.
class CompressingChunkSink final : public ChunkSink {
 public:
  CompressingChunkSink(OrderedAppender& appender, std::unique_ptr<Compressor> compressor,
                       std::size_t chunk_bytes, const std::atomic<bool>& stop)
      : appender_(appender),
        compressor_(std::move(compressor)),
        chunk_bytes_(chunk_bytes),
        stop_(stop) {}

  void emit(Section section, std::string_view table, std::string_view sql, std::uint64_t rows,
            std::uint64_t checksum) override {
    append(section, table, sql, rows, checksum, std::nullopt);
  }

  void emit_link(ChainLink link, std::string_view table, std::string_view sql, std::uint64_t rows,
                 std::uint64_t checksum) override {
    bool continues = link == ChainLink::next || link == ChainLink::last;
    append(Section::data, table, sql, rows, checksum,
           continues ? std::optional(last_) : std::nullopt);
  }

  std::size_t chunk_bytes() const override { return chunk_bytes_; }

 private:
  void append(Section section, std::string_view table, std::string_view sql, std::uint64_t rows,
              std::uint64_t checksum, std::optional<std::size_t> after) {
    throw_if_cancelled();
    // Another worker failed: the backup is lost, stop producing.
    if (stop_.load(std::memory_order_relaxed))
      throw Error(ExitCode::failure, "stopped because another worker failed");
    std::uint32_t crc = compressor_->compress(sql, member_);
    last_ = appender_.append(section, table, member_, sql.size(), rows, checksum, crc, after);
    // A chunk far beyond chunk_bytes (one huge row) grew the buffer: give it back.
    if (member_.capacity() > 2 * chunk_bytes_ + (1 << 20)) std::vector<std::byte>().swap(member_);
  }

  OrderedAppender& appender_;
  std::unique_ptr<Compressor> compressor_;
  std::size_t chunk_bytes_;
  const std::atomic<bool>& stop_;
  std::vector<std::byte> member_;  // reused output buffer
  std::size_t last_ = 0;           // manifest index of the chunk emitted last
};

// Runs the data items on one thread per session (engine/parallel.h).
void dump_data(std::vector<std::unique_ptr<SnapshotSession>>& sessions,
               const std::vector<DataItem>& items, OrderedAppender& appender,
               const CompressorFactory& compressors, std::size_t chunk_bytes,
               BackupProgress* progress) {
  run_parallel(sessions.size(), items.size(),
               [&](std::size_t worker, const std::atomic<bool>& stop) -> ItemHandler {
                 auto sink = std::make_shared<CompressingChunkSink>(appender, compressors(),
                                                                    chunk_bytes, stop);
                 SnapshotSession* session = sessions[worker].get();
                 return [&, sink, session](std::size_t i) {
                   session->dump(items[i], *sink);
                   if (progress != nullptr) ++progress->items_done;
                 };
               });
}

// A worker's ChunkSink for dump_content: sums each table's rows and
// checksums, drops the text.
class ContentSink final : public ChunkSink {
 public:
  explicit ContentSink(std::size_t chunk_bytes) : chunk_bytes_(chunk_bytes) {}
  void emit(Section section, std::string_view table, std::string_view /*sql*/, std::uint64_t rows,
            std::uint64_t checksum) override {
    throw_if_cancelled();
    if (section != Section::data) return;
    TableContent& t = content[std::string(table)];
    t.rows += rows;
    t.checksum += checksum;
  }
  std::size_t chunk_bytes() const override { return chunk_bytes_; }

  std::map<std::string, TableContent> content;

 private:
  std::size_t chunk_bytes_;
};

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown error";
  }
}

// The manifest's options "compress": the gzip level alone (as before zstd),
// or "zstd:LEVEL".
std::string compress_option(const BackupRequest& request) {
  if (request.codec == Codec::gzip) return std::to_string(request.compress_level);
  return fmt::format("{}:{}", codec_name(request.codec), request.compress_level);
}

}  // namespace

BackupResult run_backup(Driver& driver, Volume& volume, const CompressorFactory& compressors,
                        const BackupRequest& request, BackupProgress* progress) {
  if (request.jobs < 1) throw Error(ExitCode::usage, "--jobs must be at least 1");
  // Connect and take the snapshot before anything is written: a server that
  // cannot be reached leaves no trace in the volume.
  std::unique_ptr<DatabaseDump> dump = driver.open_dump(request.url, request.dump);
  std::vector<DataItem> items = dump->plan(request.chunk_bytes);
  std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(request.jobs),
                                              std::max<std::size_t>(items.size(), 1));
  std::vector<std::unique_ptr<SnapshotSession>> sessions = dump->share(workers);

  Manifest manifest;
  ServerInfo info = dump->server();
  manifest.server_kind = request.url.kind;
  if (auto detected = parse_kind(info.kind)) manifest.server_kind = *detected;
  manifest.server_version = info.version;
  manifest.server_name =
      request.server_name.empty() ? request.url.volume_name() : request.server_name;
  manifest.server_url = request.url.masked();
  manifest.job = request.job;
  // A globals backup connects to url.database but dumps no database.
  manifest.database = request.dump.globals ? "" : request.url.database;
  manifest.position = dump->position();
  manifest.started_at = utc_now_iso();
  manifest.options = {{"jobs", std::to_string(request.jobs)},
                      {"compress", compress_option(request)},
                      {"chunk_bytes", std::to_string(request.chunk_bytes)},
                      {"no_owner", request.dump.no_owner ? "true" : "false"},
                      {"no_privileges", request.dump.no_privileges ? "true" : "false"},
                      {"no_large_objects", request.dump.no_large_objects ? "true" : "false"}};
  if (request.dump.globals) manifest.options["globals"] = "true";

  std::string stem = new_snapshot_stem(static_cast<std::int64_t>(std::time(nullptr)));
  SnapshotKeys keys = snapshot_keys(manifest.server_name, manifest.database, stem, request.codec);
  BackupResult result;
  result.data_key = keys.data;
  result.manifest_key = keys.manifest;
  manifest.codec = request.codec;
  manifest.data_object = stem + std::string(data_suffix(request.codec));
  if (request.encrypt) {
    manifest.data_object += kEncryptedSuffix;
    result.data_key += kEncryptedSuffix;
  }
  // Writes the running manifest (host, pid, heartbeat) and renews it until stopped.
  ManifestHeartbeat heartbeat(volume, result.manifest_key, manifest);

  std::unique_ptr<Sink> sink;
  bool finishing = false;  // from here on, the data object may be visible
  try {
    sink = volume.create(result.data_key);
    std::pair<std::uint64_t, std::string> stored;  // size and sha256 of the encrypted bytes
    if (request.encrypt) {
      auto hashing = std::make_unique<HashingSink>(std::move(sink));
      hashing->seal_into(&stored);
      auto encrypting = request.encrypt(std::move(hashing));
      manifest.encryption = encrypting->encryption();
      sink = std::move(encrypting);
    }
    OrderedAppender appender(*sink, manifest, progress);
    std::atomic<bool> never_stop{false};
    CompressingChunkSink leader_sink(appender, compressors(), request.chunk_bytes, never_stop);

    if (progress != nullptr) progress->items_total = static_cast<std::uint32_t>(items.size());
    dump->pre_data(leader_sink);
    dump_data(sessions, items, appender, compressors, request.chunk_bytes, progress);
    sessions.clear();
    dump->post_data(leader_sink);
    throw_if_cancelled();

    std::tie(manifest.size, manifest.sha256) = appender.seal();
    finishing = true;
    sink->finish();  // durable and visible before the manifest says completed
    if (request.encrypt) std::tie(manifest.size, manifest.sha256) = stored;
    heartbeat.stop();
    manifest.status = SnapshotStatus::completed;
    manifest.finished_at = utc_now_iso();
    volume.put(result.manifest_key, to_json(manifest));
  } catch (...) {
    auto error = std::current_exception();
    heartbeat.stop();
    if (sink) sink->abort();
    if (finishing) {
      // No manifest says completed: the data object must not stay beside the
      // running one, where it would look like a usable (or resumable) snapshot.
      try {
        volume.remove(result.data_key);
      } catch (const std::exception& e) {
        fmt::print(stderr, "dbsnap: could not remove {} of the failed backup: {}\n",
                   result.data_key, e.what());
      }
    }
    manifest.status = SnapshotStatus::failed;
    manifest.failure = describe(error);
    manifest.finished_at = utc_now_iso();
    try {
      volume.put(result.manifest_key, to_json(manifest));
    } catch (const std::exception& e) {
      fmt::print(stderr, "dbsnap: could not record the failure in {}: {}\n", result.manifest_key,
                 e.what());
    }
    std::rethrow_exception(error);
  }
  result.manifest = std::move(manifest);
  return result;
}

std::map<std::string, TableContent> dump_content(Driver& driver, const BackupRequest& request) {
  std::unique_ptr<DatabaseDump> dump = driver.open_dump(request.url, request.dump);
  std::vector<DataItem> items = dump->plan(request.chunk_bytes);
  std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(std::max(request.jobs, 1)),
                                              std::max<std::size_t>(items.size(), 1));
  std::vector<std::unique_ptr<SnapshotSession>> sessions = dump->share(workers);
  std::vector<ContentSink> sinks(workers, ContentSink(request.chunk_bytes));
  run_parallel(
      workers, items.size(), [&](std::size_t worker, const std::atomic<bool>&) -> ItemHandler {
        return [&, worker](std::size_t i) { sessions[worker]->dump(items[i], sinks[worker]); };
      });
  std::map<std::string, TableContent> out;
  for (const auto& sink : sinks)
    for (const auto& [table, t] : sink.content) {
      out[table].rows += t.rows;
      out[table].checksum += t.checksum;
    }
  return out;
}

std::vector<std::string> content_mismatches(const Manifest& m,
                                            const std::map<std::string, TableContent>& found) {
  std::vector<std::string> out;
  for (const auto& [table, checksum] : m.checksums) {
    auto rows = m.tables.find(table);
    TableContent want{rows == m.tables.end() ? 0 : rows->second, checksum};
    auto it = found.find(table);
    TableContent got = it == found.end() ? TableContent{} : it->second;
    if (got != want)
      out.push_back(fmt::format(
          "table {} differs: {} rows, checksum {:016x} in the snapshot; {} rows, checksum "
          "{:016x} restored",
          table, want.rows, want.checksum, got.rows, got.checksum));
  }
  return out;
}

}  // namespace dbsnap
