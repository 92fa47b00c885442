#include "compress/gzip.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "engine/error.h"

namespace dbsnap {
namespace {

enum class Data { random, repetitive };

constexpr std::size_t kMiB = 1 << 20;
const std::vector<std::size_t> kSizes = {0, 1, 4096, kMiB, 9 * kMiB};

// Incompressible bytes, or SQL-like rows that compress well.
std::string make_input(std::size_t size, Data kind, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string text;
  text.reserve(size + 64);
  if (kind == Data::random) {
    while (text.size() < size) text.push_back(static_cast<char>(rng()));
  } else {
    for (std::uint64_t row = 0; text.size() < size; ++row)
      text += "INSERT INTO t VALUES (" + std::to_string(row) + ", 'customer', " +
              std::to_string(rng() % 100) + ");\n";
  }
  text.resize(size);
  return text;
}

std::string as_string(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Runs a shell command; returns its exit status and standard output.
std::pair<int, std::string> run(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  std::string out;
  char block[1 << 16];
  while (std::size_t n = std::fread(block, 1, sizeof block, pipe)) out.append(block, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A temporary file holding bytes, removed when the object goes.
class TempFile {
 public:
  explicit TempFile(std::span<const std::byte> bytes) {
    path_ = ::testing::TempDir() + "dbsnap-gzip-XXXXXX";
    int fd = ::mkstemp(path_.data());
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    ::close(fd);
    std::ofstream(path_, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One member per size in kSizes, concatenated, with the inputs in the same order.
struct Members {
  std::vector<std::string> inputs;
  std::vector<std::byte> file;
  std::vector<std::size_t> lengths;  // of each member in file
};

Members compress_all(int level, Data kind) {
  Members m;
  GzipCompressor compressor(level);
  std::vector<std::byte> member;
  for (std::size_t size : kSizes) {
    m.inputs.push_back(make_input(size, kind, size + 1));
    std::uint32_t crc = compressor.compress(m.inputs.back(), member);
    EXPECT_EQ(crc, crc32(member));
    m.file.insert(m.file.end(), member.begin(), member.end());
    m.lengths.push_back(member.size());
  }
  return m;
}

class GzipMember : public ::testing::TestWithParam<std::tuple<int, Data>> {};

INSTANTIATE_TEST_SUITE_P(LevelsAndData, GzipMember,
                         ::testing::Combine(::testing::Values(0, 1, 6, 12),
                                            ::testing::Values(Data::random, Data::repetitive)),
                         [](const auto& info) {
                           return "Level" + std::to_string(std::get<0>(info.param)) +
                                  (std::get<1>(info.param) == Data::random ? "Random"
                                                                           : "Repetitive");
                         });

TEST_P(GzipMember, ConcatenatedMembersDecompressWithGunzip) {
  auto [level, kind] = GetParam();
  Members m = compress_all(level, kind);
  TempFile file(m.file);
  EXPECT_EQ(run("gzip -t '" + file.path() + "'").first, 0);
  auto [status, out] = run("gunzip -c '" + file.path() + "'");
  EXPECT_EQ(status, 0);
  std::string expected;
  for (const auto& input : m.inputs) expected += input;
  EXPECT_TRUE(out == expected) << "gunzip gave " << out.size() << " bytes, expected "
                               << expected.size();
}

TEST_P(GzipMember, DecompressorReadsConcatenatedMembersOneAtATime) {
  auto [level, kind] = GetParam();
  Members m = compress_all(level, kind);
  GzipDecompressor decompressor;
  for (bool size_known : {false, true}) {
    std::span<const std::byte> rest = m.file;
    std::string out = "prefix";  // decompress_member appends
    std::string expected = out;
    for (std::size_t i = 0; i < m.inputs.size(); ++i) {
      std::size_t used =
          decompressor.decompress_member(rest, out, size_known ? m.inputs[i].size() : 0);
      EXPECT_EQ(used, m.lengths[i]) << "member " << i;
      rest = rest.subspan(used);
      expected += m.inputs[i];
    }
    EXPECT_TRUE(rest.empty());
    EXPECT_TRUE(out == expected) << (size_known ? "with" : "without") << " raw sizes";
  }
}

TEST(GzipCrc32, MatchesKnownVectorAndContinues) {
  std::string text = "123456789";
  auto bytes = std::as_bytes(std::span(text));
  EXPECT_EQ(crc32(bytes), 0xCBF43926u);
  EXPECT_EQ(crc32(bytes.subspan(4), crc32(bytes.first(4))), 0xCBF43926u);
  EXPECT_EQ(crc32({}), 0u);
}

TEST(GzipCompressor, LevelOutsideZeroToTwelveIsRejected) {
  EXPECT_THROW(GzipCompressor{13}, std::invalid_argument);
  EXPECT_THROW(GzipCompressor{-1}, std::invalid_argument);
  EXPECT_NO_THROW(GzipCompressor{kMinCompressLevel});
  EXPECT_NO_THROW(GzipCompressor{kMaxCompressLevel});
}

TEST(GzipCompressor, ReplacesTheOutputBuffer) {
  GzipCompressor compressor(kDefaultCompressLevel);
  std::vector<std::byte> out(1000, std::byte{0x55});
  compressor.compress("hello", out);
  std::string text;
  GzipDecompressor().decompress_member(out, text);
  EXPECT_EQ(text, "hello");
}

std::vector<std::byte> one_member(const std::string& text) {
  std::vector<std::byte> member;
  GzipCompressor(kDefaultCompressLevel).compress(text, member);
  return member;
}

void expect_verify_failed(std::span<const std::byte> member, std::size_t raw_size) {
  std::string out = "kept";
  try {
    GzipDecompressor().decompress_member(member, out, raw_size);
    ADD_FAILURE() << "a damaged member decompressed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::verify_failed);
  }
  EXPECT_EQ(out, "kept");  // nothing appended
}

TEST(GzipDecompressor, CorruptedByteFailsVerification) {
  std::string text = make_input(kMiB, Data::repetitive, 7);
  auto member = one_member(text);
  // A byte inside the deflate stream, in the CRC-32 and in the ISIZE trailer.
  for (std::size_t at : {member.size() / 2, member.size() - 8, member.size() - 3}) {
    SCOPED_TRACE("byte " + std::to_string(at) + " of " + std::to_string(member.size()));
    auto damaged = member;
    damaged[at] ^= std::byte{0x01};
    expect_verify_failed(damaged, 0);
    expect_verify_failed(damaged, text.size());
  }
}

TEST(GzipDecompressor, TruncatedMemberFailsVerification) {
  std::string text = make_input(64 * 1024, Data::random, 8);
  auto member = one_member(text);
  for (std::size_t keep : {std::size_t{0}, std::size_t{10}, std::size_t{17}, member.size() / 2,
                           member.size() - 8, member.size() - 1}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " of " + std::to_string(member.size()));
    expect_verify_failed(std::span(member).first(keep), 0);
    expect_verify_failed(std::span(member).first(keep), text.size());
  }
}

TEST(GzipDecompressor, EmptyInputRoundTrips) {
  auto member = one_member("");
  std::string out;
  EXPECT_EQ(GzipDecompressor().decompress_member(member, out), member.size());
  EXPECT_EQ(out, "");
  EXPECT_EQ(as_string(member).substr(0, 2), "\x1f\x8b");
}

}  // namespace
}  // namespace dbsnap
