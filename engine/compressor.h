// The compression stage as the engine sees it (implemented in compress/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace dbsnap {

// Turns one chunk of SQL text into one or more complete gzip members
// (RFC 1952 section 2.2: members may be concatenated; gunzip reads them all).
//
// compress() replaces the contents of out with the member bytes and returns
// the CRC-32 (ISO-HDLC, as zlib's crc32) of those compressed bytes, which the
// manifest records per chunk. One instance per thread: not thread-safe.
class Compressor {
 public:
  virtual ~Compressor() = default;
  virtual std::uint32_t compress(std::string_view raw, std::vector<std::byte>& out) = 0;
};

// Makes a compressor per worker thread; called from the coordinating thread.
using CompressorFactory = std::function<std::unique_ptr<Compressor>()>;

}  // namespace dbsnap
