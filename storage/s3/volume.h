// A Volume on an S3 bucket prefix: s3://bucket/prefix.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/volume.h"
#include "storage/s3/client.h"

namespace dbsnap {

// Bucket and key prefix of an "s3://bucket[/prefix]" URL. The prefix is empty
// or ends with '/' ("s3://b/backups" and "s3://b/backups/" both give
// "backups/"). Throws Error(ExitCode::usage) for another scheme or no bucket.
struct S3Url {
  std::string bucket;
  std::string prefix;
  static S3Url parse(const std::string& url);
};

// Keys map to objects "<prefix><key>" in the bucket. create() returns an
// S3Sink (one PUT or a multipart upload; nothing is visible until finish());
// put() is one PutObject, which S3 applies atomically; get() and read() are
// GetObject (read() with a Range); list() is ListObjectsV2 with continuation;
// remove() is DeleteObject, remove_many() DeleteObjects.
//
// A key must be non-empty and must not start with '/'; otherwise
// Error(ExitCode::usage). Failures throw the client's errors
// (storage/s3/client.h): io_error naming the object and the operation,
// access_denied for authentication and permissions, and the transport codes.
// Thread-safe; sinks from create() borrow the volume's client, so the volume
// must outlive them.
class S3Volume final : public Volume {
 public:
  // Checks options and resolves credentials; sends nothing yet.
  S3Volume(const S3Url& url, S3Options options);

  std::unique_ptr<Sink> create(const std::string& key) override;
  void put(const std::string& key, std::string_view bytes) override;
  // PutObject with "If-None-Match: *" (S3Client::put_object_if_absent).
  bool put_if_absent(const std::string& key, std::string_view bytes) override;
  // A missing object throws "object s3://bucket/prefix/key does not exist".
  std::string get(const std::string& key) override;
  std::string read(const std::string& key, std::uint64_t offset, std::uint64_t length) override;
  // Keys (relative to the volume prefix) of objects whose key starts with prefix.
  std::vector<std::string> list(const std::string& prefix) override;
  // DeleteObject; deleting a missing object succeeds.
  void remove(const std::string& key) override;
  // DeleteObjects in batches of kMaxDeleteKeys.
  void remove_many(std::span<const std::string> keys) override;
  // "s3://bucket/prefix", plus " at <endpoint>" for a non-AWS endpoint.
  std::string describe() const override;

 private:
  std::string object_key(const std::string& key) const;

  S3Client client_;
  std::string prefix_;
};

// An S3Volume for url ("s3://bucket/prefix"); errors as S3Url::parse and S3Volume.
std::unique_ptr<Volume> open_s3_volume(const std::string& url, const S3Options& options);

}  // namespace dbsnap
