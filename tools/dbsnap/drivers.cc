#include "tools/dbsnap/drivers.h"

#include <fmt/format.h>

#include <charconv>

#include "compress/gunzip.h"
#include "compress/zstd.h"
#include "engine/error.h"
#include "engine/name_pattern.h"
#include "protocols/mysql/driver.h"
#include "protocols/mysql/restore.h"
#include "protocols/postgres/driver.h"
#include "protocols/postgres/restore.h"

namespace dbsnap::cli {

std::unique_ptr<Driver> driver_for(const ServerUrl& url) {
  if (url.kind == ServerKind::postgres) return pg::make_pg_driver();
  return mysql::make_mysql_driver();
}

std::vector<std::string> select_databases(Driver& driver, const ServerUrl& url,
                                          const std::vector<std::string>& exclude) {
  if (!url.database.empty()) return {url.database};
  PatternDialect dialect = pattern_dialect(url.kind);
  std::vector<NamePattern> patterns;
  patterns.reserve(exclude.size());
  for (const auto& text : exclude) patterns.push_back(NamePattern::database(text, dialect));
  std::vector<std::string> databases = exclude_databases(driver.databases(url), patterns);
  if (databases.empty())
    throw Error(ExitCode::database_missing,
                fmt::format("{} has no user databases to back up{}", url.masked(),
                            exclude.empty() ? "" : " that no exclude pattern matches"));
  return databases;
}

std::unique_ptr<RestoreTarget> make_target(const ServerUrl& url, const std::string& database,
                                           bool binlog) {
  if (url.kind == ServerKind::postgres) return pg::make_pg_restore_target(url, database);
  return mysql::make_my_restore_target(url, database, {binlog});
}

std::unique_ptr<RestoreTarget> make_globals_target(const ServerUrl& url,
                                                   const std::string& database) {
  ServerUrl server = url;
  if (!database.empty()) server.database = database;
  return pg::make_pg_globals_target(server);
}

void check_kind(const Manifest& m, const ServerUrl& url) {
  bool source_pg = m.server_kind == ServerKind::postgres;
  if (source_pg != (url.kind == ServerKind::postgres))
    throw Error(ExitCode::usage,
                fmt::format("a {} snapshot cannot be restored into {} ({})",
                            kind_name(m.server_kind), url.kind_name(), url.masked()));
}

Compression parse_compression(std::string_view text) {
  struct Range {
    Codec codec;
    int min, fast, fallback, max;
  };
  static constexpr Range kGzip{Codec::gzip, kMinCompressLevel, 1, kDefaultCompressLevel,
                               kMaxCompressLevel};
  static constexpr Range kZstd{Codec::zstd, kMinZstdLevel, kMinZstdLevel, kDefaultZstdLevel,
                               kMaxZstdLevel};
  std::string_view level = text;
  Range range = kGzip;
  for (const Range& r : {kGzip, kZstd}) {
    std::string_view name = codec_name(r.codec);
    if (level == name || (level.starts_with(name) && level.substr(name.size()).starts_with(":"))) {
      range = r;
      level = level == name ? "default" : level.substr(name.size() + 1);
    }
  }
  Compression c{range.codec, level == "fast"   ? range.fast
                             : level == "best" ? range.max
                                               : range.fallback};
  if (level == "fast" || level == "default" || level == "best") return c;
  auto [end, ec] = std::from_chars(level.data(), level.data() + level.size(), c.level);
  if (ec != std::errc() || end != level.data() + level.size() || c.level < range.min ||
      c.level > range.max)
    throw Error(ExitCode::usage,
                fmt::format("'{}' is not [gzip:]0..12 or zstd[:1..19] (a level may also be "
                            "fast, default or best)",
                            text));
  return c;
}

CompressorFactory compressors_for(const Compression& c) {
  return [c]() -> std::unique_ptr<Compressor> {
    if (c.codec == Codec::zstd) return std::make_unique<ZstdCompressor>(c.level);
    return std::make_unique<GzipCompressor>(c.level);
  };
}

DecompressorFactory chunk_decompressors(Codec codec) {
  if (codec == Codec::zstd) return [] { return std::make_unique<ZstdChunkDecompressor>(); };
  return [] { return std::make_unique<GzipChunkDecompressor>(); };
}

std::unique_ptr<StreamDecompressor> script_decompressor(std::string_view name,
                                                        std::span<const std::byte> head) {
  if (looks_gzipped(head)) return std::make_unique<GunzipStream>();
  if (looks_zstd(head)) return std::make_unique<ZstdStream>();
  for (auto [suffix, codec, magic] :
       {std::tuple{".gz", "gzip", "1f 8b"}, std::tuple{".zst", "zstd", "28 b5 2f fd"}})
    if (name.ends_with(suffix))
      throw Error(ExitCode::verify_failed,
                  fmt::format("'{}' is not a {} file (it does not start with the {} magic "
                              "bytes {}); nothing was restored",
                              name, codec, codec, magic));
  return nullptr;
}

}  // namespace dbsnap::cli
