// Drives the MySQL dialect's DatabaseDump in-process, as the engine does, and
// keeps every chunk as text: for tests of the script itself, independent of
// compression, storage and the CLI.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/dialect.h"

namespace dbsnap::test {

struct TextChunk {
  Section section = Section::data;
  std::string table;
  std::string sql;
  std::uint64_t rows = 0;
  std::uint64_t checksum = 0;
};

// A ChunkSink that appends each chunk to a vector. Not thread-safe.
class CollectingSink final : public ChunkSink {
 public:
  explicit CollectingSink(std::size_t chunk_bytes) : chunk_bytes_(chunk_bytes) {}
  void emit(Section section, std::string_view table, std::string_view sql, std::uint64_t rows,
            std::uint64_t checksum) override {
    chunks.push_back(TextChunk{section, std::string(table), std::string(sql), rows, checksum});
  }
  std::size_t chunk_bytes() const override { return chunk_bytes_; }

  std::vector<TextChunk> chunks;

 private:
  std::size_t chunk_bytes_;
};

// Runs a whole backup of url's database through make_mysql_driver(): open,
// plan, `jobs` sessions shared, pre_data, every planned item dumped
// (round robin over the sessions, on this thread), post_data. Chunks in
// emission order.
std::vector<TextChunk> dump_mysql_database(const std::string& url, const DumpOptions& options,
                                           int jobs, std::size_t chunk_bytes);

// The chunks' text concatenated: the script a sequential restore runs.
std::string script_of(const std::vector<TextChunk>& chunks);

}  // namespace dbsnap::test
