// Client-side encryption in the age v1 file format, readable and writable by
// the stock `age` tool: X25519 recipients and scrypt passphrases, the payload
// in 64 KiB ChaCha20-Poly1305 STREAM chunks that can be decrypted one at a
// time (ranged restore).
//
// Source of every format rule: the C2SP age specification (c2sp.org/age,
// "age v1"); Bech32 keys follow BIP 173 without its 90-character limit, as age
// does. The primitives are OpenSSL's (X25519, HKDF-SHA-256, HMAC-SHA-256,
// ChaCha20-Poly1305, scrypt); only the framing (Bech32, base64, the header
// text, STREAM nonces) is written here.
//
// Errors throw AgeError: ExitCode::usage for a bad key, recipient, identity
// file or an identity that does not match (the fix is to pass another key),
// ExitCode::verify_failed for a file that is malformed, altered or truncated,
// ExitCode::io_error when a key file cannot be read. Messages never contain
// key material. Chunks are numbered from 0 in messages and in the API.
//
// Everything here is thread-compatible: distinct objects may be used from
// distinct threads; one object is not thread-safe.
#pragma once

#include <openssl/crypto.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/error.h"

namespace dbsnap::age {

constexpr std::size_t kChunkBytes = 64 * 1024;  // plaintext bytes per STREAM chunk
constexpr std::size_t kTagBytes = 16;           // Poly1305 tag after each chunk
constexpr std::size_t kSealedChunkBytes = kChunkBytes + kTagBytes;  // a full chunk on disk
constexpr std::size_t kNonceBytes = 16;               // payload nonce after the header
constexpr int kDefaultScryptWorkFactor = 18;          // log2(N), as `age -p` writes
constexpr int kMaxScryptWorkFactor = 22;              // the highest log2(N) accepted, as age
constexpr std::size_t kMaxHeaderBytes = 1024 * 1024;  // longer headers are refused

// Fixed-size key material, wiped with OPENSSL_cleanse when destroyed.
template <std::size_t N>
struct Secret {
  std::array<unsigned char, N> bytes{};
  Secret() = default;
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  ~Secret() { OPENSSL_cleanse(bytes.data(), N); }
};
using FileKey = Secret<16>;
using PayloadKey = Secret<32>;

// What went wrong when opening a file, as the age test vectors classify it.
enum class Failure {
  key,       // a key, recipient or identity file is invalid (usage)
  header,    // the header does not parse, or a stanza is malformed (verify_failed)
  no_match,  // the header parses but no identity unwraps the file key (verify_failed)
  hmac,      // the file key was unwrapped but the header MAC differs (verify_failed)
  payload,   // a STREAM chunk is missing, truncated or fails authentication (verify_failed)
};

class AgeError : public Error {
 public:
  AgeError(Failure failure, const std::string& message);
  Failure failure() const noexcept { return failure_; }

 private:
  Failure failure_;
};

// A public key "age1..." (lowercase Bech32 of the 32-byte X25519 share).
class X25519Recipient {
 public:
  explicit X25519Recipient(const std::array<unsigned char, 32>& share) : share_(share) {}
  // Throws AgeError(key) for anything but a valid "age1..." string.
  static X25519Recipient parse(std::string_view text);
  std::string to_string() const;
  const std::array<unsigned char, 32>& share() const { return share_; }

 private:
  std::array<unsigned char, 32> share_;
};

// A secret key "AGE-SECRET-KEY-1..." (uppercase Bech32 of the 32-byte scalar).
class X25519Identity {
 public:
  // A new key from OpenSSL's CSPRNG.
  static X25519Identity generate();
  // Throws AgeError(key) for anything but a valid "AGE-SECRET-KEY-1..." string.
  static X25519Identity parse(std::string_view text);
  std::string to_string() const;
  X25519Recipient recipient() const;
  const Secret<32>& secret() const { return secret_; }

