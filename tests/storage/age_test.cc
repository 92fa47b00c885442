// storage/age: round trips, interoperability with Debian's `age` and
// `age-keygen` both ways, tampering, ranged decryption and the C2SP age test
// vectors (tests/storage/age_testkit, from the npm package cctv-age 0.2.0).
#include "storage/age/age.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "engine/sha256.h"
#include "tests/support/age_error.h"
#include "tests/support/common.h"

namespace dbsnap::age {
namespace {

namespace fs = std::filesystem;
using test::age_error;
using test::read_file;
using test::run;
using test::run_shell;
using test::ScratchDir;
using test::shell_quote;

constexpr std::size_t kSizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536};
constexpr int kTestWorkFactor = 10;  // fast scrypt for round trips

std::string random_text(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Feeds input in pieces of step bytes (odd steps cross every boundary).
std::string encrypt(AgeEncryptor& encryptor, std::string_view plaintext, std::size_t step = 7777) {
  std::string out;
  for (std::size_t i = 0; i < plaintext.size(); i += step)
    encryptor.update(plaintext.substr(i, step), out);
  encryptor.finish(out);
  return out;
}

std::string decrypt(std::vector<Identity> identities, std::string_view ciphertext,
                    std::size_t step = 5000) {
  AgeDecryptor decryptor(std::move(identities));
  std::string out;
  for (std::size_t i = 0; i < ciphertext.size(); i += step)
    decryptor.update(ciphertext.substr(i, step), out);
  decryptor.finish(out);
  return out;
}

void write_file(const fs::path& path, std::string_view bytes, fs::perms perms = fs::perms(0600)) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  fs::permissions(path, perms);
}

TEST(AgeKeys, IdentityRoundTripsThroughBech32) {
  auto identity = X25519Identity::generate();
  std::string text = identity.to_string();
  EXPECT_EQ(text.rfind("AGE-SECRET-KEY-1", 0), 0u);
  auto parsed = X25519Identity::parse(text);
  EXPECT_EQ(parsed.secret().bytes, identity.secret().bytes);
  std::string recipient = identity.recipient().to_string();
  EXPECT_EQ(recipient.rfind("age1", 0), 0u);
  EXPECT_EQ(X25519Recipient::parse(recipient).share(), identity.recipient().share());
}

TEST(AgeKeys, Bech32ChecksumErrorIsRefusedWithoutEchoingTheKey) {
  std::string text = X25519Identity::generate().to_string();
  text[20] = text[20] == 'Q' ? 'P' : 'Q';
  std::string message = age_error([&] { X25519Identity::parse(text); }, Failure::key);
  EXPECT_NE(message.find("checksum"), std::string::npos) << message;
  EXPECT_EQ(message.find(text.substr(16, 10)), std::string::npos) << message;
  std::string recipient = X25519Identity::generate().recipient().to_string();
  recipient.back() = recipient.back() == 'q' ? 'p' : 'q';
  age_error([&] { X25519Recipient::parse(recipient); }, Failure::key);
}

TEST(AgeKeys, MixedCaseAndWrongPrefixAreRefused) {
  std::string text = X25519Identity::generate().to_string();
  text[0] = 'a';
  age_error([&] { X25519Identity::parse(text); }, Failure::key);
  age_error([&] { X25519Recipient::parse("age1"); }, Failure::key);
  age_error([&] { X25519Identity::parse(X25519Identity::generate().recipient().to_string()); },
            Failure::key);
}

TEST(AgeKeys, AgeKeygenKeysParse) {
  ScratchDir dir;
  fs::path key = dir.path() / "key.txt";
  auto keygen = run({"age-keygen", "-o", key.string()});
  ASSERT_EQ(keygen.exit_code, 0) << keygen.describe();
  auto identities = read_identity_file(key);
  ASSERT_EQ(identities.size(), 1u);
  auto public_key = run({"age-keygen", "-y", key.string()});
  ASSERT_EQ(public_key.exit_code, 0) << public_key.describe();
  EXPECT_EQ(identities[0].recipient().to_string() + "\n", public_key.out);
  write_file(dir.path() / "recipients.txt", "# team\n\n" + public_key.out);
  auto recipients = read_recipients_file(dir.path() / "recipients.txt");
  ASSERT_EQ(recipients.size(), 1u);
  EXPECT_EQ(recipients[0].share(), identities[0].recipient().share());
}

TEST(AgeKeys, IdentityFileReadableByOthersIsRefused) {
  ScratchDir dir;
  fs::path key = dir.path() / "key.txt";
  write_file(key, X25519Identity::generate().to_string() + "\n", fs::perms(0644));
  std::string message = age_error([&] { read_identity_file(key); }, Failure::key);
  EXPECT_NE(message.find(key.string()), std::string::npos) << message;
  EXPECT_NE(message.find("chmod 600"), std::string::npos) << message;
}

TEST(AgeKeys, BadIdentityFileLineIsNamed) {
  ScratchDir dir;
  fs::path key = dir.path() / "key.txt";
  write_file(key,
             "# comment\n" + X25519Identity::generate().to_string() + "\nAGE-SECRET-KEY-1QQQ\n");
  std::string message = age_error([&] { read_identity_file(key); }, Failure::key);
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
}

TEST(AgeRoundTrip, X25519AllSizes) {
  auto identity = X25519Identity::generate();
  for (std::size_t size : kSizes) {
    std::string plaintext = random_text(size, size);
    AgeEncryptor encryptor({identity.recipient()});
    std::string file = encrypt(encryptor, plaintext);
    std::size_t chunks = size == 0 ? 1 : (size + kChunkBytes - 1) / kChunkBytes;
    EXPECT_EQ(file.size(), encryptor.prefix_bytes() + chunks * kTagBytes + size);
    EXPECT_EQ(decrypt({identity}, file), plaintext) << size;
    EXPECT_EQ(decrypt({identity}, file, file.size() + 1), plaintext) << size;
    if (size <= kChunkBytes + 1) {
      EXPECT_EQ(decrypt({identity}, file, 1), plaintext) << size;
    }
    std::size_t header = header_length(file).value();
    EXPECT_EQ(header + kNonceBytes, encryptor.prefix_bytes());
    EXPECT_EQ(chunk_count(header, file.size()), chunks) << size;
    EXPECT_FALSE(header_length(file.substr(0, header - 1)));
  }
}

TEST(AgeRoundTrip, ScryptAllSizes) {
  for (std::size_t size : kSizes) {
    std::string plaintext = random_text(size, size + 1);
    AgeEncryptor encryptor(ScryptRecipient{"correct horse", kTestWorkFactor});
    std::string file = encrypt(encryptor, plaintext);
    EXPECT_EQ(decrypt({ScryptIdentity{"correct horse"}}, file), plaintext) << size;
  }
}

TEST(AgeRoundTrip, WrongPassphraseMatchesNothing) {
  AgeEncryptor encryptor(ScryptRecipient{"right", kTestWorkFactor});
  std::string file = encrypt(encryptor, "data");
  age_error([&] { decrypt({ScryptIdentity{"wrong"}}, file); }, Failure::no_match);
}

TEST(AgeRoundTrip, AnyOfSeveralRecipientsDecrypts) {
  auto a = X25519Identity::generate();
  auto b = X25519Identity::generate();
  AgeEncryptor encryptor({a.recipient(), b.recipient()});
  std::string file = encrypt(encryptor, "shared");
  EXPECT_EQ(decrypt({b}, file), "shared");
  EXPECT_EQ(decrypt({X25519Identity::generate(), a}, file), "shared");
}

// --- interoperability with Debian's age ---

fs::path write_identity_file(const fs::path& dir, const X25519Identity& identity) {
  fs::path key = dir / "key.txt";
  write_file(key, "# public key: " + identity.recipient().to_string() + "\n" +
                      identity.to_string() + "\n");
  EXPECT_EQ(fs::status(key).permissions(), fs::perms(0600));
  return key;
}

TEST(AgeInterop, AgeDecryptsWhatDbsnapWrites) {
  ScratchDir dir;
  auto identity = X25519Identity::generate();
  fs::path key = write_identity_file(dir.path(), identity);
  for (std::size_t size : kSizes) {
    std::string plaintext = random_text(size, size + 2);
    AgeEncryptor encryptor({identity.recipient()});
    write_file(dir.path() / "file.age", encrypt(encryptor, plaintext));
    // To stdout: age creates an -o file only once there is plaintext to write.
    auto age = run({"age", "-d", "-i", key.string(), (dir.path() / "file.age").string()});
    ASSERT_EQ(age.exit_code, 0) << size << ": " << age.describe();
    EXPECT_EQ(age.out, plaintext) << size;
  }
}

TEST(AgeInterop, DbsnapDecryptsWhatAgeWrites) {
  ScratchDir dir;
  auto identity = X25519Identity::generate();
  fs::path key = write_identity_file(dir.path(), identity);
  auto identities = read_identity_file(key);
  fs::path plain = dir.path() / "plain";
  fs::path file = dir.path() / "file.age";
  for (std::size_t size : kSizes) {
    std::string plaintext = random_text(size, size + 3);
    write_file(plain, plaintext);
    auto by_recipient =
        run({"age", "-r", identity.recipient().to_string(), "-o", file.string(), plain.string()});
    ASSERT_EQ(by_recipient.exit_code, 0) << by_recipient.describe();
    EXPECT_EQ(decrypt({identities[0]}, read_file(file)), plaintext) << size;
    auto by_identity = run({"age", "-e", "-i", key.string(), "-o", file.string(), plain.string()});
    ASSERT_EQ(by_identity.exit_code, 0) << by_identity.describe();
    EXPECT_EQ(decrypt({identities[0]}, read_file(file)), plaintext) << size;
  }
}

// age reads passphrases from the terminal only: `script` gives it one, and
// the passphrase lines go to it through the pseudo-terminal.
test::CommandResult age_on_terminal(const std::string& passphrase_lines,
                                    const std::string& age_command) {
  return run_shell("printf " + shell_quote(passphrase_lines) + " | script -qec " +
                   shell_quote(age_command) + " /dev/null");
}

TEST(AgeInterop, ScryptBothWaysThroughATerminal) {
  ScratchDir dir;
  fs::path file = dir.path() / "file.age";
  fs::path out = dir.path() / "out";
  std::string plaintext = random_text(65537, 4);
  AgeEncryptor encryptor(ScryptRecipient{"pass phrase", kTestWorkFactor});
  write_file(file, encrypt(encryptor, plaintext));
  auto age_d = age_on_terminal("pass phrase\n",
                               "age -d -o " + shell_quote(out.string()) + " " + file.string());
  ASSERT_EQ(age_d.exit_code, 0) << age_d.describe();
  EXPECT_EQ(read_file(out), plaintext);

  write_file(dir.path() / "plain", plaintext);
  auto age_p =
      age_on_terminal("pass phrase\npass phrase\n", "age -p -o " + shell_quote(file.string()) +
                                                        " " + (dir.path() / "plain").string());
  ASSERT_EQ(age_p.exit_code, 0) << age_p.describe();
  EXPECT_EQ(decrypt({ScryptIdentity{"pass phrase"}}, read_file(file)), plaintext);
}

// --- tampering ---

class AgeTamper : public ::testing::Test {
 protected:
  // Four chunks: three full, the last of one byte.
  void SetUp() override {
    AgeEncryptor encryptor({identity_.recipient()});
    file_ = encrypt(encryptor, plaintext_);
    header_ = *header_length(file_);
  }
  std::size_t chunk(std::uint64_t index) const { return chunk_offset(header_, index); }
  std::string decrypt_error(const std::string& file, Failure failure = Failure::payload) const {
    return age_error([&] { decrypt({identity_}, file); }, failure);
  }

