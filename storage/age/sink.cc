#include "storage/age/sink.h"

#include <string_view>
#include <utility>

namespace dbsnap::age {

AgeSink::AgeSink(std::unique_ptr<Sink> next, const std::vector<X25519Recipient>& recipients)
    : next_(std::move(next)), encryptor_(recipients) {}

void AgeSink::write(std::span<const std::byte> bytes) {
  encryptor_.update(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                    out_);
  flush();
}

void AgeSink::finish() {
  encryptor_.finish(out_);
  flush();
  next_->finish();
}

void AgeSink::abort() noexcept { next_->abort(); }

Encryption AgeSink::encryption() const {
  return {std::string(kAgeFormat), encryptor_.prefix_bytes() - kNonceBytes, kChunkBytes};
}

void AgeSink::flush() {
  if (out_.empty()) return;
  next_->write(std::as_bytes(std::span(out_.data(), out_.size())));
  out_.clear();
}

}  // namespace dbsnap::age