 private:
  Secret<32> secret_;
};

// A passphrase to encrypt with: one scrypt stanza of 2^work_factor iterations.
struct ScryptRecipient {
  std::string passphrase;
  int work_factor = kDefaultScryptWorkFactor;
};

// A passphrase to decrypt with; stanzas above max_work_factor are refused
// (header failure) rather than computed.
struct ScryptIdentity {
  std::string passphrase;
  int max_work_factor = kMaxScryptWorkFactor;
};

using Identity = std::variant<X25519Identity, ScryptIdentity>;

// Reads identities like `age -i`: one "AGE-SECRET-KEY-1..." per line; blank
// lines and lines starting with '#' are skipped. The file must not be
// accessible by group or others (like ssh); otherwise AgeError(key) naming the
// file and `chmod 600`. A missing file throws Error(io_error); a bad line
// AgeError(key) naming the file and the line number.
std::vector<X25519Identity> read_identity_file(const std::filesystem::path& path);

// Reads recipients like `age -R`: one "age1..." per line, blank and '#' lines
// skipped. Errors as read_identity_file, without the mode check.
std::vector<X25519Recipient> read_recipients_file(const std::filesystem::path& path);

// Encrypts a stream: header and payload nonce first, then STREAM chunks.
// Memory: at most one chunk of plaintext is held.
class AgeEncryptor {
 public:
  // X25519 stanzas, one per recipient (at least one).
  explicit AgeEncryptor(const std::vector<X25519Recipient>& recipients);
  // The single scrypt stanza (the specification forbids other stanzas beside it).
  explicit AgeEncryptor(const ScryptRecipient& recipient);
  AgeEncryptor(const AgeEncryptor&) = delete;
  AgeEncryptor& operator=(const AgeEncryptor&) = delete;

  // The bytes before the first chunk (header and nonce): the first output.
  // The header length H of the ranged helpers is prefix_bytes() - kNonceBytes.
  std::size_t prefix_bytes() const { return prefix_size_; }
  // Appends to out the ciphertext that plaintext completes (header first).
  void update(std::string_view plaintext, std::string& out);
  // Appends the header if not yet written and the last chunk; call once.
  void finish(std::string& out);

 private:
  void emit_prefix(std::string& out);
  void seal(bool last, std::string& out);

  std::string prefix_;  // header and nonce until emitted, then empty
  std::size_t prefix_size_ = 0;
  PayloadKey payload_key_;
  std::string pending_;  // plaintext of the chunk being filled
  std::uint64_t index_ = 0;
};

// Decrypts a stream. Only authenticated plaintext is ever appended to out,
// chunk by chunk; what was appended before an error is authentic but may be
// incomplete. Memory: the header and at most one sealed chunk.
class AgeDecryptor {
 public:
  explicit AgeDecryptor(std::vector<Identity> identities);
  AgeDecryptor(const AgeDecryptor&) = delete;
  AgeDecryptor& operator=(const AgeDecryptor&) = delete;

  // Appends to out the plaintext of every chunk ciphertext completes. Throws
  // AgeError as soon as the header or a chunk is known to be bad.
  void update(std::string_view ciphertext, std::string& out);
  // Decrypts the last chunk; throws AgeError(payload) if the file is
  // truncated or continues past its last chunk.
  void finish(std::string& out);

 private:
  void take_header();
  void open_chunks(std::string& out);
  void open_chunk(std::string_view sealed, bool last, std::string& out) const;

  std::vector<Identity> identities_;
  std::string buffer_;
  std::optional<PayloadKey> payload_key_;
  std::uint64_t index_ = 0;
};

// Ranged reads. A file is: header (H bytes), 16-byte nonce, then chunk i at
// chunk_offset(H, i), kSealedChunkBytes long except the last, which may be
// shorter (and is 16 bytes long only when the whole plaintext is empty).

// H when prefix holds the whole header; nullopt when it needs more bytes.
// Throws AgeError(header) when the bytes can never be an age header.
std::optional<std::size_t> header_length(std::string_view prefix);
// The payload key from prefix, which holds the header and the nonce
// (at least header_length + kNonceBytes bytes). Throws AgeError.
PayloadKey payload_key(std::string_view prefix, const std::vector<Identity>& identities);
// The ciphertext offset of chunk index: H + 16 + index * (64 KiB + 16).
std::uint64_t chunk_offset(std::uint64_t header_bytes, std::uint64_t index);
// The chunk holding plaintext byte plaintext_offset.
std::uint64_t chunk_index(std::uint64_t plaintext_offset);
// The number of chunks of a file of file_bytes bytes with a header of
// header_bytes (the last is count - 1). Throws AgeError(payload) when no
// well-formed file has that size.
std::uint64_t chunk_count(std::uint64_t header_bytes, std::uint64_t file_bytes);
// The plaintext of one sealed chunk. Throws AgeError(payload) naming the
// chunk when it fails authentication (a wrong index or last flag too).
std::string decrypt_chunk(const PayloadKey& key, std::uint64_t index, bool last,
                          std::string_view sealed);

}  // namespace dbsnap::age
