// gzip members via libdeflate.
#pragma once

#include <libdeflate.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/compressor.h"

namespace dbsnap {

constexpr int kMinCompressLevel = 0;   // stored blocks, still a valid gzip member
constexpr int kMaxCompressLevel = 12;  // libdeflate's slowest, smallest
// The fastest level whose output is no larger than gzip -6's on every data set
// of bench/compare (bench/RESULTS.md "Compression levels"): at 1..6 libdeflate
// is 1-2.5 % larger than gzip -6 on pgbench's repetitive rows; 7 costs the
// same CPU as 6 on random rows.
constexpr int kDefaultCompressLevel = 7;

// CRC-32 (the gzip/zlib polynomial, RFC 1952 section 8) of bytes, continuing from crc.
std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t crc = 0);

// Compresses each input into exactly one complete gzip member (RFC 1952),
// so outputs can be concatenated in any order and still decompress with
// gunzip. level is 0..12 (libdeflate levels; 6 is gzip -6's ratio).
// Throws std::invalid_argument for a level outside 0..12. One per thread.
class GzipCompressor final : public Compressor {
 public:
  explicit GzipCompressor(int level);
  ~GzipCompressor() override;
  GzipCompressor(const GzipCompressor&) = delete;
  GzipCompressor& operator=(const GzipCompressor&) = delete;

  // Replaces out with one gzip member holding raw; returns crc32(out).
  std::uint32_t compress(std::string_view raw, std::vector<std::byte>& out) override;

 private:
  libdeflate_compressor* c_;
};

// Decompresses one gzip member starting at in. Returns the bytes of in the
// member used; appends the decompressed text to out. Throws dbsnap::Error
// (ExitCode::verify_failed) if the member is corrupt or its CRC/ISIZE does not
// match. Used by verify and restore. One per thread.
class GzipDecompressor {
 public:
  GzipDecompressor();
  ~GzipDecompressor();
  GzipDecompressor(const GzipDecompressor&) = delete;
  GzipDecompressor& operator=(const GzipDecompressor&) = delete;

  // raw_size: the member's decompressed size if known (from the manifest), else 0
  // (then the output buffer grows until the member fits).
  std::size_t decompress_member(std::span<const std::byte> in, std::string& out,
                                std::size_t raw_size = 0);

 private:
  libdeflate_decompressor* d_;
};

}  // namespace dbsnap
