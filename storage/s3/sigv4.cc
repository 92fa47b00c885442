#include "storage/s3/sigv4.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

namespace dbsnap {
namespace {

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

std::string digest(const EVP_MD* md, const void* data, std::size_t size) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data, size, out, &n, md, nullptr) != 1)
    throw std::runtime_error("openssl digest failed");
  return std::string(reinterpret_cast<const char*>(out), n);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t n = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out,
                &n) == nullptr)
    throw std::runtime_error("openssl hmac-sha256 failed");
  return std::string(reinterpret_cast<const char*>(out), n);
}

std::string hex_of(std::string_view binary) {
  return to_hex(reinterpret_cast<const unsigned char*>(binary.data()), binary.size());
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Header names joined by ';' in sorted order: the SignedHeaders list.
std::string signed_header_names(std::vector<std::pair<std::string, std::string>> headers) {
  std::sort(headers.begin(), headers.end());
  std::string names;
  for (const auto& [name, value] : headers) {
    if (!names.empty()) names += ';';
    names += name;
  }
  return names;
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                      u == '-' || u == '.' || u == '_' || u == '~' || (keep_slash && u == '/');
    if (unreserved)
      out += c;
    else
      out += fmt::format("%{:02X}", u);
  }
  return out;
}

std::string canonical_query(std::vector<std::pair<std::string, std::string>> params) {
  for (auto& [name, value] : params) {
    name = uri_encode(name, false);
    value = uri_encode(value, false);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string canonical_request(const SigV4Request& request) {
  auto headers = request.headers;
  std::sort(headers.begin(), headers.end());
  std::string out =
      fmt::format("{}\n{}\n{}\n", request.method, request.canonical_uri, request.canonical_query);
  for (const auto& [name, value] : headers) out += fmt::format("{}:{}\n", name, trim(value));
  out += fmt::format("\n{}\n{}", signed_header_names(headers), request.payload_sha256);
  return out;
}

std::string sigv4_authorization(const SigV4Request& request, const SigV4Scope& scope) {
  std::string_view date = scope.amz_date.substr(0, 8);
  std::string credential_scope =
      fmt::format("{}/{}/{}/aws4_request", date, scope.region, scope.service);
  std::string canonical = canonical_request(request);
  std::string string_to_sign =
      fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", scope.amz_date, credential_scope,
                  sha256_hex(std::as_bytes(std::span(canonical.data(), canonical.size()))));
  std::string key = hmac_sha256(fmt::format("AWS4{}", scope.secret_key), date);
  key = hmac_sha256(key, scope.region);
  key = hmac_sha256(key, scope.service);
  key = hmac_sha256(key, "aws4_request");
  return fmt::format("AWS4-HMAC-SHA256 Credential={}/{},SignedHeaders={},Signature={}",
                     scope.access_key, credential_scope, signed_header_names(request.headers),
                     hex_of(hmac_sha256(key, string_to_sign)));
}

std::string amz_date(long long unix_seconds) {
  auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y%m%dT%H%M%SZ", &tm);
  return out;
}

std::string sha256_hex(std::span<const std::byte> bytes) {
  return hex_of(digest(EVP_sha256(), bytes.data(), bytes.size()));
}

std::string md5_hex(std::span<const std::byte> bytes) { return hex_of(md5_binary(bytes)); }

std::string md5_binary(std::span<const std::byte> bytes) {
  return digest(EVP_md5(), bytes.data(), bytes.size());
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace dbsnap
