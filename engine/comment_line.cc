#include "engine/comment_line.h"

#include <algorithm>

namespace dbsnap {

std::string sanitize_comment(std::string_view s, bool want_hyphen) {
  if (s.empty() && want_hyphen) return "-";
  std::string out(s);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return out;
}

}  // namespace dbsnap
