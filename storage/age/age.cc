#include "storage/age/age.h"

#include <fmt/core.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

namespace dbsnap::age {
namespace {

using Bytes = std::string;  // binary data; std::string keeps the API to one type

constexpr std::string_view kVersionLine = "age-encryption.org/v1";
constexpr std::string_view kX25519Label = "age-encryption.org/v1/X25519";
constexpr std::string_view kScryptLabel = "age-encryption.org/v1/scrypt";
constexpr std::size_t kColumns = 64;  // base64 characters per stanza body line
constexpr std::size_t kWrappedKeyBytes = 16 + kTagBytes;

[[noreturn]] void fail(Failure failure, const std::string& message) {
  throw AgeError(failure, message);
}
[[noreturn]] void malformed(std::string_view what) {
  fail(Failure::header, fmt::format("age header is malformed: {}", what));
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
std::string_view view(const auto& array) {
  return {reinterpret_cast<const char*>(array.data()), array.size()};
}

// --- Bech32 (BIP 173) ---

constexpr std::string_view kBech32Chars = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

std::uint32_t polymod(const std::vector<unsigned char>& values) {
  constexpr std::uint32_t gen[] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  std::uint32_t chk = 1;
  for (unsigned char v : values) {
    std::uint32_t top = chk >> 25;
    chk = (chk & 0x1ffffff) << 5 ^ v;
    for (int i = 0; i < 5; ++i) chk ^= (top >> i & 1) ? gen[i] : 0;
  }
  return chk;
}

std::vector<unsigned char> hrp_expand(std::string_view hrp) {
  std::vector<unsigned char> out;
  for (char c : hrp) out.push_back(static_cast<unsigned char>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<unsigned char>(c) & 31);
  return out;
}

// Regroups bits from `from`-bit to `to`-bit groups; nullopt when decoding
// (pad false) leaves a non-zero or whole-group remainder.
std::optional<std::vector<unsigned char>> regroup(const std::vector<unsigned char>& in, int from,
                                                  int to, bool pad) {
  std::vector<unsigned char> out;
  unsigned acc = 0;
  int bits = 0;
  for (unsigned char v : in) {
    acc = acc << from | v;
    bits += from;
    for (; bits >= to; bits -= to) out.push_back(acc >> (bits - to) & ((1u << to) - 1));
  }
  if (pad && bits > 0) out.push_back(acc << (to - bits) & ((1u << to) - 1));
  if (!pad && (bits >= from || (acc & ((1u << bits) - 1)) != 0)) return std::nullopt;
  return out;
}

std::string bech32_encode(std::string_view hrp, std::string_view data) {
  std::vector<unsigned char> values = *regroup({data.begin(), data.end()}, 8, 5, true);
  std::vector<unsigned char> check = hrp_expand(hrp);
  check.insert(check.end(), values.begin(), values.end());
  check.insert(check.end(), 6, 0);
  std::uint32_t mod = polymod(check) ^ 1;
  for (int i = 0; i < 6; ++i) values.push_back(mod >> (5 * (5 - i)) & 31);
  std::string out = std::string(hrp) + "1";
  for (unsigned char v : values) out += kBech32Chars[v];
  OPENSSL_cleanse(values.data(), values.size());
  return out;
}

// The data of a Bech32 string whose lowercase human-readable part is hrp;
// what names the kind of key in messages (never the key itself).
Bytes bech32_decode(std::string_view text, std::string_view hrp, std::string_view what) {
  bool lower = std::any_of(text.begin(), text.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  bool upper = std::any_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (lower && upper) fail(Failure::key, fmt::format("invalid {}: mixed case", what));
  std::string s(text);
  std::transform(s.begin(), s.end(), s.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
  std::size_t sep = s.rfind('1');
  if (sep == std::string::npos || s.substr(0, sep) != hrp || s.size() < sep + 7)
    fail(Failure::key,
         fmt::format("invalid {}: expected a Bech32 string starting with '{}1'", what, hrp));
  std::vector<unsigned char> values;
  for (char c : s.substr(sep + 1)) {
    std::size_t v = kBech32Chars.find(c);
    if (v == std::string_view::npos)
      fail(Failure::key, fmt::format("invalid {}: character outside Bech32", what));
    values.push_back(static_cast<unsigned char>(v));
  }
  std::vector<unsigned char> check = hrp_expand(hrp);
  check.insert(check.end(), values.begin(), values.end());
  if (polymod(check) != 1)
    fail(Failure::key, fmt::format("invalid {}: Bech32 checksum mismatch", what));
  values.resize(values.size() - 6);
  auto data = regroup(values, 5, 8, false);
  OPENSSL_cleanse(values.data(), values.size());
  OPENSSL_cleanse(s.data(), s.size());
  OPENSSL_cleanse(check.data(), check.size());
  if (!data) fail(Failure::key, fmt::format("invalid {}: bad Bech32 padding", what));
  Bytes out(data->begin(), data->end());
  OPENSSL_cleanse(data->data(), data->size());
  return out;
}

template <std::size_t N>
void copy_key(const Bytes& data, std::array<unsigned char, N>& out, std::string_view what) {
  if (data.size() != N)
    fail(Failure::key, fmt::format("invalid {}: {} bytes, expected {}", what, data.size(), N));
  std::memcpy(out.data(), data.data(), N);
}

// --- base64 without padding, canonical (the specification's "base64") ---

constexpr std::string_view kBase64Chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view data) {
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    if (i + 2 < data.size()) n |= static_cast<unsigned char>(data[i + 2]);
    std::size_t chars = std::min<std::size_t>(data.size() - i, 3) + 1;
    for (std::size_t k = 0; k < chars; ++k) out += kBase64Chars[n >> (18 - 6 * k) & 63];
  }
  return out;
}

// nullopt unless text is canonical unpadded base64 (no stray bits).
std::optional<Bytes> unbase64(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  Bytes out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    std::size_t v = kBase64Chars.find(c);
    if (v == std::string_view::npos) return std::nullopt;
    acc = (acc << 6 | static_cast<std::uint32_t>(v)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(acc >> bits & 0xff);
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

// --- OpenSSL primitives ---

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_KDF* p) const { EVP_KDF_free(p); }
  void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, CtxFree>;

[[noreturn]] void crypto_failed(std::string_view what) {
  throw Error(ExitCode::failure, fmt::format("age: openssl {} failed", what));
}

void random_bytes(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) crypto_failed("RAND_bytes");
}

template <std::size_t N>
Secret<N> hkdf(std::string_view salt, std::string_view ikm, std::string_view info) {
  Owned<EVP_KDF> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  Owned<EVP_KDF_CTX> ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  if (!ctx) crypto_failed("HKDF");
  OSSL_PARAM params[5];
  OSSL_PARAM* p = params;
  *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()),
                                           ikm.size());
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                           info.size());
  if (!salt.empty())
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()),
                                             salt.size());
  *p = OSSL_PARAM_construct_end();
  Secret<N> out;
  if (EVP_KDF_derive(ctx.get(), out.bytes.data(), N, params) != 1) crypto_failed("HKDF");
  return out;
}

