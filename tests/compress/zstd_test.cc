// The zstd codec (compress/zstd.h), checked against zstd(1): frames it
// writes are read by `zstd -dc` / `zstd -t`, and files zstd(1) writes are
// read back by ZstdStream.
#include "compress/zstd.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "compress/gzip.h"
#include "engine/error.h"
#include "tests/support/common.h"

namespace dbsnap {
namespace {

std::string as_string(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// Text that compresses but not to nothing: 3 MiB of digits and letters.
std::string sample_text(std::size_t size = 3 << 20) {
  std::string text(size, 'a');
  for (std::size_t i = 0; i < text.size(); i += 97) text[i] = static_cast<char>('0' + i % 10);
  return text;
}

std::string frame_of(std::string_view text, int level = kDefaultZstdLevel) {
  ZstdCompressor c(level);
  std::vector<std::byte> frame;
  c.compress(text, frame);
  return as_string(frame);
}

// Writes bytes to a file and runs a shell command on it ({} is its quoted path).
test::CommandResult zstd_cli(const std::string& bytes, const std::string& args) {
  test::ScratchDir dir;
  auto file = dir.path() / "x.zst";
  std::ofstream(file, std::ios::binary) << bytes;
  return test::run_shell("zstd " + args + " " + test::shell_quote(file.string()));
}

std::string stream_in_pieces(const std::string& zst, std::size_t piece) {
  ZstdStream stream;
  std::string out;
  for (std::size_t at = 0; at < zst.size(); at += piece)
    stream.feed(bytes_of(zst.substr(at, piece)), out);
  stream.finish();
  return out;
}

TEST(ZstdCompressor, FramesConcatenateIntoOneFileZstdReads) {
  std::string a = sample_text(), b = "second frame;\n", empty;
  std::string file = frame_of(a, 1) + frame_of(empty) + frame_of(b, kMaxZstdLevel);
  EXPECT_TRUE(looks_zstd(bytes_of(file)));
  auto tested = zstd_cli(file, "-tq");
  EXPECT_EQ(tested.exit_code, 0) << tested.describe();
  auto read = zstd_cli(file, "-dcq");
  ASSERT_EQ(read.exit_code, 0) << read.describe();
  EXPECT_TRUE(read.out == a + b) << "zstd -dc gives " << read.out.size() << " bytes";
}

TEST(ZstdCompressor, ReturnsTheCrc32OfTheFrameAndReplacesTheBuffer) {
  ZstdCompressor c(kDefaultZstdLevel);
  std::vector<std::byte> out(1000, std::byte{7});
  std::uint32_t crc = c.compress("hello", out);
  EXPECT_EQ(crc, crc32(out));
  EXPECT_LT(out.size(), 100u);
  EXPECT_TRUE(looks_zstd(out));
}

TEST(ZstdCompressor, LevelOutsideOneToNineteenIsRejected) {
  EXPECT_THROW(ZstdCompressor(0), std::invalid_argument);
  EXPECT_THROW(ZstdCompressor(20), std::invalid_argument);
  EXPECT_NO_THROW(ZstdCompressor{kMinZstdLevel});
  EXPECT_NO_THROW(ZstdCompressor{kMaxZstdLevel});
}

TEST(ZstdChunkDecompressor, ChunkOfSeveralFramesToItsExactSize) {
  std::string a = sample_text(1 << 20), b = "more;\n";
  std::string chunk = frame_of(a) + frame_of(b);
  ZstdChunkDecompressor d;
  EXPECT_EQ(d.checksum(bytes_of(chunk)), crc32(bytes_of(chunk)));
  std::string out = "kept|";
  d.decompress_chunk(bytes_of(chunk), out, a.size() + b.size());
  EXPECT_TRUE(out == "kept|" + a + b);
}

TEST(ZstdChunkDecompressor, MoreTextThanTheManifestSaysIsAnError) {
  std::string chunk = frame_of("twelve bytes");
  ZstdChunkDecompressor d;
  std::string out;
  EXPECT_THROW(d.decompress_chunk(bytes_of(chunk), out, 11), Error);
  EXPECT_EQ(out, "");
}

TEST(ZstdChunkDecompressor, CorruptOrTruncatedFramesAreErrors) {
  std::string text = sample_text(1 << 16);
  std::string chunk = frame_of(text);
  ZstdChunkDecompressor d;
  std::string out;
  std::string flipped = chunk;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
  EXPECT_THROW(d.decompress_chunk(bytes_of(flipped), out, text.size()), Error);
  EXPECT_THROW(d.decompress_chunk(bytes_of(chunk.substr(0, chunk.size() - 3)), out, text.size()),
               Error);
  EXPECT_THROW(d.decompress_chunk({}, out, 0), Error);
  EXPECT_EQ(out, "");
}

TEST(ZstdStream, ReadsWhatZstdWritesInAnyPieces) {
  // One frame from zstd(1) (no content size: it read a pipe), then ours.
  std::string a = sample_text(), b = "ours;\n";
  test::ScratchDir dir;
  std::ofstream(dir.path() / "a.txt", std::ios::binary) << a;
  auto theirs = test::run_shell("cat " + test::shell_quote((dir.path() / "a.txt").string()) +
                                " | zstd -q -c --long=27");
  ASSERT_EQ(theirs.exit_code, 0) << theirs.describe();
  std::string file = theirs.out + frame_of(b);
  for (std::size_t piece : {1ul, 7ul, 4096ul, file.size()}) {
    SCOPED_TRACE(piece);
    EXPECT_TRUE(stream_in_pieces(file, piece) == a + b);
  }
}

TEST(ZstdStream, TruncatedFileIsAnError) {
  std::string file = frame_of(sample_text(1 << 16));
  EXPECT_THROW(stream_in_pieces(file.substr(0, file.size() - 5), 1000), Error);
}

TEST(ZstdStream, GarbageAfterAFrameIsAnError) {
  std::string file = frame_of("select 1;\n") + "not a frame";
  EXPECT_THROW(stream_in_pieces(file, 1000), Error);
}

TEST(LooksZstd, OnlyTheFrameMagic) {
  EXPECT_FALSE(looks_zstd(bytes_of(std::string("\x28\xb5\x2f", 3))));
  EXPECT_FALSE(looks_zstd(bytes_of(std::string("\x1f\x8b\x08\x00", 4))));
  EXPECT_TRUE(looks_zstd(bytes_of(std::string("\x28\xb5\x2f\xfd", 4))));
}

}  // namespace
}  // namespace dbsnap
