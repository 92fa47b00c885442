// The content checksum of a table, taken from the text a dump writes for
// each row: the sum modulo 2^64 of the XXH64 hash (xxHash's 64-bit
// algorithm, seed 0, as `xxhsum -H1` computes it) of every row's text.
// PostgreSQL: a row is one COPY text line with its '\n' (a large object's
// lo_put statement); MySQL/MariaDB: one "(v1,v2,...)" tuple of the extended
// INSERT (a row with a value over kBigValueBytes: its SET statements and the
// INSERT up to its ')'). A sum does not depend on the order of rows, so chunks
// dumped by different workers combine by addition. Pure; thread-safe.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace dbsnap {

namespace xxh64_detail {

inline constexpr std::uint64_t kP1 = 0x9E3779B185EBCA87ull;
inline constexpr std::uint64_t kP2 = 0xC2B2AE3D27D4EB4Full;
inline constexpr std::uint64_t kP3 = 0x165667B19E3779F9ull;
inline constexpr std::uint64_t kP4 = 0x85EBCA77C2B2AE63ull;
inline constexpr std::uint64_t kP5 = 0x27D4EB2F165667C5ull;

inline std::uint64_t read64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}
inline std::uint64_t read32(const unsigned char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}
inline std::uint64_t mix(std::uint64_t acc, std::uint64_t lane) {
  return std::rotl(acc + lane * kP2, 31) * kP1;
}
inline std::uint64_t merge(std::uint64_t acc, std::uint64_t v) {
  return (acc ^ mix(0, v)) * kP1 + kP4;
}

}  // namespace xxh64_detail

// XXH64(bytes, seed 0): 32-byte stripes on four lanes, then the tail, then
// the avalanche (the xxHash specification, doc/xxhash_spec.md).
inline std::uint64_t xxh64(std::string_view bytes) {
  using namespace xxh64_detail;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* end = p + bytes.size();
  std::uint64_t acc;
  if (bytes.size() >= 32) {
    std::uint64_t v1 = kP1 + kP2, v2 = kP2, v3 = 0, v4 = 0 - kP1;
    for (; end - p >= 32; p += 32) {
      v1 = mix(v1, read64(p));
      v2 = mix(v2, read64(p + 8));
      v3 = mix(v3, read64(p + 16));
      v4 = mix(v4, read64(p + 24));
    }
    acc = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
    acc = merge(merge(merge(merge(acc, v1), v2), v3), v4);
  } else {
    acc = kP5;
  }
  acc += bytes.size();
  for (; end - p >= 8; p += 8) acc = std::rotl(acc ^ mix(0, read64(p)), 27) * kP1 + kP4;
  if (end - p >= 4) {
    acc = std::rotl(acc ^ (read32(p) * kP1), 23) * kP2 + kP3;
    p += 4;
  }
  for (; p < end; ++p) acc = std::rotl(acc ^ (*p * kP5), 11) * kP1;
  acc = (acc ^ (acc >> 33)) * kP2;
  acc = (acc ^ (acc >> 29)) * kP3;
  return acc ^ (acc >> 32);
}

}  // namespace dbsnap
