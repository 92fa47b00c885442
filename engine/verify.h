// Offline checks of a snapshot, and reading its chunks back (verify and restore).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/compressor.h"
#include "engine/manifest.h"
#include "engine/snapshots.h"
#include "engine/volume.h"

namespace dbsnap {

// Reads and parses the manifest at manifest_key and derives the data key
// from its data_object (beside the manifest). Throws dbsnap::Error
// (ExitCode::verify_failed) for a malformed manifest or one whose status is
// not "completed" (naming the status and the failure reason), io_error if it
// cannot be read.
Manifest load_manifest(Volume& volume, const std::string& manifest_key, SnapshotKeys& keys);

// "data chunk 7 of 42 (public.film, bytes 1234+5678)" for messages; index is 0-based.
std::string describe_chunk(const Manifest& m, std::size_t index);

// The SQL text of chunk index: a ranged read of its stored bytes, checked
// against the manifest's length and CRC-32, decompressed and checked against
// raw_bytes. Throws dbsnap::Error(ExitCode::verify_failed) naming the chunk
// and what differs (a short read means the file is truncated), io_error if
// the volume fails. Thread-safe as far as volume is; decompressor is the
// caller's own.
std::string read_chunk(Volume& volume, const SnapshotKeys& keys, const Manifest& m,
                       std::size_t index, Decompressor& decompressor);

// The age v1 framing an encrypted data object has around its chunks.
inline constexpr std::uint64_t kEncryptionNonceBytes = 16;
inline constexpr std::uint64_t kEncryptionTagBytes = 16;

// The stored size of plaintext_bytes encrypted as e describes: header,
// nonce, then every chunk_size bytes (and the last, possibly empty, rest)
// followed by its tag.
std::uint64_t encrypted_size(const Encryption& e, std::uint64_t plaintext_bytes);

struct VerifyReport {
  std::size_t chunks = 0;
  std::uint64_t stored_bytes = 0;     // size of the data object
  std::uint64_t raw_bytes = 0;        // SQL text
  std::uint64_t rows = 0;             // per the manifest
  std::vector<std::string> problems;  // one line each; empty: the snapshot is intact
  bool contents_checked = true;       // false: encrypted and no key, chunks not read
};

// Checks without a server: the manifest is completed, its chunks tile the
// data object from offset 0 in order, the object's size and SHA-256 match,
// every chunk's CRC-32 matches and every chunk decompresses to exactly its
// raw_bytes. Reads the object once, chunk by chunk (memory: the largest
// chunk). Problems are collected, not thrown; throws only what
// load_manifest throws and io_error from the volume. Single-threaded.
//
// An encrypted snapshot (Manifest::encryption): the chunks tile the
// plaintext from 0, the manifest's size is what they encrypt to, and the
// stored object's size and SHA-256 match; with decrypted (a view of volume
// whose reads of the data object return plaintext: storage/age/) every
// chunk is then read through it and checked as above (a second pass); without it,
// contents_checked is false.
// decompressors: the decompressor of the manifest's codec.
VerifyReport verify_snapshot(Volume& volume, const std::string& manifest_key,
                             const CodecDecompressors& decompressors, Volume* decrypted = nullptr);

}  // namespace dbsnap
