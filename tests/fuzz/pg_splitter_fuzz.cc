// The psql script splitter (protocols/postgres/splitter.h) on arbitrary
// scripts. Byte 0 picks the piece size the script is fed in, byte 1 bit 0
// standard_conforming_strings and bits 1-4 the length from which a COPY line
// comes out in pieces; the items (or the error) must be the same as when the
// script is fed whole with whole lines.
#include <string>
#include <vector>

#include "protocols/postgres/splitter.h"
#include "tests/fuzz/fuzz_support.h"

namespace dbsnap::fuzz {
namespace {

std::vector<std::string> split(std::string_view script, std::size_t piece, bool std_strings,
                               std::size_t copy_piece) {
  pg::ScriptSplitter s(copy_piece);
  s.set_standard_conforming_strings(std_strings);
  std::string data;  // COPY data joined, so piece sizes do not show
  return split_in_pieces(s, script, piece, [&](std::vector<std::string>& items) {
    while (auto item = s.next()) {
      std::string text(item->text);
      switch (item->kind) {
        case pg::ScriptItem::Kind::statement:
          items.push_back("S@" + std::to_string(item->line) + ":" + text);
          if (text.starts_with("COPY") && text.ends_with("FROM stdin")) s.start_copy_data();
          break;
        case pg::ScriptItem::Kind::copy_data:
          data += text;
          break;
        case pg::ScriptItem::Kind::copy_end:
          items.push_back("D:" + data);
          data.clear();
          break;
        case pg::ScriptItem::Kind::meta_command:
          items.push_back("M@" + std::to_string(item->line) + ":" + text);
          break;
      }
    }
  });
}

}  // namespace

void pg_splitter(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return;
  std::size_t piece = 1 + data[0] % 64;
  bool std_strings = (data[1] & 1) == 0;
  std::size_t copy_piece = 1 + (data[1] >> 1) % 16;
  std::string_view script = as_text(data + 2, size - 2);
  if (split(script, piece, std_strings, copy_piece) !=
      split(script, script.size() + 1, std_strings, pg::kCopyPieceBytes))
    fail("pg splitter: items depend on the piece size");
}

}  // namespace dbsnap::fuzz

DBSNAP_FUZZ_ENTRY(pg_splitter)
