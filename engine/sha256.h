// Incremental SHA-256 (FIPS 180-4) over OpenSSL's EVP interface.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <span>
#include <string>

namespace dbsnap {

// Not thread-safe; one stream per instance.
class Sha256 {
 public:
  Sha256();
  void update(std::span<const std::byte> bytes);
  // Lowercase hex digest of everything updated so far; ends the stream.
  std::string hex_digest();

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

}  // namespace dbsnap