std::array<unsigned char, 32> hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> mac{};
  unsigned len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(data), data.size(),
            mac.data(), &len))
    crypto_failed("HMAC");
  return mac;
}

using Nonce = std::array<unsigned char, 12>;
constexpr Nonce kZeroNonce{};

Owned<EVP_CIPHER_CTX> chacha20_poly1305(bool encrypt, std::string_view key, const Nonce& nonce) {
  Owned<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_chacha20_poly1305(), nullptr, bytes(key),
                                nonce.data(), encrypt ? 1 : 0) != 1)
    crypto_failed("ChaCha20-Poly1305");
  return ctx;
}

// ChaCha20-Poly1305: plaintext sealed, the 16-byte tag appended.
Bytes aead_seal(std::string_view key, const Nonce& nonce, std::string_view plaintext) {
  auto ctx = chacha20_poly1305(true, key, nonce);
  Bytes out(plaintext.size() + kTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  int n = static_cast<int>(plaintext.size());
  bool ok = EVP_EncryptUpdate(ctx.get(), o, &len, bytes(plaintext), n) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), o + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kTagBytes, o + n) == 1;
  if (!ok) crypto_failed("ChaCha20-Poly1305 encryption");
  return out;
}

// The plaintext of sealed; nullopt when its tag does not verify.
std::optional<Bytes> aead_open(std::string_view key, const Nonce& nonce, std::string_view sealed) {
  if (sealed.size() < kTagBytes) return std::nullopt;
  auto ctx = chacha20_poly1305(false, key, nonce);
  int n = static_cast<int>(sealed.size() - kTagBytes);
  Bytes out(n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  auto* tag = const_cast<unsigned char*>(bytes(sealed.substr(n)));
  int len = 0;
  if (EVP_DecryptUpdate(ctx.get(), o, &len, bytes(sealed), n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kTagBytes, tag) != 1)
    crypto_failed("ChaCha20-Poly1305 decryption");
  if (EVP_DecryptFinal_ex(ctx.get(), o + len, &len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  return out;
}

Owned<EVP_PKEY> x25519_private(const Secret<32>& secret) {
  Owned<EVP_PKEY> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, secret.bytes.data(), 32));
  if (!key) crypto_failed("X25519 key");
  return key;
}

std::array<unsigned char, 32> x25519_public(const Secret<32>& secret) {
  std::array<unsigned char, 32> share{};
  std::size_t len = share.size();
  if (EVP_PKEY_get_raw_public_key(x25519_private(secret).get(), share.data(), &len) != 1)
    crypto_failed("X25519");
  return share;
}

// The shared secret; nullopt when the peer share is a low-order point
// (OpenSSL refuses an all-zero result).
std::optional<Secret<32>> x25519(const Secret<32>& secret, std::string_view share) {
  Owned<EVP_PKEY> peer(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, bytes(share), share.size()));
  Owned<EVP_PKEY> self = x25519_private(secret);
  Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(self.get(), nullptr));
  Secret<32> out;
  std::size_t len = 32;
  if (!peer || !ctx || EVP_PKEY_derive_init(ctx.get()) != 1) crypto_failed("X25519");
  if (EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.bytes.data(), &len) != 1)
    return std::nullopt;
  return out;
}

