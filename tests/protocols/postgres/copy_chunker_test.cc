// CopyChunker without a server: rows packed into self-contained COPY chunks,
// and a row longer than a chunk cut into a chain whose links, concatenated,
// are one COPY block.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/row_checksum.h"
#include "protocols/postgres/copy.h"

namespace dbsnap::pg {
namespace {

struct Emitted {
  ChainLink link = ChainLink::none;
  std::string sql;
  std::uint64_t rows = 0, checksum = 0;
};

class RecordingSink final : public ChunkSink {
 public:
  explicit RecordingSink(std::size_t chunk_bytes) : chunk_bytes_(chunk_bytes) {}
  void emit(Section /*section*/, std::string_view /*table*/, std::string_view sql,
            std::uint64_t rows, std::uint64_t checksum) override {
    chunks.push_back({ChainLink::none, std::string(sql), rows, checksum});
  }
  void emit_link(ChainLink link, std::string_view /*table*/, std::string_view sql,
                 std::uint64_t rows, std::uint64_t checksum) override {
    chunks.push_back({link, std::string(sql), rows, checksum});
  }
  std::size_t chunk_bytes() const override { return chunk_bytes_; }

  std::vector<Emitted> chunks;

 private:
  std::size_t chunk_bytes_;
};

const std::string kHeader = "COPY public.t (a) FROM stdin;\n";

TEST(CopyChunker, ARowLongerThanAChunkBecomesAChainBetweenOrdinaryChunks) {
  RecordingSink sink(100);
  std::string buffer;
  CopyChunker chunker(kHeader, "public.t", buffer, sink);
  const std::string before = "short row\n";
  std::string longer(250, 'x');
  longer += '\n';  // 251 bytes: links of 100 bytes with the header, then 100, then the rest
  chunker.add_line(before);
  chunker.add_line(longer);
  chunker.add_line("after\n");
  EXPECT_EQ(chunker.finish(), 3u);

  ASSERT_EQ(sink.chunks.size(), 5u);
  EXPECT_EQ(sink.chunks[0].link, ChainLink::none);
  EXPECT_EQ(sink.chunks[0].sql, kHeader + before + std::string(kCopyBlockTrailer));
  EXPECT_EQ(sink.chunks[0].checksum, xxh64(before));
  EXPECT_EQ(sink.chunks[1].link, ChainLink::first);
  EXPECT_EQ(sink.chunks[2].link, ChainLink::next);
  EXPECT_EQ(sink.chunks[3].link, ChainLink::last);
  const std::size_t first = 100 - kHeader.size();
  EXPECT_EQ(sink.chunks[1].sql, kHeader + longer.substr(0, first));
  EXPECT_EQ(sink.chunks[2].sql, longer.substr(first, 100));
  EXPECT_EQ(sink.chunks[1].rows + sink.chunks[2].rows, 0u);
  EXPECT_EQ(sink.chunks[3].rows, 1u);
  EXPECT_EQ(sink.chunks[3].checksum, xxh64(longer)) << "the row's checksum, as if whole";
  std::string chain = sink.chunks[1].sql + sink.chunks[2].sql + sink.chunks[3].sql;
  EXPECT_EQ(chain, kHeader + longer + std::string(kCopyBlockTrailer));
  EXPECT_EQ(sink.chunks[4].link, ChainLink::none);
  EXPECT_EQ(sink.chunks[4].sql, kHeader + "after\n" + std::string(kCopyBlockTrailer));
  EXPECT_LE(buffer.capacity(), std::size_t{1} << 20) << "the buffer held more than a chunk";
}

TEST(CopyChunker, ALineOfExactlyAChunkStaysOrdinary) {
  RecordingSink sink(100);
  std::string buffer;
  CopyChunker chunker(kHeader, "public.t", buffer, sink);
  chunker.add_line(std::string(99, 'y') + "\n");
  EXPECT_EQ(chunker.finish(), 1u);
  ASSERT_EQ(sink.chunks.size(), 1u);
  EXPECT_EQ(sink.chunks[0].link, ChainLink::none);
  EXPECT_EQ(sink.chunks[0].rows, 1u);
}

// A line given in parts of any size (a value read in pieces) comes out as
// the same chunks as given whole: a chain when longer than a chunk, else an
// ordinary chunk; the checksum is the whole line's.
TEST(CopyChunker, ALineInPartsComesOutAsTheSameChunksAsWhole) {
  std::string longer;
  for (int i = 0; i < 40; ++i) longer += "part" + std::to_string(i) + '\t';
  longer += '\n';
  for (const std::string& line : {longer, std::string("a\tb\n")}) {
    RecordingSink whole(100);
    std::string buffer;
    CopyChunker one(kHeader, "public.t", buffer, whole);
    one.add_line(line);
    EXPECT_EQ(one.finish(), 1u);
    for (std::size_t part : {1, 7, 100, 1000}) {
      RecordingSink parts(100);
      CopyChunker chunker(kHeader, "public.t", buffer, parts);
      chunker.open_row();
      for (std::size_t at = 0; at < line.size(); at += part)
        chunker.append_to_row(std::string_view(line).substr(at, part));
      chunker.close_row();
      EXPECT_EQ(chunker.finish(), 1u);
      ASSERT_EQ(parts.chunks.size(), whole.chunks.size()) << "parts of " << part;
      for (std::size_t i = 0; i < parts.chunks.size(); ++i) {
        EXPECT_EQ(parts.chunks[i].link, whole.chunks[i].link);
        EXPECT_EQ(parts.chunks[i].sql, whole.chunks[i].sql);
        EXPECT_EQ(parts.chunks[i].rows, whole.chunks[i].rows);
        EXPECT_EQ(parts.chunks[i].checksum, whole.chunks[i].checksum);
      }
    }
    EXPECT_EQ(whole.chunks.size() > 2, line.size() > 100);
    std::uint64_t checksum = 0;
    for (const auto& c : whole.chunks) checksum += c.checksum;
    EXPECT_EQ(checksum, xxh64(line));
  }
}

// add() keeps a long "row" whole in a chunk of its own: the large objects'
// lo_put statements cannot be cut.
TEST(CopyChunker, AddKeepsALongRowWhole) {
  RecordingSink sink(100);
  std::string buffer;
  CopyChunker chunker(kHeader, "public.t", buffer, sink);
  const std::string statement = "SELECT lo_put(1, 0, '\\x" + std::string(300, 'a') + "');\n";
  chunker.add("short\n");
  chunker.add(statement);
  EXPECT_EQ(chunker.finish(), 2u);
  ASSERT_EQ(sink.chunks.size(), 1u);
  EXPECT_EQ(sink.chunks[0].link, ChainLink::none);
  EXPECT_EQ(sink.chunks[0].sql, kHeader + "short\n" + statement + std::string(kCopyBlockTrailer));
}

}  // namespace
}  // namespace dbsnap::pg
