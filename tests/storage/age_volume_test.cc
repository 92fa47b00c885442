// storage/age: AgeSink (a backup's data object as one age file) and AgeVolume
// (ranged plaintext reads of it through the covering STREAM chunks only).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/verify.h"
#include "storage/age/sink.h"
#include "storage/age/volume.h"
#include "storage/local/volume.h"
#include "tests/support/age_error.h"
#include "tests/support/common.h"

namespace dbsnap::age {
namespace {

using test::age_error;
namespace fs = std::filesystem;
using test::read_file;
using test::run;
using test::ScratchDir;

constexpr std::size_t kSizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536 + 17};

std::string random_text(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// A volume that records the ranged reads it passes on.
class RecordingVolume final : public Volume {
 public:
  explicit RecordingVolume(Volume& inner) : inner_(inner) {}
  std::unique_ptr<Sink> create(const std::string& key) override { return inner_.create(key); }
  void put(const std::string& key, std::string_view bytes) override { inner_.put(key, bytes); }
  bool put_if_absent(const std::string& key, std::string_view bytes) override {
    return inner_.put_if_absent(key, bytes);
  }
  std::string get(const std::string& key) override { return inner_.get(key); }
  std::string read(const std::string& key, std::uint64_t offset, std::uint64_t length) override {
    std::lock_guard lock(mu_);
    reads.emplace_back(offset, length);
    return inner_.read(key, offset, length);
  }
  std::vector<std::string> list(const std::string& prefix) override { return inner_.list(prefix); }
  void remove(const std::string& key) override { inner_.remove(key); }
  std::string describe() const override { return inner_.describe(); }

  std::vector<std::pair<std::uint64_t, std::uint64_t>> reads;

 private:
  Volume& inner_;
  std::mutex mu_;
};

class AgeVolumeTest : public ::testing::Test {
 protected:
  // Writes plaintext through an AgeSink as key, in pieces of step bytes.
  Encryption store(const std::string& key, std::string_view plaintext, std::size_t step = 7777) {
    AgeSink sink(volume.create(key), {identity.recipient()});
    for (std::size_t i = 0; i < plaintext.size(); i += step) {
      auto piece = plaintext.substr(i, step);
      sink.write(std::as_bytes(std::span(piece.data(), piece.size())));
    }
    sink.finish();
    return sink.encryption();
  }
  std::vector<Identity> identities() const { return {identity}; }
  fs::path file(const std::string& key) const { return dir.path() / key; }
  void overwrite(const std::string& key, const std::string& bytes) {
    std::ofstream(file(key), std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  ScratchDir dir;
  LocalVolume volume{dir.path()};
  X25519Identity identity = X25519Identity::generate();
};

TEST_F(AgeVolumeTest, SinkWritesAFileThatAgeDecrypts) {
  const fs::path key_file = dir.path() / "key.txt";
  std::ofstream(key_file) << identity.to_string() << "\n";
  fs::permissions(key_file, fs::perms(0600));
  for (std::size_t size : kSizes) {
    SCOPED_TRACE("size " + std::to_string(size));
    std::string plain = random_text(size, size);
    std::string key = "s" + std::to_string(size) + ".sql.gz.age";
    Encryption e = store(key, plain);
    EXPECT_EQ(e.format, "age-v1");
    EXPECT_EQ(e.chunk_size, kChunkBytes);
    std::string stored = read_file(file(key));
    EXPECT_EQ(header_length(stored), e.header_length);
    EXPECT_EQ(stored.size(), encrypted_size(e, size));
    auto age = run({"age", "-d", "-i", key_file.string(), file(key).string()});
    ASSERT_EQ(age.exit_code, 0) << age.describe();
    EXPECT_TRUE(age.out == plain);
  }
}

TEST_F(AgeVolumeTest, AbortedSinkLeavesNothing) {
  {
    AgeSink sink(volume.create("a.sql.gz.age"), {identity.recipient()});
    std::string text(100000, 'x');
    sink.write(std::as_bytes(std::span(text.data(), text.size())));
    sink.abort();
  }
  EXPECT_FALSE(fs::exists(file("a.sql.gz.age")));
}

TEST_F(AgeVolumeTest, RangedReadsEqualPlaintextSlices) {
  for (std::size_t size : kSizes) {
    SCOPED_TRACE("size " + std::to_string(size));
    std::string plain = random_text(size, size + 1);
    std::string key = "r" + std::to_string(size) + ".sql.gz.age";
    store(key, plain, 4096);
    AgeVolume view(volume, identities());
    const std::uint64_t points[] = {0, 1, 65535, 65536, 65537, 131072, size / 2, size};
    for (std::uint64_t offset : points)
      for (std::uint64_t length : {0ull, 1ull, 100ull, 65536ull, 200000ull}) {
        SCOPED_TRACE(std::to_string(offset) + "+" + std::to_string(length));
        std::string expected = offset >= size ? "" : plain.substr(offset, length);
        EXPECT_TRUE(view.read(key, offset, length) == expected);
      }
    EXPECT_TRUE(view.get(key) == plain);
  }
}

TEST_F(AgeVolumeTest, ReadsOnlyTheCiphertextChunksThatCoverTheRange) {
  std::string plain = random_text(10 * kChunkBytes + 5, 7);
  Encryption e = store("big.sql.gz.age", plain);
  RecordingVolume recording(volume);
  AgeVolume view(recording, identities());
  view.read("big.sql.gz.age", 0, 0);  // the header
  recording.reads.clear();
  ASSERT_TRUE(view.read("big.sql.gz.age", 3 * kChunkBytes + 10, 100) ==
              plain.substr(3 * kChunkBytes + 10, 100));
  ASSERT_EQ(recording.reads.size(), 1u);
  EXPECT_EQ(recording.reads[0].first, chunk_offset(e.header_length, 3));
  EXPECT_EQ(recording.reads[0].second, kSealedChunkBytes + 1);  // one chunk and one byte
  recording.reads.clear();
  ASSERT_TRUE(view.read("big.sql.gz.age", 4 * kChunkBytes - 1, 2) ==
              plain.substr(4 * kChunkBytes - 1, 2));
  ASSERT_EQ(recording.reads.size(), 1u);
  EXPECT_EQ(recording.reads[0].second, 2 * kSealedChunkBytes + 1);
}

TEST_F(AgeVolumeTest, FlippedBitFailsItsChunkOnlyAndNamesKeyAndChunk) {
  std::string plain = random_text(4 * kChunkBytes, 3);
  Encryption e = store("f.sql.gz.age", plain);
  std::string stored = read_file(file("f.sql.gz.age"));
  stored[chunk_offset(e.header_length, 2) + 1000] ^= 0x01;
  overwrite("f.sql.gz.age", stored);
  AgeVolume view(volume, identities());
  EXPECT_TRUE(view.read("f.sql.gz.age", 0, 1000) == plain.substr(0, 1000));
  std::string message =
      age_error([&] { view.read("f.sql.gz.age", 2 * kChunkBytes + 5, 10); }, Failure::payload);
  EXPECT_NE(message.find("'f.sql.gz.age'"), std::string::npos) << message;
  EXPECT_NE(message.find("chunk 2 "), std::string::npos) << message;
  EXPECT_EQ(static_cast<int>(AgeError(Failure::payload, "").code()),
            static_cast<int>(ExitCode::verify_failed));
  age_error([&] { view.get("f.sql.gz.age"); }, Failure::payload);
}

TEST_F(AgeVolumeTest, SwappedChunksAreRefused) {
  std::string plain = random_text(4 * kChunkBytes, 4);
  Encryption e = store("w.sql.gz.age", plain);
  std::string stored = read_file(file("w.sql.gz.age"));
  auto a = chunk_offset(e.header_length, 1), b = chunk_offset(e.header_length, 2);
  std::string one = stored.substr(a, kSealedChunkBytes);
  stored.replace(a, kSealedChunkBytes, stored.substr(b, kSealedChunkBytes));
  stored.replace(b, kSealedChunkBytes, one);
  overwrite("w.sql.gz.age", stored);
  AgeVolume view(volume, identities());
  EXPECT_NE(age_error([&] { view.read("w.sql.gz.age", kChunkBytes, 10); }, Failure::payload)
                .find("chunk 1 "),
            std::string::npos);
}

TEST_F(AgeVolumeTest, TruncatedFileIsRefusedAtItsEnd) {
  std::string plain = random_text(3 * kChunkBytes + 100, 5);
  Encryption e = store("t.sql.gz.age", plain);
  std::string stored = read_file(file("t.sql.gz.age"));
  for (std::uint64_t cut :
       {chunk_offset(e.header_length, 3), chunk_offset(e.header_length, 2) + 7}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    overwrite("t.sql.gz.age", stored.substr(0, cut));
    AgeVolume view(volume, identities());
    std::string message = age_error(
        [&] { view.read("t.sql.gz.age", 2 * kChunkBytes, kChunkBytes + 100); }, Failure::payload);
    EXPECT_NE(message.find("chunk 2 "), std::string::npos) << message;
    age_error([&] { view.get("t.sql.gz.age"); }, Failure::payload);
  }
}

TEST_F(AgeVolumeTest, WrongIdentityIsRefusedWithoutKeyMaterial) {
  store("i.sql.gz.age", "some sql");
  X25519Identity other = X25519Identity::generate();
  AgeVolume view(volume, {other});
  std::string message = age_error([&] { view.read("i.sql.gz.age", 0, 1); }, Failure::no_match);
  EXPECT_NE(message.find("i.sql.gz.age"), std::string::npos) << message;
  EXPECT_EQ(message.find("AGE-SECRET-KEY"), std::string::npos) << message;
  EXPECT_EQ(message.find(other.to_string()), std::string::npos);
}

TEST_F(AgeVolumeTest, OtherKeysPassThrough) {
  volume.put("x.manifest.json", "{}");
  AgeVolume view(volume, identities());
  EXPECT_EQ(view.get("x.manifest.json"), "{}");
  EXPECT_EQ(view.read("x.manifest.json", 1, 5), "}");
}

}  // namespace
}  // namespace dbsnap::age
