// AgeSink: a data object's sink that stores it as one age v1 file.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/backup.h"
#include "storage/age/age.h"

namespace dbsnap::age {

// Encrypts what is written to it to recipients and writes the age file
// (header and nonce first, then sealed 64 KiB STREAM chunks) to next, which
// it owns. Memory: one chunk of plaintext and the ciphertext of one write.
// finish() seals the last chunk, then finishes next; abort() aborts next.
// Not thread-safe; callers serialise.
class AgeSink final : public EncryptingSink {
 public:
  AgeSink(std::unique_ptr<Sink> next, const std::vector<X25519Recipient>& recipients);
  AgeSink(const AgeSink&) = delete;
  AgeSink& operator=(const AgeSink&) = delete;

  void write(std::span<const std::byte> bytes) override;
  void finish() override;
  void abort() noexcept override;
  // {"age-v1", header length H, 64 KiB}: what ranged reads need, no secret.
  Encryption encryption() const override;

 private:
  void flush();

  std::unique_ptr<Sink> next_;
  AgeEncryptor encryptor_;
  std::string out_;  // ciphertext not yet written to next_
};

}  // namespace dbsnap::age
