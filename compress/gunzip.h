// The decompression stages of verify and restore (engine/compressor.h):
// dbsnap's own chunks through libdeflate, foreign gzip files through zlib.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "compress/gzip.h"
#include "engine/compressor.h"

namespace dbsnap {

// A chunk of a dbsnap snapshot: one or more complete gzip members (RFC 1952
// section 2.2), each inflated whole by GzipDecompressor; checksum() is the
// CRC-32 of gzip.h, as the backup recorded it. One per thread.
class GzipChunkDecompressor final : public Decompressor {
 public:
  std::uint32_t checksum(std::span<const std::byte> stored) override;
  // Throws dbsnap::Error(ExitCode::verify_failed) for an empty chunk or a
  // corrupt or truncated member (bad deflate data, CRC or ISIZE).
  void decompress_chunk(std::span<const std::byte> stored, std::string& out,
                        std::size_t raw_size) override;

 private:
  GzipDecompressor members_;
};

// Any gzip file (gzip, pigz, pg_dump | gzip: RFC 1952 members of any size,
// concatenated), inflated incrementally by zlib with bounded memory.
// One per stream.
class GunzipStream final : public StreamDecompressor {
 public:
  GunzipStream();
  ~GunzipStream() override;
  GunzipStream(const GunzipStream&) = delete;
  GunzipStream& operator=(const GunzipStream&) = delete;

  // Throws dbsnap::Error(ExitCode::verify_failed) naming zlib's reason for
  // corrupt data or bytes after a member that do not start another one.
  void feed(std::span<const std::byte> in, std::string& out) override;
  // Throws dbsnap::Error(ExitCode::verify_failed) if the file ends inside a member.
  void finish() override;

 private:
  z_stream z_{};
  bool in_member_ = false;  // a member has started and not yet ended
};

// True if bytes start with the gzip magic number (RFC 1952 section 2.3.1: 1f 8b).
bool looks_gzipped(std::span<const std::byte> bytes);

}  // namespace dbsnap