Secret<32> scrypt(std::string_view passphrase, std::string_view salt, int work_factor) {
  std::uint64_t n = std::uint64_t{1} << work_factor;
  constexpr std::uint64_t r = 8;
  std::uint64_t max_mem = 128 * r * (n + 2) + (std::uint64_t{1} << 20);
  Secret<32> out;
  if (EVP_PBE_scrypt(passphrase.data(), passphrase.size(), bytes(salt), salt.size(), n, r, 1,
                     max_mem, out.bytes.data(), 32) != 1)
    crypto_failed("scrypt");
  return out;
}

// --- header ---

struct Stanza {
  std::vector<std::string> args;  // args[0] is the type
  Bytes body;
};

std::string stanza_text(const Stanza& stanza) {
  std::string out = "->";
  for (const auto& arg : stanza.args) out += " " + arg;
  out += "\n";
  std::string body = base64(stanza.body);
  for (std::size_t i = 0;; i += kColumns) {
    out += body.substr(i, kColumns) + "\n";
    if (body.size() - i < kColumns) break;
  }
  return out;
}

std::array<unsigned char, 32> header_mac(const FileKey& file_key, std::string_view mac_input) {
  Secret<32> key = hkdf<32>("", view(file_key.bytes), "header");
  return hmac_sha256(view(key.bytes), mac_input);
}

Stanza wrap_x25519(const X25519Recipient& recipient, const FileKey& file_key) {
  Secret<32> ephemeral;
  random_bytes(ephemeral.bytes.data(), 32);
  auto share = x25519_public(ephemeral);
  auto shared = x25519(ephemeral, view(recipient.share()));
  if (!shared) fail(Failure::key, "invalid age recipient: low-order X25519 point");
  Secret<32> wrap = hkdf<32>(std::string(view(share)) + std::string(view(recipient.share())),
                             view(shared->bytes), kX25519Label);
  return {{"X25519", base64(view(share))},
          aead_seal(view(wrap.bytes), kZeroNonce, view(file_key.bytes))};
}

Stanza wrap_scrypt(const ScryptRecipient& recipient, const FileKey& file_key) {
  if (recipient.work_factor < 1 || recipient.work_factor > kMaxScryptWorkFactor)
    fail(Failure::key, fmt::format("scrypt work factor must be 1 to {}", kMaxScryptWorkFactor));
  std::array<unsigned char, 16> salt{};
  random_bytes(salt.data(), salt.size());
  Secret<32> wrap =
      scrypt(recipient.passphrase, std::string(kScryptLabel) + std::string(view(salt)),
             recipient.work_factor);
  return {{"scrypt", base64(view(salt)), std::to_string(recipient.work_factor)},
          aead_seal(view(wrap.bytes), kZeroNonce, view(file_key.bytes))};
}

