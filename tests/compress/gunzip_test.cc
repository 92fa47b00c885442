// The decompression stages of verify and restore, checked against gzip(1).
#include "compress/gunzip.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/error.h"
#include "tests/support/common.h"

namespace dbsnap {
namespace {

std::string gunzip_in_pieces(const std::string& gz, std::size_t piece) {
  GunzipStream stream;
  std::string out;
  for (std::size_t at = 0; at < gz.size(); at += piece)
    stream.feed(std::as_bytes(std::span(gz.data() + at, std::min(piece, gz.size() - at))), out);
  stream.finish();
  return out;
}

// A big member from GzipCompressor, spanning many output blocks, then a
// small one from gzip(1).
std::string two_members(std::string& text) {
  std::string a(3 << 20, 'a'), b = "second member\n";
  for (std::size_t i = 0; i < a.size(); i += 97) a[i] = static_cast<char>('0' + i % 10);
  text = a + b;
  GzipCompressor c(6);
  std::vector<std::byte> member;
  c.compress(a, member);
  std::string gz(reinterpret_cast<const char*>(member.data()), member.size());
  auto r = test::run_shell("printf %s " + test::shell_quote(b) + " | gzip -c");
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  return gz + r.out;
}

TEST(GunzipStream, ConcatenatedMembersInAnyPieces) {
  std::string text;
  std::string gz = two_members(text);
  for (std::size_t piece : {1ul, 7ul, 4096ul, gz.size()}) {
    SCOPED_TRACE(piece);
    EXPECT_EQ(gunzip_in_pieces(gz, piece), text);
  }
}

TEST(GunzipStream, TruncatedFileIsAnError) {
  std::string text;
  std::string gz = two_members(text);
  gz.resize(gz.size() - 5);
  EXPECT_THROW(gunzip_in_pieces(gz, 1000), Error);
}

TEST(GzipChunkDecompressor, ChunkOfSeveralMembers) {
  GzipCompressor c(1);
  std::vector<std::byte> m1, m2;
  std::uint32_t crc1 = c.compress("first;", m1);
  c.compress("second;", m2);
  std::vector<std::byte> chunk = m1;
  chunk.insert(chunk.end(), m2.begin(), m2.end());
  GzipChunkDecompressor d;
  EXPECT_EQ(d.checksum(m1), crc1);
  std::string out;
  d.decompress_chunk(chunk, out, 13);
  EXPECT_EQ(out, "first;second;");
  chunk[chunk.size() / 2] ^= std::byte{0xff};
  out.clear();
  EXPECT_THROW(d.decompress_chunk(chunk, out, 13), Error);
}

}  // namespace
}  // namespace dbsnap
