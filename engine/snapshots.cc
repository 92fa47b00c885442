#include "engine/snapshots.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <random>
#include <set>

#include "engine/error.h"
#include "engine/verify_record.h"

namespace dbsnap {
namespace {

std::string_view without_suffix(std::string_view key, std::string_view suffix) {
  return key.ends_with(suffix) ? key.substr(0, key.size() - suffix.size()) : key;
}

std::string_view directory_of(std::string_view key) {
  auto slash = key.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : key.substr(0, slash + 1);
}

}  // namespace

std::string new_snapshot_stem(std::int64_t now_unix) {
  std::random_device rd;
  return fmt::format("{:%Y%m%dT%H%M%SZ}-{:06x}", fmt::gmtime(static_cast<std::time_t>(now_unix)),
                     rd() & 0xffffffu);
}

std::string_view data_suffix(Codec codec) { return codec == Codec::zstd ? ".sql.zst" : ".sql.gz"; }

SnapshotKeys snapshot_keys(std::string_view server_name, std::string_view database,
                           std::string_view stem, Codec codec) {
  std::string dir =
      fmt::format("{}/{}/{}", server_name, database.empty() ? kGlobalsDirectory : database, stem);
  return {dir + std::string(kManifestSuffix), dir + std::string(data_suffix(codec))};
}

std::optional<std::string_view> strip_data_suffix(std::string_view name) {
  for (auto codec : {Codec::gzip, Codec::zstd})
    if (name.ends_with(data_suffix(codec)))
      return name.substr(0, name.size() - data_suffix(codec).size());
  return std::nullopt;
}

bool is_globals(const Manifest& m) {
  auto it = m.options.find("globals");
  return it != m.options.end() && it->second == "true";
}

std::string snapshot_name(std::string_view manifest_key) {
  return std::string(without_suffix(manifest_key, kManifestSuffix));
}

std::optional<std::string> find_manifest(Volume& volume, std::string_view name) {
  std::string_view base = without_suffix(without_suffix(name, kManifestSuffix), kEncryptedSuffix);
  std::string stem(strip_data_suffix(base).value_or(base));
  std::string key = stem + std::string(kManifestSuffix);
  for (const auto& k : volume.list(key))
    if (k == key) return key;
  return std::nullopt;
}

SnapshotListing list_snapshots(Volume& volume, std::int64_t now_unix) {
  SnapshotListing out;
  std::vector<std::string> keys = volume.list("");
  std::set<std::string, std::less<>> present(keys.begin(), keys.end());
  const std::string this_host = this_host_name();
  for (const auto& key : keys) {
    if (!key.ends_with(kManifestSuffix)) continue;
    SnapshotEntry e;
    try {
      e.manifest = parse_manifest(volume.get(key));
    } catch (const Error& err) {  // malformed, or deleted since the listing
      out.skipped.push_back(fmt::format("{}: {}", key, err.what()));
      continue;
    }
    e.name = snapshot_name(key);
    e.keys = {key, std::string(directory_of(key)) + e.manifest.data_object};
    e.status = effective_status(e.manifest, this_host, now_unix);
    if (e.status == SnapshotStatus::completed && !present.contains(e.keys.data))
      e.status = SnapshotStatus::data_missing;
    e.started_unix = parse_utc_iso(e.manifest.started_at);
    if (std::string record = e.name + std::string(kVerifySuffix); present.contains(record)) {
      try {
        e.verification = parse_verify_record(volume.get(record));
      } catch (const Error& err) {
        out.skipped.push_back(fmt::format("{}: {}", record, err.what()));
      }
    }
    out.snapshots.push_back(std::move(e));
  }
  std::sort(out.snapshots.begin(), out.snapshots.end(),
            [](const SnapshotEntry& x, const SnapshotEntry& y) {
              return x.manifest.started_at != y.manifest.started_at
                         ? x.manifest.started_at > y.manifest.started_at
                         : x.name > y.name;
            });
  return out;
}

bool SnapshotFilter::matches(const Manifest& m) const {
  return (job.empty() || m.job == job) && (server.empty() || m.server_name == server) &&
         (database.empty() || m.database == database);
}

void delete_snapshots(Volume& volume, std::span<const SnapshotEntry> snapshots) {
  std::vector<std::string> data, manifests;
  for (const auto& s : snapshots) {
    if (!s.manifest.data_object.empty()) data.push_back(s.keys.data);
    data.push_back(s.name + std::string(kVerifySuffix));
    manifests.push_back(s.keys.manifest);
  }
  volume.remove_many(data);
  volume.remove_many(manifests);
}

}  // namespace dbsnap
