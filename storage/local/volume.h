// A Volume on a local directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/volume.h"
#include "storage/local/sink.h"

namespace dbsnap {

// Keys map to files under root ("a/b.sql.gz" -> root/a/b.sql.gz); parent
// directories (root included) are created as needed. Data objects and small
// objects are both written by a FileSink: to "<file>.partial", then fsync,
// rename and directory fsync, so a reader sees the old or the new file whole.
//
// A key must be relative, '/'-separated, without empty, "." or ".." parts,
// and must not end in ".partial"; otherwise Error(ExitCode::usage) is thrown.
// Storage failures throw Error(ExitCode::io_error) naming the file and the
// operation. Thread-safe for distinct keys (it holds no mutable state).
class LocalVolume final : public Volume {
 public:
  // root need not exist yet. mode chooses how sinks write (see FileWriteMode).
  explicit LocalVolume(std::filesystem::path root, FileWriteMode mode = FileWriteMode::automatic);

  // Returns a FileSink for root/key.
  std::unique_ptr<Sink> create(const std::string& key) override;

  // Writes root/key whole and durably before returning.
  void put(const std::string& key, std::string_view bytes) override;

  // Writes "<file>.<pid>-<random>.partial" durably, then link(2)s it to root/key,
  // which fails when root/key exists (false); the temp file is removed.
  bool put_if_absent(const std::string& key, std::string_view bytes) override;

  // Reads root/key; a missing file throws "unable to open missing file
  // '<path>' for read".
  std::string get(const std::string& key) override;

  // pread(2) of root/key; errors as get().
  std::string read(const std::string& key, std::uint64_t offset, std::uint64_t length) override;

  // Keys of regular files under root that start with prefix (a string
  // prefix, not only a directory: "srv/db/2026" matches "srv/db/20261121...").
  // Temp files ("*.partial") are skipped; a missing root or directory gives an
  // empty list. Symlinked directories are not followed.
  std::vector<std::string> list(const std::string& prefix) override;

  // unlink(2) of root/key; a missing file is fine. Directories are left.
  void remove(const std::string& key) override;

  // The root path.
  std::string describe() const override;

 private:
  std::filesystem::path file_of(const std::string& key) const;

  std::filesystem::path root_;
  FileWriteMode mode_;
};

}  // namespace dbsnap