std::string header_text(const std::vector<Stanza>& stanzas, const FileKey& file_key) {
  std::string text = std::string(kVersionLine) + "\n";
  for (const auto& stanza : stanzas) text += stanza_text(stanza);
  text += "---";
  return text + " " + base64(view(header_mac(file_key, text))) + "\n";
}

struct Header {
  std::vector<Stanza> stanzas;
  std::size_t mac_input_bytes = 0;  // through "---"
  Bytes mac;
  std::size_t length = 0;  // through the newline after the MAC
};

// Reads lines from a buffer that may end early: next() is nullopt when the
// line's newline has not arrived yet.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  std::optional<std::string_view> next() {
    std::size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view line = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return line;
  }
  std::size_t pos() const { return pos_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::vector<std::string> stanza_args(std::string_view line) {
  std::vector<std::string> args;
  for (std::size_t start = 3;;) {
    std::size_t end = std::min(line.find(' ', start), line.size());
    std::string_view arg = line.substr(start, end - start);
    if (arg.empty()) malformed("empty stanza argument");
    if (std::any_of(arg.begin(), arg.end(), [](char c) { return c < 0x21 || c > 0x7e; }))
      malformed("stanza argument outside printable ASCII");
    args.emplace_back(arg);
    if (end == line.size()) return args;
    start = end + 1;
  }
}

// false when the body's last line has not arrived yet.
bool read_body(LineReader& lines, Bytes& body) {
  while (auto line = lines.next()) {
    if (line->size() > kColumns) malformed("stanza body line longer than 64 columns");
    auto decoded = unbase64(*line);
    if (!decoded) malformed("stanza body is not canonical base64");
    body += *decoded;
    if (line->size() < kColumns) return true;
  }
  return false;
}

void read_mac_line(std::string_view line, Header& header) {
  auto mac =
      line.size() == 47 && line.substr(0, 4) == "--- " ? unbase64(line.substr(4)) : std::nullopt;
  if (!mac || mac->size() != 32) malformed("bad MAC line");
  header.mac = *mac;
}

void check_version(std::string_view text) {
  std::string version = std::string(kVersionLine) + "\n";
  std::size_t n = std::min(text.size(), version.size());
  if (text.substr(0, n) != std::string_view(version).substr(0, n))
    fail(Failure::header,
         "not an age file, or an unsupported version: expected 'age-encryption.org/v1'");
}

// The header at the start of text; nullopt when text ends inside it.
std::optional<Header> parse_header(std::string_view text) {
  check_version(text);
  LineReader lines(text);
  if (!lines.next()) return std::nullopt;
  Header header;
  while (auto line = lines.next()) {
    if (line->substr(0, 3) == "---") {
      header.mac_input_bytes = lines.pos() - line->size() - 1 + 3;
      read_mac_line(*line, header);
      header.length = lines.pos();
      return header;
    }
    if (line->substr(0, 3) != "-> ") malformed("expected a stanza or the MAC line");
    Stanza stanza{stanza_args(*line), {}};
    if (!read_body(lines, stanza.body)) return std::nullopt;
    header.stanzas.push_back(std::move(stanza));
  }
  return std::nullopt;
}

// --- unwrapping the file key ---

std::optional<FileKey> open_file_key(std::string_view wrap_key, const Stanza& stanza) {
  if (stanza.body.size() != kWrappedKeyBytes)
    malformed(fmt::format("{} stanza body is not 32 bytes", stanza.args[0]));
  std::optional<Bytes> key = aead_open(wrap_key, kZeroNonce, stanza.body);
  if (!key) return std::nullopt;
  Bytes& plain = *key;
  FileKey file_key;
  std::copy(plain.begin(), plain.end(), file_key.bytes.begin());
  OPENSSL_cleanse(plain.data(), plain.size());
  return file_key;
}

std::optional<FileKey> unwrap(const X25519Identity& identity, const Stanza& stanza) {
  if (stanza.args[0] != "X25519") return std::nullopt;
  auto share = stanza.args.size() == 2 ? unbase64(stanza.args[1]) : std::nullopt;
  if (!share || share->size() != 32) malformed("X25519 stanza needs one 32-byte share");
  auto shared = x25519(identity.secret(), *share);
  if (!shared) malformed("X25519 share is a low-order point");
  Bytes salt = *share + std::string(view(identity.recipient().share()));
  return open_file_key(view(hkdf<32>(salt, view(shared->bytes), kX25519Label).bytes), stanza);
}

int work_factor(const std::string& text, int max) {
  bool digits = !text.empty() && text.size() <= 2 && text[0] != '0' &&
                std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) malformed("scrypt work factor is not a decimal number");
  int factor = std::stoi(text);
  if (factor > max)
    malformed(fmt::format("scrypt work factor {} is above the limit {}", factor, max));
  return factor;
}

