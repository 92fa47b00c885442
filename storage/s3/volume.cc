#include "storage/s3/volume.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "engine/error.h"
#include "storage/s3/sink.h"

namespace dbsnap {

S3Url S3Url::parse(const std::string& url) {
  constexpr std::string_view kScheme = "s3://";
  if (!url.starts_with(kScheme))
    throw Error(ExitCode::usage, fmt::format("'{}' is not an s3://bucket/prefix URL", url));
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  std::size_t slash = rest.find('/');
  S3Url out{std::string(rest.substr(0, slash)), ""};
  if (out.bucket.empty())
    throw Error(ExitCode::usage, fmt::format("s3 URL '{}' names no bucket", url));
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash + 1);
    while (prefix.starts_with('/')) prefix.remove_prefix(1);
    out.prefix = prefix;
    if (!out.prefix.empty() && !out.prefix.ends_with('/')) out.prefix += '/';
  }
  return out;
}

S3Volume::S3Volume(const S3Url& url, S3Options options)
    : client_(url.bucket, std::move(options)), prefix_(url.prefix) {}

std::string S3Volume::object_key(const std::string& key) const {
  if (key.empty() || key.starts_with('/'))
    throw Error(ExitCode::usage,
                fmt::format("invalid key '{}': must be non-empty and relative to the volume", key));
  return prefix_ + key;
}

std::unique_ptr<Sink> S3Volume::create(const std::string& key) {
  return std::make_unique<S3Sink>(client_, object_key(key));
}

void S3Volume::put(const std::string& key, std::string_view bytes) {
  client_.put_object(object_key(key), std::as_bytes(std::span(bytes.data(), bytes.size())));
}

bool S3Volume::put_if_absent(const std::string& key, std::string_view bytes) {
  return client_.put_object_if_absent(object_key(key),
                                      std::as_bytes(std::span(bytes.data(), bytes.size())));
}

std::string S3Volume::get(const std::string& key) { return client_.get_object(object_key(key)); }

std::string S3Volume::read(const std::string& key, std::uint64_t offset, std::uint64_t length) {
  std::string object = object_key(key);
  if (length > 0) return client_.get_range(object, offset, length);
  if (!client_.head_object(object))
    throw Error(ExitCode::io_error,
                fmt::format("object s3://{}/{} does not exist", client_.bucket(), object));
  return "";
}

std::vector<std::string> S3Volume::list(const std::string& prefix) {
  std::vector<std::string> keys;
  std::string token;
  do {
    S3ListPage page = client_.list_objects(prefix_ + prefix, token);
    for (S3Object& object : page.objects)
      if (object.key.starts_with(prefix_)) keys.push_back(object.key.substr(prefix_.size()));
    token = std::move(page.next_token);
  } while (!token.empty());
  return keys;
}

void S3Volume::remove(const std::string& key) { client_.delete_object(object_key(key)); }

void S3Volume::remove_many(std::span<const std::string> keys) {
  for (std::size_t at = 0; at < keys.size(); at += kMaxDeleteKeys) {
    std::vector<std::string> batch;
    for (const auto& key : keys.subspan(at, std::min(kMaxDeleteKeys, keys.size() - at)))
      batch.push_back(object_key(key));
    client_.delete_objects(batch);
  }
}

std::string S3Volume::describe() const {
  std::string url = fmt::format("s3://{}/{}", client_.bucket(), prefix_);
  if (client_.options().endpoint.empty()) return url;
  return fmt::format("{} at {}", url, client_.endpoint());
}

std::unique_ptr<Volume> open_s3_volume(const std::string& url, const S3Options& options) {
  return std::make_unique<S3Volume>(S3Url::parse(url), options);
}

}  // namespace dbsnap