  X25519Identity identity_ = X25519Identity::generate();
  std::string plaintext_ = random_text(3 * kChunkBytes + 1, 5);
  std::string file_;
  std::size_t header_ = 0;
};

TEST_F(AgeTamper, WrongIdentityMatchesNothing) {
  std::string message =
      age_error([&] { decrypt({X25519Identity::generate()}, file_); }, Failure::no_match);
  EXPECT_NE(message.find("no identity matches"), std::string::npos) << message;
}

TEST_F(AgeTamper, TruncatedFileNamesTheChunk) {
  std::string message = decrypt_error(file_.substr(0, chunk(2) + 100));
  EXPECT_NE(message.find("chunk 2"), std::string::npos) << message;
  decrypt_error(file_.substr(0, header_ + 5), Failure::header);
}

TEST_F(AgeTamper, FlippedBitInChunkTwoIsNamed) {
  std::string file = file_;
  file[chunk(2) + 1000] ^= 0x10;
  std::string message = decrypt_error(file);
  EXPECT_NE(message.find("chunk 2 failed authentication"), std::string::npos) << message;
}

TEST_F(AgeTamper, SwappedChunksAreNamed) {
  std::string file = file_;
  file.replace(chunk(1), kSealedChunkBytes, file_, chunk(2), kSealedChunkBytes);
  file.replace(chunk(2), kSealedChunkBytes, file_, chunk(1), kSealedChunkBytes);
  std::string message = decrypt_error(file);
  EXPECT_NE(message.find("chunk 1 failed authentication"), std::string::npos) << message;
}

TEST_F(AgeTamper, MissingLastChunkIsNamed) {
  std::string message = decrypt_error(file_.substr(0, chunk(3)));
  EXPECT_NE(message.find("ends after chunk 2"), std::string::npos) << message;
}

TEST_F(AgeTamper, DataAfterTheLastChunkIsRefused) {
  AgeEncryptor encryptor({identity_.recipient()});
  std::string file = encrypt(encryptor, plaintext_.substr(0, kChunkBytes)) + "x";
  std::string message = decrypt_error(file);
  EXPECT_NE(message.find("after its last chunk 0"), std::string::npos) << message;
}

TEST_F(AgeTamper, AlteredHeaderFailsItsMac) {
  AgeEncryptor encryptor({identity_.recipient(), X25519Identity::generate().recipient()});
  std::string file = encrypt(encryptor, "x");
  std::size_t second = file.find("-> X25519 ", file.find("-> X25519 ") + 1);
  std::size_t line_end = file.find('\n', second);
  file.erase(second,
             file.find('\n', line_end + 1) + 1 - second);  // drop the other recipient's stanza
  decrypt_error(file, Failure::hmac);
}

TEST_F(AgeTamper, RangedChunkEqualsPlaintextSlice) {
  auto key = payload_key(std::string_view(file_).substr(0, header_ + kNonceBytes), {identity_});
  std::uint64_t count = chunk_count(header_, file_.size());
  ASSERT_EQ(count, 4u);
  for (std::uint64_t plaintext_offset : {0ul, 70000ul, 2 * kChunkBytes + 5, 3 * kChunkBytes}) {
    std::uint64_t i = chunk_index(plaintext_offset);
    std::string sealed = file_.substr(chunk(i), kSealedChunkBytes);
    EXPECT_EQ(decrypt_chunk(key, i, i + 1 == count, sealed),
              plaintext_.substr(i * kChunkBytes, kChunkBytes))
        << i;
  }
  std::string message =
      age_error([&] { decrypt_chunk(key, 1, true, file_.substr(chunk(1), kSealedChunkBytes)); },
                Failure::payload);
  EXPECT_NE(message.find("chunk 1"), std::string::npos) << message;
}

// --- the C2SP test vectors ---

struct Vector {
  std::multimap<std::string, std::string> fields;
  std::string file;
};

std::string inflate_zlib(std::string_view compressed) {
  z_stream z{};
  EXPECT_EQ(inflateInit(&z), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buf[65536];
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END);
  inflateEnd(&z);
  return out;
}

Vector read_vector(const fs::path& path) {
  std::string text = read_file(path);
  Vector v;
  std::size_t pos = 0;
  for (std::size_t end; (end = text.find('\n', pos)) != pos; pos = end + 1) {
    std::string line = text.substr(pos, end - pos);
    std::size_t colon = line.find(": ");
    v.fields.emplace(line.substr(0, colon), line.substr(colon + 2));
  }
  v.file = text.substr(pos + 1);
  if (v.fields.count("compressed")) v.file = inflate_zlib(v.file);
  return v;
}

std::vector<Identity> vector_identities(const Vector& v) {
  std::vector<Identity> identities;
  for (auto [it, end] = v.fields.equal_range("identity"); it != end; ++it)
    identities.emplace_back(X25519Identity::parse(it->second));
  for (auto [it, end] = v.fields.equal_range("passphrase"); it != end; ++it)
    identities.emplace_back(ScryptIdentity{it->second});
  return identities;
}

// Decrypts v feeding step bytes at a time; plaintext gets what was released.
std::string outcome(const Vector& v, std::size_t step, std::string& plaintext) {
  try {
    AgeDecryptor decryptor(vector_identities(v));
    for (std::size_t i = 0; i < v.file.size(); i += step)
      decryptor.update(v.file.substr(i, step), plaintext);
    decryptor.finish(plaintext);
    return "success";
  } catch (const AgeError& e) {
    switch (e.failure()) {
      case Failure::header:
        return "header failure";
      case Failure::no_match:
        return "no match";
      case Failure::hmac:
        return "HMAC failure";
      case Failure::payload:
        return "payload failure";
      case Failure::key:
        return std::string("key failure: ") + e.what();
    }
  }
  return "";
}

std::string sha256_hex(std::string_view data) {
  Sha256 sha;
  sha.update(std::as_bytes(std::span(data.data(), data.size())));
  return sha.hex_digest();
}

TEST(AgeTestkit, EveryVectorHasItsExpectedOutcome) {
  fs::path dir = test::source_dir() / "tests/storage/age_testkit";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename() == "README.md") continue;
    Vector v = read_vector(entry.path());
    for (std::size_t step : {v.file.size() + 1, std::size_t{4099}}) {
      std::string plaintext;
      EXPECT_EQ(outcome(v, step, plaintext), v.fields.find("expect")->second)
          << entry.path().filename();
      if (v.fields.count("payload")) {
        EXPECT_EQ(sha256_hex(plaintext), v.fields.find("payload")->second)
            << entry.path().filename();
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 90);
}

}  // namespace
}  // namespace dbsnap::age