std::optional<FileKey> unwrap(const ScryptIdentity& identity, const Stanza& stanza) {
  if (stanza.args[0] != "scrypt") return std::nullopt;
  if (stanza.args.size() != 3) malformed("scrypt stanza needs a salt and a work factor");
  auto salt = unbase64(stanza.args[1]);
  if (!salt || salt->size() != 16) malformed("scrypt salt is not 16 bytes of canonical base64");
  int factor = work_factor(stanza.args[2], identity.max_work_factor);
  if (stanza.body.size() != kWrappedKeyBytes) malformed("scrypt stanza body is not 32 bytes");
  Secret<32> wrap = scrypt(identity.passphrase, std::string(kScryptLabel) + *salt, factor);
  return open_file_key(view(wrap.bytes), stanza);
}

void check_scrypt_alone(const Header& header) {
  bool scrypt = std::any_of(header.stanzas.begin(), header.stanzas.end(),
                            [](const Stanza& s) { return s.args[0] == "scrypt"; });
  if (scrypt && header.stanzas.size() != 1)
    malformed("an scrypt stanza must be alone in the header");
}

FileKey find_file_key(const Header& header, const std::vector<Identity>& identities) {
  check_scrypt_alone(header);
  for (const auto& identity : identities)
    for (const auto& stanza : header.stanzas)
      if (auto key = std::visit([&](const auto& id) { return unwrap(id, stanza); }, identity))
        return *key;
  fail(Failure::no_match, "no identity matches the age file's recipients");
}

PayloadKey open_header(std::string_view text, const Header& header,
                       const std::vector<Identity>& identities) {
  FileKey file_key = find_file_key(header, identities);
  auto mac = header_mac(file_key, text.substr(0, header.mac_input_bytes));
  if (CRYPTO_memcmp(mac.data(), header.mac.data(), mac.size()) != 0)
    fail(Failure::hmac, "age header MAC mismatch: the header was altered");
  std::string_view nonce = text.substr(header.length, kNonceBytes);
  return hkdf<32>(nonce, view(file_key.bytes), "payload");
}

Nonce chunk_nonce(std::uint64_t index, bool last) {
  Nonce nonce{};
  for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<unsigned char>(index >> (8 * i));
  nonce[11] = last ? 1 : 0;
  return nonce;
}

void read_key_lines(const std::filesystem::path& path, std::vector<std::string>& lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ExitCode::io_error,
                fmt::format("unable to open '{}': {}", path.string(), std::strerror(errno)));
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  if (in.bad()) throw Error(ExitCode::io_error, fmt::format("unable to read '{}'", path.string()));
}

// Key::parse of every line that is neither blank nor a comment, wrapping
// its error with the file and line number.
template <typename Key>
std::vector<Key> parse_key_file(const std::filesystem::path& path, std::string_view what) {
  std::vector<std::string> lines;
  read_key_lines(path, lines);
  std::vector<Key> keys;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    try {
      keys.push_back(Key::parse(line));
    } catch (const AgeError& e) {
      fail(Failure::key,
           fmt::format("{} file '{}' line {}: {}", what, path.string(), i + 1, e.what()));
    }
  }
  for (auto& line : lines) OPENSSL_cleanse(line.data(), line.size());
  if (keys.empty())
    fail(Failure::key, fmt::format("{} file '{}' holds no key", what, path.string()));
  return keys;
}

}  // namespace

AgeError::AgeError(Failure failure, const std::string& message)
    : Error(failure == Failure::key ? ExitCode::usage : ExitCode::verify_failed, message),
      failure_(failure) {}

X25519Recipient X25519Recipient::parse(std::string_view text) {
  std::array<unsigned char, 32> share{};
  copy_key(bech32_decode(text, "age", "age recipient"), share, "age recipient");
  if (text.substr(0, 4) != "age1") fail(Failure::key, "invalid age recipient: must be lowercase");
  return X25519Recipient(share);
}

