// AgeVolume: a view of a volume in which encrypted data objects read as
// their plaintext, by ranged reads of only the STREAM chunks that cover it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/volume.h"
#include "storage/age/age.h"

namespace dbsnap::age {

// Objects whose key ends in ".age" are age v1 files: read(key, offset,
// length) returns plaintext bytes [offset, offset + length) (fewer when the
// plaintext ends first), fetched by one ranged read of inner covering the
// chunks that hold them (plus one byte, to know the last chunk), each
// authenticated before any of its bytes is returned; get() decrypts the
// whole object as a stream. Every other call, and every other key, goes to
// inner unchanged.
//
// The header of each object is read once (its payload key is kept, wiped on
// destruction). Errors: AgeError(no_match) (usage) when no identity opens
// the object; AgeError(header) or AgeError(payload) (verify_failed) naming
// the key, the STREAM chunk and its ciphertext bytes for a malformed,
// altered, reordered or truncated file; what inner throws. Messages hold no
// key material. Thread-safe as far as inner is. inner must outlive this.
class AgeVolume final : public Volume {
 public:
  AgeVolume(Volume& inner, std::vector<Identity> identities);
  AgeVolume(const AgeVolume&) = delete;
  AgeVolume& operator=(const AgeVolume&) = delete;

  std::unique_ptr<Sink> create(const std::string& key) override { return inner_.create(key); }
  void put(const std::string& key, std::string_view bytes) override { inner_.put(key, bytes); }
  bool put_if_absent(const std::string& key, std::string_view bytes) override {
    return inner_.put_if_absent(key, bytes);
  }
  std::string get(const std::string& key) override;
  std::string read(const std::string& key, std::uint64_t offset, std::uint64_t length) override;
  std::vector<std::string> list(const std::string& prefix) override { return inner_.list(prefix); }
  void remove(const std::string& key) override { inner_.remove(key); }
  void remove_many(std::span<const std::string> keys) override { inner_.remove_many(keys); }
  std::string describe() const override { return inner_.describe(); }

  // Whether key names an age file (ends in ".age").
  static bool encrypted(std::string_view key);

 private:
  struct Opened {
    std::uint64_t header_bytes = 0;
    PayloadKey key;
  };
  const Opened& open(const std::string& key);

  Volume& inner_;
  std::vector<Identity> identities_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Opened>> opened_;
};

}  // namespace dbsnap::age
