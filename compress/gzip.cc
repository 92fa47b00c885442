#include "compress/gzip.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "engine/error.h"

namespace dbsnap {

std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t crc) {
  return libdeflate_crc32(crc, bytes.data(), bytes.size());
}

GzipCompressor::GzipCompressor(int level) {
  if (level < kMinCompressLevel || level > kMaxCompressLevel)
    throw std::invalid_argument(fmt::format("compression level {} is outside 0..12", level));
  c_ = libdeflate_alloc_compressor(level);
  if (c_ == nullptr) throw std::bad_alloc();
}

GzipCompressor::~GzipCompressor() { libdeflate_free_compressor(c_); }

std::uint32_t GzipCompressor::compress(std::string_view raw, std::vector<std::byte>& out) {
  out.resize(libdeflate_gzip_compress_bound(c_, raw.size()));
  std::size_t n = libdeflate_gzip_compress(c_, raw.data(), raw.size(), out.data(), out.size());
  if (n == 0) throw std::logic_error("libdeflate_gzip_compress: bound too small");
  out.resize(n);
  return crc32(out);
}

GzipDecompressor::GzipDecompressor() : d_(libdeflate_alloc_decompressor()) {
  if (d_ == nullptr) throw std::bad_alloc();
}

GzipDecompressor::~GzipDecompressor() { libdeflate_free_decompressor(d_); }

std::size_t GzipDecompressor::decompress_member(std::span<const std::byte> in, std::string& out,
                                                std::size_t raw_size) {
  if (in.size() < 18) throw Error(ExitCode::verify_failed, "gzip member is truncated");
  if (raw_size == 0) {
    // ISIZE of this member is only known at its end; without the manifest we
    // cannot find the end before inflating, so grow the buffer until it fits.
    raw_size = std::max<std::size_t>(in.size() * 4, 1 << 16);
  }
  std::size_t base = out.size();
  for (;;) {
    out.resize(base + raw_size);
    std::size_t in_used = 0, out_used = 0;
    auto r = libdeflate_gzip_decompress_ex(d_, in.data(), in.size(), out.data() + base, raw_size,
                                           &in_used, &out_used);
    if (r == LIBDEFLATE_SUCCESS) {
      out.resize(base + out_used);
      return in_used;
    }
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
      raw_size *= 2;
      continue;
    }
    out.resize(base);
    throw Error(ExitCode::verify_failed, r == LIBDEFLATE_BAD_DATA
                                             ? "gzip member is corrupt (bad deflate data or crc)"
                                             : "gzip member is truncated");
  }
}

}  // namespace dbsnap