std::string X25519Recipient::to_string() const { return bech32_encode("age", view(share_)); }

X25519Identity X25519Identity::generate() {
  X25519Identity identity;
  random_bytes(identity.secret_.bytes.data(), 32);
  return identity;
}

X25519Identity X25519Identity::parse(std::string_view text) {
  X25519Identity identity;
  Bytes data = bech32_decode(text, "age-secret-key-", "age identity");
  copy_key(data, identity.secret_.bytes, "age identity");
  OPENSSL_cleanse(data.data(), data.size());
  if (text.substr(0, 16) != "AGE-SECRET-KEY-1")
    fail(Failure::key, "invalid age identity: must be uppercase");
  return identity;
}

std::string X25519Identity::to_string() const {
  std::string s = bech32_encode("age-secret-key-", view(secret_.bytes));
  std::transform(s.begin(), s.end(), s.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? c - 32 : c; });
  return s;
}

X25519Recipient X25519Identity::recipient() const {
  return X25519Recipient(x25519_public(secret_));
}

std::vector<X25519Identity> read_identity_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw Error(ExitCode::io_error,
                fmt::format("unable to stat '{}': {}", path.string(), std::strerror(errno)));
  if ((st.st_mode & 077) != 0) {
    std::string name = path.string();
    fail(Failure::key, fmt::format("identity file '{}' is open to group or others (mode {:04o}): "
                                   "run chmod 600 '{}'",
                                   name, st.st_mode & 07777, name));
  }
  return parse_key_file<X25519Identity>(path, "identity");
}

std::vector<X25519Recipient> read_recipients_file(const std::filesystem::path& path) {
  return parse_key_file<X25519Recipient>(path, "recipients");
}

// --- encryption ---

namespace {

std::string prefix_with_key(const std::vector<Stanza>& stanzas, const FileKey& file_key,
                            PayloadKey& payload_key) {
  std::array<unsigned char, kNonceBytes> nonce{};
  random_bytes(nonce.data(), nonce.size());
  payload_key = hkdf<32>(view(nonce), view(file_key.bytes), "payload");
  return header_text(stanzas, file_key) + std::string(view(nonce));
}

FileKey new_file_key() {
  FileKey key;
  random_bytes(key.bytes.data(), key.bytes.size());
  return key;
}

}  // namespace

AgeEncryptor::AgeEncryptor(const std::vector<X25519Recipient>& recipients) {
  if (recipients.empty()) fail(Failure::key, "age encryption needs at least one recipient");
  FileKey file_key = new_file_key();
  std::vector<Stanza> stanzas;
  stanzas.reserve(recipients.size());
  for (const auto& recipient : recipients) stanzas.push_back(wrap_x25519(recipient, file_key));
  prefix_ = prefix_with_key(stanzas, file_key, payload_key_);
  prefix_size_ = prefix_.size();
}

AgeEncryptor::AgeEncryptor(const ScryptRecipient& recipient) {
  FileKey file_key = new_file_key();
  prefix_ = prefix_with_key({wrap_scrypt(recipient, file_key)}, file_key, payload_key_);
  prefix_size_ = prefix_.size();
}

void AgeEncryptor::emit_prefix(std::string& out) {
  out += prefix_;
  prefix_.clear();
}

void AgeEncryptor::seal(bool last, std::string& out) {
  out += aead_seal(view(payload_key_.bytes), chunk_nonce(index_++, last), pending_);
  OPENSSL_cleanse(pending_.data(), pending_.size());
  pending_.clear();
}

void AgeEncryptor::update(std::string_view plaintext, std::string& out) {
  emit_prefix(out);
  while (!plaintext.empty()) {
    if (pending_.size() == kChunkBytes) seal(false, out);
    std::size_t n = std::min(plaintext.size(), kChunkBytes - pending_.size());
    pending_.append(plaintext.substr(0, n));
    plaintext.remove_prefix(n);
  }
}

void AgeEncryptor::finish(std::string& out) {
  emit_prefix(out);
  seal(true, out);
}

// --- decryption ---

AgeDecryptor::AgeDecryptor(std::vector<Identity> identities) : identities_(std::move(identities)) {}

void AgeDecryptor::take_header() {
  auto header = parse_header(buffer_);
  if (!header && buffer_.size() >= kMaxHeaderBytes) malformed("longer than 1 MiB");
  if (!header || buffer_.size() < header->length + kNonceBytes) return;
  payload_key_ = open_header(buffer_, *header, identities_);
  buffer_.erase(0, header->length + kNonceBytes);
}

