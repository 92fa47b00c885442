// zstd frames via libzstd (RFC 8878), the second codec beside gzip.h.
#pragma once

#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compressor.h"

namespace dbsnap {

constexpr int kMinZstdLevel = 1;
constexpr int kMaxZstdLevel = 19;  // beyond 19 zstd wants --ultra and window-sized memory
// Measured on 4 MiB chunks (bench/RESULTS.md "zstd levels"): level 1 is both
// faster and smaller than zstd's own default 3 on sysbench rows (0.93x vs
// 1.03x gzip -6's size) and on pagila (1.04x vs 1.06x).
constexpr int kDefaultZstdLevel = 1;

// Compresses each input into exactly one zstd frame (RFC 8878 section 3.1.1)
// with its content size and content checksum, so frames from different
// workers concatenate into one file that `zstd -dc` reads whole. level is
// 1..19. Throws std::invalid_argument for a level outside it. One per thread.
class ZstdCompressor final : public Compressor {
 public:
  explicit ZstdCompressor(int level);
  ~ZstdCompressor() override;
  ZstdCompressor(const ZstdCompressor&) = delete;
  ZstdCompressor& operator=(const ZstdCompressor&) = delete;

  // Replaces out with one frame holding raw; returns crc32(out) (gzip.h).
  std::uint32_t compress(std::string_view raw, std::vector<std::byte>& out) override;

 private:
  ZSTD_CCtx* c_;
};

// A chunk of a zstd snapshot: one or more complete frames, decompressed in one
// call into a buffer of raw_size bytes (the manifest's raw_bytes: for zstd an
// exact size, not a hint). checksum() is crc32 (gzip.h) of the stored bytes.
// One per thread.
class ZstdChunkDecompressor final : public Decompressor {
 public:
  ZstdChunkDecompressor();
  ~ZstdChunkDecompressor() override;
  ZstdChunkDecompressor(const ZstdChunkDecompressor&) = delete;
  ZstdChunkDecompressor& operator=(const ZstdChunkDecompressor&) = delete;

  std::uint32_t checksum(std::span<const std::byte> stored) override;
  // Throws dbsnap::Error(ExitCode::verify_failed) for an empty chunk, corrupt
  // or truncated frames, a content checksum mismatch, or more text than raw_size.
  void decompress_chunk(std::span<const std::byte> stored, std::string& out,
                        std::size_t raw_size) override;

 private:
  ZSTD_DCtx* d_;
};

// Any zstd file (zstd, pg_dump | zstd: frames of any size, concatenated,
// skippable frames skipped), decompressed incrementally with bounded memory
// (zstd's window, at most 128 MiB: ZSTD_d_windowLogMax 27). One per stream.
class ZstdStream final : public StreamDecompressor {
 public:
  ZstdStream();
  ~ZstdStream() override;
  ZstdStream(const ZstdStream&) = delete;
  ZstdStream& operator=(const ZstdStream&) = delete;

  // Throws dbsnap::Error(ExitCode::verify_failed) naming zstd's reason.
  void feed(std::span<const std::byte> in, std::string& out) override;
  // Throws dbsnap::Error(ExitCode::verify_failed) if the file ends inside a frame.
  void finish() override;

 private:
  ZSTD_DStream* d_;
  bool in_frame_ = false;  // a frame has started and not yet ended
};

// True if bytes start with a zstd frame's magic number (RFC 8878 section
// 3.1.1: 28 b5 2f fd, little-endian 0xFD2FB528).
bool looks_zstd(std::span<const std::byte> bytes);

}  // namespace dbsnap
