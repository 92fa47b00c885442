// The zstd frame readers (compress/zstd.h) on arbitrary bytes: the stream
// reader, fed in pieces of any size, and the chunk reader either decompress
// or throw dbsnap::Error. Byte 0 picks the piece size; the chunk reader gets
// what the stream produced as its exact size, so when both accept, they
// produce the same text.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "compress/zstd.h"
#include "engine/error.h"
#include "tests/fuzz/fuzz_support.h"

namespace dbsnap::fuzz {

void unzstd(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return;
  std::size_t piece = std::size_t{1} << (data[0] % 13);  // 1 .. 4096 bytes
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data + 1), size - 1);

  ZstdStream stream;
  std::optional<std::string> streamed = stream_in_pieces(stream, in, piece);
  // Bounded by what the stream made (the manifest's raw_bytes in a restore),
  // so a frame claiming gigabytes allocates nothing.
  if (!streamed || streamed->size() > (64u << 20)) return;
  try {
    ZstdChunkDecompressor d;
    std::string out = "x";  // the chunk reader appends
    d.decompress_chunk(in, out, streamed->size());
    if (out.substr(1) != *streamed) fail("unzstd: the stream and chunk readers differ");
  } catch (const Error&) {
  }
}

}  // namespace dbsnap::fuzz

DBSNAP_FUZZ_ENTRY(unzstd)
