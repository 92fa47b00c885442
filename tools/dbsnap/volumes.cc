#include "tools/dbsnap/volumes.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/error.h"
#include "engine/snapshots.h"
#include "storage/local/volume.h"
#include "storage/s3/volume.h"
#include "tools/dbsnap/config.h"

namespace dbsnap::cli {

void add_volume_options(CLI::App* cmd, VolumeOptions& o) {
  cmd->add_option("--endpoint", o.endpoint,
                  "S3 endpoint, e.g. https://s3.example.com (default: AWS)");
  cmd->add_option("--region", o.region, "S3 region (default: AWS_REGION or us-east-1)");
  cmd->add_flag("--insecure", o.insecure, "S3: do not verify the TLS certificate");
  cmd->add_option("--upload-parallel", o.upload_parallel, "S3: multipart parts uploaded at once")
      ->check(CLI::Range(1, 64));
}

std::unique_ptr<Volume> open_volume(const std::string& spec, const VolumeOptions& o) {
  if (spec.rfind("s3://", 0) == 0) {
    S3Options s3;
    s3.endpoint = o.endpoint;
    s3.region = o.region;
    s3.insecure = o.insecure;
    s3.upload_parallel = o.upload_parallel;
    s3.access_key = o.access_key;
    s3.secret_key = o.secret_key;
    return open_s3_volume(spec, s3);
  }
  return std::make_unique<LocalVolume>(spec);
}

std::unique_ptr<Volume> open_volume_arg(const std::string& arg, VolumeOptions options) {
  std::string spec = resolve_volume(arg, options);
  return open_volume(spec, options);
}

bool volume_has(Volume& volume, const std::string& key) {
  auto keys = volume.list(key);
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

namespace {

std::string without_trailing_slash(std::string url) {
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

// A SNAPSHOT argument as a path or URL: "NAME/path" for a [volumes] entry NAME
// becomes its url + "/path". The entry the result lies in (if any) fills
// options (resolve_volume).
std::string resolve_snapshot_arg(const std::string& arg, VolumeOptions& options) {
  auto slash = arg.find('/');
  if (slash != std::string::npos && slash > 0 && is_volume_name(arg.substr(0, slash)))
    return without_trailing_slash(resolve_volume(arg.substr(0, slash), options)) +
           arg.substr(slash);
  for (const auto& [name, entry] : config().volumes) {
    std::string url = without_trailing_slash(entry.url);
    if (!url.empty() && arg.starts_with(url + "/")) {
      resolve_volume(name, options);
      break;
    }
  }
  return arg;
}

}  // namespace

LocatedSnapshot locate_snapshot(const std::string& snapshot, const VolumeOptions& given) {
  VolumeOptions options = given;
  const std::string arg = resolve_snapshot_arg(snapshot, options);
  auto slash = arg.rfind('/');
  bool s3 = arg.rfind("s3://", 0) == 0;
  if (s3 && (slash == std::string::npos || slash < 5))
    throw Error(ExitCode::usage,
                fmt::format("'{}' names no snapshot: use s3://bucket/prefix/<stem>", arg));
  std::string dir = slash == std::string::npos ? "." : arg.substr(0, slash);
  if (dir.empty()) dir = "/";
  std::string name = slash == std::string::npos ? arg : arg.substr(slash + 1);
  LocatedSnapshot l{open_volume(dir, options), "", "", options.identity};
  auto exists = [&](const std::string& file) { return volume_has(*l.volume, file); };
  if (name.ends_with(kManifestSuffix)) {
    l.manifest = name;
    return l;
  }
  if (auto manifest = find_manifest(*l.volume, name)) {
    l.manifest = *manifest;
    return l;
  }
  std::string stem(strip_data_suffix(name).value_or(name));
  if (name.ends_with(".sql") || name.ends_with(".gz") || name.ends_with(".zst")) {
    if (!exists(name)) throw Error(ExitCode::io_error, fmt::format("no file at '{}'", arg));
    l.script = name;
    return l;
  }
  if (exists(stem + std::string(data_suffix(Codec::gzip))) ||
      exists(stem + std::string(data_suffix(Codec::zstd))))
    throw Error(ExitCode::verify_failed,
                fmt::format("snapshot '{}' has no manifest: '{}{}' is missing; without it the "
                            "snapshot cannot be checked or restored in parallel (give the .sql.gz "
                            "or .sql.zst file itself to restore it as a plain script)",
                            arg, arg, kManifestSuffix));
  throw Error(ExitCode::io_error, fmt::format("no snapshot at '{}': expected '{}{}' or a .sql, "
                                              ".sql.gz or .sql.zst file",
                                              arg, arg, kManifestSuffix));
}

}  // namespace dbsnap::cli
