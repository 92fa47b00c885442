#include "compress/zstd.h"

#include <fmt/format.h>
#include <zstd_errors.h>

#include <new>
#include <stdexcept>

#include "compress/gzip.h"
#include "engine/error.h"

namespace dbsnap {
namespace {

// Throws the verify_failed error for a libzstd result code that is an error.
std::size_t checked(std::size_t rc, std::string_view what) {
  if (ZSTD_isError(rc) != 0)
    throw Error(ExitCode::verify_failed,
                fmt::format("zstd data is corrupt: {} ({})", ZSTD_getErrorName(rc), what));
  return rc;
}

// The window a stream may ask for: zstd's own default limit for decoders
// (ZSTD_WINDOWLOG_LIMIT_DEFAULT), so `zstd --long=31` files need no more.
constexpr int kMaxWindowLog = 27;

}  // namespace

ZstdCompressor::ZstdCompressor(int level) {
  if (level < kMinZstdLevel || level > kMaxZstdLevel)
    throw std::invalid_argument(fmt::format("zstd level {} is outside 1..19", level));
  c_ = ZSTD_createCCtx();
  if (c_ == nullptr) throw std::bad_alloc();
  ZSTD_CCtx_setParameter(c_, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(c_, ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(c_, ZSTD_c_contentSizeFlag, 1);
}

ZstdCompressor::~ZstdCompressor() { ZSTD_freeCCtx(c_); }

std::uint32_t ZstdCompressor::compress(std::string_view raw, std::vector<std::byte>& out) {
  out.resize(ZSTD_compressBound(raw.size()));
  std::size_t n = ZSTD_compress2(c_, out.data(), out.size(), raw.data(), raw.size());
  if (ZSTD_isError(n) != 0)
    throw std::logic_error(fmt::format("ZSTD_compress2: {}", ZSTD_getErrorName(n)));
  out.resize(n);
  return crc32(out);
}

ZstdChunkDecompressor::ZstdChunkDecompressor() : d_(ZSTD_createDCtx()) {
  if (d_ == nullptr) throw std::bad_alloc();
}

ZstdChunkDecompressor::~ZstdChunkDecompressor() { ZSTD_freeDCtx(d_); }

std::uint32_t ZstdChunkDecompressor::checksum(std::span<const std::byte> stored) {
  return crc32(stored);
}

void ZstdChunkDecompressor::decompress_chunk(std::span<const std::byte> stored, std::string& out,
                                             std::size_t raw_size) {
  if (stored.empty()) throw Error(ExitCode::verify_failed, "chunk has no zstd frame");
  std::size_t base = out.size();
  out.resize(base + raw_size);
  std::size_t n =
      ZSTD_decompressDCtx(d_, out.data() + base, raw_size, stored.data(), stored.size());
  if (ZSTD_isError(n) != 0) {
    out.resize(base);
    if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
      throw Error(ExitCode::verify_failed,
                  fmt::format("zstd chunk holds more than its {} bytes of text", raw_size));
    checked(n, "chunk");
  }
  out.resize(base + n);
}

ZstdStream::ZstdStream() : d_(ZSTD_createDStream()) {
  if (d_ == nullptr) throw std::bad_alloc();
  ZSTD_DCtx_setParameter(d_, ZSTD_d_windowLogMax, kMaxWindowLog);
}

ZstdStream::~ZstdStream() { ZSTD_freeDStream(d_); }

void ZstdStream::feed(std::span<const std::byte> in, std::string& out) {
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  const std::size_t block = ZSTD_DStreamOutSize();
  bool filled = false;  // the last call filled its output: zstd may hold more
  while (input.pos < input.size || filled) {
    std::size_t base = out.size();
    out.resize(base + block);
    ZSTD_outBuffer output{out.data() + base, block, 0};
    std::size_t rc = ZSTD_decompressStream(d_, &output, &input);
    out.resize(base + output.pos);
    checked(rc, "stream");
    filled = output.pos == block;
    in_frame_ = rc != 0;  // 0: a frame just ended and was flushed whole
  }
}

void ZstdStream::finish() {
  if (in_frame_)
    throw Error(ExitCode::verify_failed, "zstd file is truncated: it ends inside a frame");
}

bool looks_zstd(std::span<const std::byte> bytes) {
  return bytes.size() >= 4 && bytes[0] == std::byte{0x28} && bytes[1] == std::byte{0xb5} &&
         bytes[2] == std::byte{0x2f} && bytes[3] == std::byte{0xfd};
}

}  // namespace dbsnap
