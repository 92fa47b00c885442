#include "storage/age/volume.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <utility>

namespace dbsnap::age {
namespace {

constexpr std::uint64_t kHeaderProbeBytes = 4096;    // the first read of a header
constexpr std::uint64_t kStreamReadBytes = 4 << 20;  // per read of get()

}  // namespace

AgeVolume::AgeVolume(Volume& inner, std::vector<Identity> identities)
    : inner_(inner), identities_(std::move(identities)) {}

bool AgeVolume::encrypted(std::string_view key) { return key.ends_with(".age"); }

const AgeVolume::Opened& AgeVolume::open(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (auto it = opened_.find(key); it != opened_.end()) return *it->second;
  std::string prefix;
  std::optional<std::size_t> header;
  try {
    for (std::uint64_t want = kHeaderProbeBytes;; want *= 2) {
      prefix = inner_.read(key, 0, want);
      header = header_length(prefix);
      if (header && prefix.size() >= *header + kNonceBytes) break;
      if (prefix.size() < want || want > kMaxHeaderBytes)
        throw AgeError(Failure::header, "the age header is truncated");
    }
    auto opened = std::make_unique<Opened>();
    opened->header_bytes = *header;
    opened->key = payload_key(prefix, identities_);
    return *opened_.emplace(key, std::move(opened)).first->second;
  } catch (const AgeError& e) {
    throw AgeError(e.failure(), fmt::format("'{}': {}", key, e.what()));
  }
}

std::string AgeVolume::read(const std::string& key, std::uint64_t offset, std::uint64_t length) {
  if (!encrypted(key)) return inner_.read(key, offset, length);
  const Opened& o = open(key);
  if (length == 0) return {};
  const std::uint64_t first = chunk_index(offset);
  const std::uint64_t last = chunk_index(offset + length - 1);
  const std::uint64_t start = chunk_offset(o.header_bytes, first);
  // One byte past the covering chunks tells whether the last of them ends the file.
  std::string sealed = inner_.read(key, start, chunk_offset(o.header_bytes, last + 1) - start + 1);
  std::string plain;
  plain.reserve(std::min<std::uint64_t>(sealed.size(), (last - first + 1) * kChunkBytes));
  std::size_t pos = 0;
  for (std::uint64_t i = first; i <= last && pos < sealed.size(); ++i) {
    std::string_view chunk = std::string_view(sealed).substr(pos, kSealedChunkBytes);
    bool final = pos + chunk.size() >= sealed.size();  // nothing follows it
    auto where = [&] {
      return fmt::format("'{}': age payload chunk {} (ciphertext bytes {}+{})", key, i, start + pos,
                         chunk.size());
    };
    if (chunk.size() < kTagBytes)
      throw AgeError(Failure::payload,
                     fmt::format("{} is truncated: the file is cut short", where()));
    try {
      plain += decrypt_chunk(o.key, i, final, chunk);
    } catch (const AgeError&) {
      throw AgeError(Failure::payload,
                     fmt::format("{} failed authentication: the file is altered, truncated or "
                                 "its chunks reordered",
                                 where()));
    }
    pos += chunk.size();
  }
  const std::uint64_t skip = offset - first * kChunkBytes;
  if (skip >= plain.size()) return {};
  plain.erase(0, skip);
  if (plain.size() > length) plain.resize(length);
  return plain;
}

std::string AgeVolume::get(const std::string& key) {
  if (!encrypted(key)) return inner_.get(key);
  AgeDecryptor decryptor(identities_);
  std::string out;
  try {
    for (std::uint64_t offset = 0;;) {
      std::string block = inner_.read(key, offset, kStreamReadBytes);
      if (block.empty()) break;
      offset += block.size();
      decryptor.update(block, out);
    }
    decryptor.finish(out);
  } catch (const AgeError& e) {
    throw AgeError(e.failure(), fmt::format("'{}': {}", key, e.what()));
  }
  return out;
}

}  // namespace dbsnap::age
