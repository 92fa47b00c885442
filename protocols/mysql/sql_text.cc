#include "protocols/mysql/sql_text.h"

#include <array>

namespace dbsnap::mysql {
namespace {

// The escape letter after the backslash for each byte, 0 for bytes copied as is.
constexpr std::array<char, 256> kEscapes = [] {
  std::array<char, 256> t{};
  t['\0'] = '0';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\\'] = '\\';
  t['\''] = '\'';
  t['"'] = '"';
  t['\032'] = 'Z';
  return t;
}();

}  // namespace

std::string quote_ident(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '`';
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  out += '`';
  return out;
}

void append_quoted(std::string& out, std::string_view s) {
  out += '\'';
  // Copies runs of ordinary bytes in one append: most text has no escapes.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char e = kEscapes[static_cast<unsigned char>(s[i])];
    if (e == 0) continue;
    out.append(s.data() + run, i - run);
    out += '\\';
    out += e;
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
  out += '\'';
}

std::string quote_string(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_quoted(out, s);
  return out;
}

void append_hex(std::string& out, std::string_view bytes) {
  if (bytes.empty()) {
    out += "''";
    return;
  }
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::size_t at = out.size();
  out.resize(at + 2 + 2 * bytes.size());
  char* p = out.data() + at;
  *p++ = '0';
  *p++ = 'x';
  for (unsigned char b : bytes) {
    *p++ = kDigits[b >> 4];
    *p++ = kDigits[b & 0xF];
  }
}

}  // namespace dbsnap::mysql