// Appends the plaintext of the chunk at index_. A full chunk that
// authenticates only with the other last flag (an end of file in the wrong
// place) is appended too, as age does, before the error.
void AgeDecryptor::open_chunk(std::string_view sealed, bool last, std::string& out) const {
  if (auto plaintext = aead_open(view(payload_key_->bytes), chunk_nonce(index_, last), sealed)) {
    out += *plaintext;
    return;
  }
  // Only a full chunk can be a misplaced end: a short one is always last.
  auto misplaced = sealed.size() == kSealedChunkBytes
                       ? aead_open(view(payload_key_->bytes), chunk_nonce(index_, !last), sealed)
                       : std::nullopt;
  if (!misplaced)
    fail(Failure::payload, fmt::format("age payload chunk {} failed authentication", index_));
  out += *misplaced;
  fail(Failure::payload,
       last ? fmt::format("age file is truncated: it ends after chunk {}, not a last chunk", index_)
            : fmt::format("age payload continues after its last chunk {}", index_));
}

void AgeDecryptor::open_chunks(std::string& out) {
  // A full chunk is known not to be the last only when a byte follows it.
  while (buffer_.size() > kSealedChunkBytes) {
    open_chunk(std::string_view(buffer_).substr(0, kSealedChunkBytes), false, out);
    buffer_.erase(0, kSealedChunkBytes);
    ++index_;
  }
}

void AgeDecryptor::update(std::string_view ciphertext, std::string& out) {
  while (!ciphertext.empty()) {
    std::size_t room = payload_key_ ? kSealedChunkBytes + 1 - buffer_.size() : kSealedChunkBytes;
    std::size_t n = std::min(ciphertext.size(), room);
    buffer_.append(ciphertext.substr(0, n));
    ciphertext.remove_prefix(n);
    if (!payload_key_) take_header();
    if (payload_key_) open_chunks(out);
  }
}

void AgeDecryptor::finish(std::string& out) {
  if (!payload_key_) {
    take_header();
    if (!payload_key_) fail(Failure::header, "age file is truncated inside its header");
  }
  if (buffer_.size() < kTagBytes)
    fail(Failure::payload, fmt::format("age file is truncated in chunk {}", index_));
  std::size_t before = out.size();
  open_chunk(buffer_, true, out);
  if (out.size() == before && index_ > 0)
    fail(Failure::payload, fmt::format("age payload's last chunk {} is empty", index_));
  buffer_.clear();
}

// --- ranged reads ---

std::optional<std::size_t> header_length(std::string_view prefix) {
  auto header = parse_header(prefix);
  if (!header) return std::nullopt;
  return header->length;
}

PayloadKey payload_key(std::string_view prefix, const std::vector<Identity>& identities) {
  auto header = parse_header(prefix);
  if (!header || prefix.size() < header->length + kNonceBytes)
    fail(Failure::header, "age file is truncated inside its header");
  return open_header(prefix, *header, identities);
}

std::uint64_t chunk_offset(std::uint64_t header_bytes, std::uint64_t index) {
  return header_bytes + kNonceBytes + index * kSealedChunkBytes;
}

std::uint64_t chunk_index(std::uint64_t plaintext_offset) { return plaintext_offset / kChunkBytes; }

std::uint64_t chunk_count(std::uint64_t header_bytes, std::uint64_t file_bytes) {
  if (file_bytes < header_bytes + kNonceBytes + kTagBytes)
    fail(Failure::payload, "age file is too short for its header and one chunk");
  std::uint64_t payload = file_bytes - header_bytes - kNonceBytes;
  std::uint64_t count = (payload + kSealedChunkBytes - 1) / kSealedChunkBytes;
  if (payload - (count - 1) * kSealedChunkBytes < kTagBytes)
    fail(Failure::payload, "age file size leaves a last chunk shorter than its tag");
  return count;
}

std::string decrypt_chunk(const PayloadKey& key, std::uint64_t index, bool last,
                          std::string_view sealed) {
  auto plaintext = aead_open(view(key.bytes), chunk_nonce(index, last), sealed);
  if (!plaintext)
    fail(Failure::payload, fmt::format("age payload chunk {} failed authentication", index));
  return std::move(*plaintext);
}

}  // namespace dbsnap::age
