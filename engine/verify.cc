#include "engine/verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>

#include "engine/cancel.h"
#include "engine/error.h"
#include "engine/sha256.h"

namespace dbsnap {
namespace {

// Bytes per read of the parts of the data object outside any chunk.
constexpr std::uint64_t kReadBlock = 4 << 20;

std::span<const std::byte> as_bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// The problem of a chunk that a ranged read returned only got bytes of.
std::string truncated(const SnapshotKeys& keys, const Manifest& m, std::size_t index,
                      std::size_t got) {
  return fmt::format("{}: the data file ends after {} of its {} bytes: '{}' is truncated",
                     describe_chunk(m, index), got, m.chunks[index].length, keys.data);
}

// Checks the CRC-32 of stored and decompresses it; throws verify_failed.
std::string decode_chunk(const Manifest& m, std::size_t index, const std::string& stored,
                         Decompressor& decompressor) {
  const ChunkEntry& c = m.chunks[index];
  std::uint32_t crc = decompressor.checksum(as_bytes(stored));
  if (crc != c.crc32)
    throw Error(ExitCode::verify_failed,
                fmt::format("{}: crc32 of the stored bytes is {:08x}, the manifest says {:08x}: "
                            "the chunk is corrupt",
                            describe_chunk(m, index), crc, c.crc32));
  std::string text;
  text.reserve(c.raw_bytes);
  try {
    decompressor.decompress_chunk(as_bytes(stored), text, c.raw_bytes);
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{}: {}", describe_chunk(m, index), e.what()));
  }
  if (text.size() != c.raw_bytes)
    throw Error(ExitCode::verify_failed,
                fmt::format("{}: decompresses to {} bytes, the manifest says {}",
                            describe_chunk(m, index), text.size(), c.raw_bytes));
  return text;
}

}  // namespace

Manifest load_manifest(Volume& volume, const std::string& manifest_key, SnapshotKeys& keys) {
  Manifest m;
  try {
    m = parse_manifest(volume.get(manifest_key));
  } catch (const Error& e) {
    if (e.code() != ExitCode::verify_failed) throw;
    throw Error(e.code(), fmt::format("{}: {}", manifest_key, e.what()));
  }
  if (m.status != SnapshotStatus::completed)
    throw Error(ExitCode::verify_failed,
                fmt::format("snapshot '{}' is not a completed backup (status {}{}{})", manifest_key,
                            status_name(m.status), m.failure.empty() ? "" : ": ", m.failure));
  if (m.data_object.empty() || m.data_object.find('/') != std::string::npos)
    throw Error(ExitCode::verify_failed, fmt::format("{}: data_object '{}' is not a file name",
                                                     manifest_key, m.data_object));
  keys.manifest = manifest_key;
  auto slash = manifest_key.rfind('/');
  keys.data = (slash == std::string::npos ? std::string() : manifest_key.substr(0, slash + 1)) +
              m.data_object;
  return m;
}

std::string describe_chunk(const Manifest& m, std::size_t index) {
  const ChunkEntry& c = m.chunks[index];
  std::string what =
      fmt::format("{} chunk {} of {}", section_name(c.section), index + 1, m.chunks.size());
  if (!c.table.empty())
    return fmt::format("{} ({}, bytes {}+{})", what, c.table, c.offset, c.length);
  return fmt::format("{} (bytes {}+{})", what, c.offset, c.length);
}

std::string read_chunk(Volume& volume, const SnapshotKeys& keys, const Manifest& m,
                       std::size_t index, Decompressor& decompressor) {
  const ChunkEntry& c = m.chunks[index];
  std::string stored;
  try {
    stored = volume.read(keys.data, c.offset, c.length);
  } catch (const Error& e) {
    // A decrypting volume's authentication failure: name the snapshot's chunk too.
    if (e.code() != ExitCode::verify_failed) throw;
    throw Error(e.code(), fmt::format("{}: {}", describe_chunk(m, index), e.what()));
  }
  if (stored.size() != c.length)
    throw Error(ExitCode::verify_failed, truncated(keys, m, index, stored.size()));
  return decode_chunk(m, index, stored, decompressor);
}

std::uint64_t encrypted_size(const Encryption& e, std::uint64_t plaintext_bytes) {
  std::uint64_t chunks =
      plaintext_bytes == 0 ? 1 : (plaintext_bytes + e.chunk_size - 1) / e.chunk_size;
  return e.header_length + kEncryptionNonceBytes + plaintext_bytes + chunks * kEncryptionTagBytes;
}

namespace {

// Compares the stored object's size (hashed bytes) and sha256 with m's,
// noting each difference in report; sets report.stored_bytes.
void check_stored(const SnapshotKeys& keys, const Manifest& m, std::uint64_t hashed, Sha256& sha,
                  VerifyReport& report) {
  report.stored_bytes = hashed;
  if (hashed != m.size)
    report.problems.push_back(fmt::format("'{}' has {} bytes, the manifest says {}{}", keys.data,
                                          hashed, m.size,
                                          hashed < m.size ? ": the file is truncated" : ""));
  std::string digest = sha.hex_digest();
  if (digest != m.sha256)
    report.problems.push_back(
        fmt::format("sha256 of '{}' is {}, the manifest says {}", keys.data, digest, m.sha256));
}

// verify_snapshot of an encrypted snapshot: the stored bytes are hashed in
// one pass; the chunks, when decrypted is given, in a second one through it.
VerifyReport verify_encrypted(Volume& volume, const SnapshotKeys& keys, const Manifest& m,
                              Decompressor& decompressor, Volume* decrypted) {
  VerifyReport report;
  report.chunks = m.chunks.size();
  report.contents_checked = decrypted != nullptr;
  for (const auto& [table, rows] : m.tables) report.rows += rows;
  std::uint64_t plaintext_end = 0;
  for (std::size_t i = 0; i < m.chunks.size(); ++i) {
    const ChunkEntry& c = m.chunks[i];
    report.raw_bytes += c.raw_bytes;
    if (c.offset != plaintext_end) {
      report.problems.push_back(
          fmt::format("{}: starts at byte {}, the previous chunk ends at {}: the manifest does "
                      "not describe the file",
                      describe_chunk(m, i), c.offset, plaintext_end));
      break;
    }
    plaintext_end += c.length;
  }
  std::uint64_t expected = encrypted_size(m.encryption, plaintext_end);
  if (expected != m.size)
    report.problems.push_back(fmt::format(
        "the manifest's size {} is not that of its chunks ({} bytes) encrypted with a header of "
        "{} bytes ({})",
        m.size, plaintext_end, m.encryption.header_length, expected));

  Sha256 sha;
  std::uint64_t hashed = 0;
  for (;;) {
    throw_if_cancelled();
    std::string block = volume.read(keys.data, hashed, kReadBlock);
    if (block.empty()) break;
    sha.update(as_bytes(block));
    hashed += block.size();
  }
  check_stored(keys, m, hashed, sha, report);
  if (decrypted == nullptr) return report;

  for (std::size_t i = 0; i < m.chunks.size(); ++i) {
    throw_if_cancelled();
    try {
      read_chunk(*decrypted, keys, m, i, decompressor);
    } catch (const Error& e) {
      if (e.code() != ExitCode::verify_failed) throw;
      report.problems.push_back(e.what());
    }
  }
  return report;
}

}  // namespace

VerifyReport verify_snapshot(Volume& volume, const std::string& manifest_key,
                             const CodecDecompressors& decompressors, Volume* decrypted) {
  SnapshotKeys keys;
  Manifest m = load_manifest(volume, manifest_key, keys);
  std::unique_ptr<Decompressor> chunk_decompressor = decompressors(m.codec)();
  Decompressor& decompressor = *chunk_decompressor;
  if (m.encryption.encrypted()) return verify_encrypted(volume, keys, m, decompressor, decrypted);
  VerifyReport report;
  report.chunks = m.chunks.size();
  for (const auto& [table, rows] : m.tables) report.rows += rows;

  // The object is hashed as the chunks are read, in file order; bytes outside
  // every chunk are read and hashed too, so the digest covers the whole file.
  Sha256 sha;
  std::uint64_t hashed_to = 0;
  auto hash_up_to = [&](std::uint64_t end) {
    while (hashed_to < end) {
      std::string block = volume.read(keys.data, hashed_to, std::min(kReadBlock, end - hashed_to));
      if (block.empty()) return;
      sha.update(as_bytes(block));
      hashed_to += block.size();
    }
  };
  bool tiled = true;
  for (std::size_t i = 0; i < m.chunks.size(); ++i) {
    throw_if_cancelled();
    const ChunkEntry& c = m.chunks[i];
    report.raw_bytes += c.raw_bytes;
    if (c.offset != hashed_to && tiled) {
      report.problems.push_back(
          fmt::format("{}: starts at byte {}, the previous chunk ends at {}: the manifest does "
                      "not describe the file",
                      describe_chunk(m, i), c.offset, hashed_to));
      tiled = false;
    }
    std::string stored = volume.read(keys.data, c.offset, c.length);
    if (stored.size() != c.length) {
      report.problems.push_back(truncated(keys, m, i, stored.size()));
      if (i + 1 < m.chunks.size())
        report.problems.push_back(
            fmt::format("the {} chunks after it are missing", m.chunks.size() - i - 1));
      tiled = false;
      break;
    }
    if (tiled) {
      sha.update(as_bytes(stored));
      hashed_to += stored.size();
    }
    try {
      decode_chunk(m, i, stored, decompressor);
    } catch (const Error& e) {
      if (e.code() != ExitCode::verify_failed) throw;
      report.problems.push_back(e.what());
    }
  }
  if (!tiled) {
    sha = Sha256();
    hashed_to = 0;
  }
  hash_up_to(UINT64_MAX);
  check_stored(keys, m, hashed_to, sha, report);
  return report;
}

}  // namespace dbsnap
