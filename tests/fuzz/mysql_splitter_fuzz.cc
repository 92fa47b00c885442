// The mysql-client script splitter (protocols/mysql/splitter.h) on arbitrary
// scripts. Byte 0 picks the piece size the script is fed in; the statements
// (or the error) must be the same as when the script is fed whole.
#include <string>
#include <vector>

#include "protocols/mysql/splitter.h"
#include "tests/fuzz/fuzz_support.h"

namespace dbsnap::fuzz {
namespace {

std::vector<std::string> split(std::string_view script, std::size_t piece) {
  mysql::ScriptSplitter s;
  return split_in_pieces(s, script, piece, [&](std::vector<std::string>& items) {
    while (auto st = s.next())
      items.push_back(std::to_string(st->line) + "[" + s.delimiter() +
                      "]:" + std::string(st->text));
  });
}

}  // namespace

void mysql_splitter(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return;
  std::size_t piece = 1 + data[0] % 64;
  std::string_view script = as_text(data + 1, size - 1);
  if (split(script, piece) != split(script, script.size() + 1))
    fail("mysql splitter: statements depend on the piece size");
}

}  // namespace dbsnap::fuzz

DBSNAP_FUZZ_ENTRY(mysql_splitter)
