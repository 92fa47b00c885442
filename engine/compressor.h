// The compression stage as the engine sees it (implemented in compress/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dbsnap {

// How a snapshot's chunks are compressed: gzip members (RFC 1952) or zstd
// frames (RFC 8878). compress/ implements both; Manifest::codec records it.
enum class Codec { gzip, zstd };

// "gzip", "zstd": the manifest's "codec" and the CLI's --compress prefix.
constexpr std::string_view codec_name(Codec c) { return c == Codec::zstd ? "zstd" : "gzip"; }

// Turns one chunk of SQL text into one or more complete gzip members
// (RFC 1952 section 2.2: members may be concatenated; gunzip reads them all)
// or zstd frames (RFC 8878 section 3.1: likewise for zstd -d).
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

// The inverse stage, for verify and restore: a chunk's stored bytes back to
// its SQL text. One instance per thread: not thread-safe.
class Decompressor {
 public:
  virtual ~Decompressor() = default;
  // The checksum the manifest records for stored bytes (what
  // Compressor::compress returns for them).
  virtual std::uint32_t checksum(std::span<const std::byte> stored) = 0;
  // Decompresses every member of one chunk (one or more complete members,
  // back to back) and appends the text to out. raw_size is the chunk's
  // manifest raw_bytes (a size hint). Throws dbsnap::Error
  // (ExitCode::verify_failed) for a corrupt or truncated member.
  virtual void decompress_chunk(std::span<const std::byte> stored, std::string& out,
                                std::size_t raw_size) = 0;
};

// Decompresses a whole foreign file (any number of members, arbitrary sizes)
// as it streams in. One instance per stream; not thread-safe.
class StreamDecompressor {
 public:
  virtual ~StreamDecompressor() = default;
  // Appends the text decompressed from the next bytes of the stream to out.
  // Throws dbsnap::Error(ExitCode::verify_failed) for corrupt data.
  virtual void feed(std::span<const std::byte> in, std::string& out) = 0;
  // The stream ended: throws dbsnap::Error(ExitCode::verify_failed) if it
  // ended inside a member.
  virtual void finish() = 0;
};

using DecompressorFactory = std::function<std::unique_ptr<Decompressor>()>;

// The decompressors of a codec's chunks (a snapshot's Manifest::codec).
using CodecDecompressors = std::function<DecompressorFactory(Codec)>;

}  // namespace dbsnap
