#include "compress/gunzip.h"

#include <fmt/format.h>

#include <new>

#include "engine/error.h"

namespace dbsnap {
namespace {

// Inflated bytes produced per zlib call.
constexpr std::size_t kInflateBlock = 1 << 18;

}  // namespace

std::uint32_t GzipChunkDecompressor::checksum(std::span<const std::byte> stored) {
  return crc32(stored);
}

void GzipChunkDecompressor::decompress_chunk(std::span<const std::byte> stored, std::string& out,
                                             std::size_t raw_size) {
  if (stored.empty()) throw Error(ExitCode::verify_failed, "chunk has no gzip member");
  std::size_t start = out.size();
  while (!stored.empty()) {
    std::size_t produced = out.size() - start;
    std::size_t hint = raw_size > produced ? raw_size - produced : 0;
    stored = stored.subspan(members_.decompress_member(stored, out, hint));
  }
}

GunzipStream::GunzipStream() {
  // 16 + MAX_WBITS: expect a gzip header and trailer (zlib.h, inflateInit2).
  if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
}

GunzipStream::~GunzipStream() { inflateEnd(&z_); }

void GunzipStream::feed(std::span<const std::byte> in, std::string& out) {
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
  z_.avail_in = static_cast<uInt>(in.size());
  bool filled = false;  // the last call filled its output: zlib may hold more
  while (z_.avail_in > 0 || filled) {
    in_member_ = true;
    std::size_t base = out.size();
    out.resize(base + kInflateBlock);
    z_.next_out = reinterpret_cast<Bytef*>(out.data() + base);
    z_.avail_out = static_cast<uInt>(kInflateBlock);
    int rc = inflate(&z_, Z_NO_FLUSH);
    filled = z_.avail_out == 0;
    out.resize(base + kInflateBlock - z_.avail_out);
    if (rc == Z_STREAM_END) {
      // The member ended; the next bytes, if any, must start another one.
      in_member_ = false;
      filled = false;
      inflateReset(&z_);
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      throw Error(
          ExitCode::verify_failed,
          fmt::format("gzip data is corrupt: {}", z_.msg != nullptr ? z_.msg : "inflate failed"));
  }
}

void GunzipStream::finish() {
  if (in_member_)
    throw Error(ExitCode::verify_failed, "gzip file is truncated: it ends inside a member");
}

bool looks_gzipped(std::span<const std::byte> bytes) {
  return bytes.size() >= 2 && bytes[0] == std::byte{0x1f} && bytes[1] == std::byte{0x8b};
}

}  // namespace dbsnap
