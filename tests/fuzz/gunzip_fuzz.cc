// The gzip member readers (compress/gunzip.h) on arbitrary bytes: zlib's
// stream reader, fed in pieces of any size, and libdeflate's chunk reader
// either inflate or throw dbsnap::Error. Byte 0 picks the piece size (a
// power of two: each feed() costs a 256 KiB output block) and the raw-size
// hint; when both accept, they produce the same text.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "compress/gunzip.h"
#include "engine/error.h"
#include "tests/fuzz/fuzz_support.h"

namespace dbsnap::fuzz {

void gunzip(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return;
  std::size_t piece = std::size_t{1} << (data[0] % 13);  // 1 .. 4096 bytes
  std::size_t hint = (data[0] & 0x80) != 0 ? 0 : data[0] * 7;
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data + 1), size - 1);

  GunzipStream stream;
  std::optional<std::string> streamed = stream_in_pieces(stream, in, piece);

  std::optional<std::string> chunked;
  try {
    GzipChunkDecompressor d;
    std::string out = "x";  // the chunk reader appends
    d.decompress_chunk(in, out, hint);
    chunked = out.substr(1);
  } catch (const Error&) {
  }
  if (streamed && chunked && *streamed != *chunked)
    fail("gunzip: zlib and libdeflate inflate the same members differently");
}

}  // namespace dbsnap::fuzz

DBSNAP_FUZZ_ENTRY(gunzip)
