#include "protocols/postgres/splitter.h"

#include <fmt/format.h>

#include <cstring>

#include "engine/error.h"

namespace dbsnap::pg {
namespace {

// Identifier characters (section 4.1.1): letters, '_', non-ASCII bytes; digits
// and '$' after the first.
bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9') || c == '$'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

void ScriptSplitter::start_copy_data() {
  copy_ = true;
  // Data starts on the line after the COPY statement.
  const char* eol =
      static_cast<const char*>(std::memchr(buf_.data() + pos_, '\n', buf_.size() - pos_));
  // Without a line end yet the rest of the line arrives later; next_copy skips it.
  copy_skip_line_ = true;
  if (eol != nullptr) {
    pos_ = scan_ = static_cast<std::size_t>(eol - buf_.data()) + 1;
    ++line_;
    copy_skip_line_ = false;
  }
}

std::optional<ScriptItem> ScriptSplitter::next() { return copy_ ? next_copy() : next_statement(); }

std::optional<ScriptItem> ScriptSplitter::next_copy() {
  if (copy_skip_line_) {
    const char* eol =
        static_cast<const char*>(std::memchr(buf_.data() + pos_, '\n', buf_.size() - pos_));
    if (eol == nullptr) {
      pos_ = scan_ = buf_.size();
      if (finished_) throw copy_unterminated();
      return std::nullopt;
    }
    pos_ = scan_ = static_cast<std::size_t>(eol - buf_.data()) + 1;
    ++line_;
    copy_skip_line_ = false;
  }
  std::size_t start = pos_;
  std::uint64_t start_line = line_;
  std::size_t at = pos_;
  for (;;) {
    const std::size_t eol = buf_.find('\n', at);
    const bool line_ends = eol != std::string::npos;  // else the rest of the line arrives later
    std::size_t end = line_ends ? eol : buf_.size();
    std::string_view row(buf_.data() + at, end - at);
    if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
    // The rest of a line cut into pieces is never the terminator ("x\\." cut
    // after "x\" leaves "\.").
    bool terminator = !copy_mid_line_ && row == "\\." && (line_ends || finished_);
    if (terminator || !line_ends) {
      if (at > start) {
        // The whole lines before this one go first; this one is looked at again.
        pos_ = scan_ = at;
        return ScriptItem{ScriptItem::Kind::copy_data,
                          std::string_view(buf_.data() + start, at - start), start_line};
      }
      if (!terminator) {
        if (finished_) throw copy_unterminated();
        // A long line: what has come of it goes out (it is longer than "\.\r").
        if (end - at < copy_piece_bytes_ || end - at <= 3) return std::nullopt;
        pos_ = scan_ = end;
        copy_mid_line_ = true;
        return ScriptItem{ScriptItem::Kind::copy_data, std::string_view(buf_.data() + at, end - at),
                          start_line};
      }
      pos_ = scan_ = line_ends ? end + 1 : buf_.size();
      ++line_;
      copy_ = false;
      return ScriptItem{ScriptItem::Kind::copy_end, {}, start_line};
    }
    at = end + 1;
    ++line_;
    copy_mid_line_ = false;
  }
}

Error ScriptSplitter::copy_unterminated() const {
  return Error(
      ExitCode::verify_failed,
      fmt::format("the script ends inside COPY data (line {}): no \"\\.\" line ends it", line_));
}

void ScriptSplitter::on_word(std::string_view word) {
  if (first_words_.size() < 4) first_words_.push_back(lower(word));
  const auto& w = first_words_;
  auto routine = [](const std::string& s) { return s == "function" || s == "procedure"; };
  bool routine_body =
      w.size() >= 2 && w[0] == "create" &&
      (routine(w[1]) || (w.size() >= 4 && w[1] == "or" && w[2] == "replace" && routine(w[3])));
  if (!routine_body || paren_depth_ > 0) return;
  std::string lw = lower(word);
  if (lw == "begin") ++begin_depth_;
  if (lw == "case" && begin_depth_ > 0) ++begin_depth_;
  if (lw == "end" && begin_depth_ > 0) --begin_depth_;
}

ScriptSplitter::Scan ScriptSplitter::scan() {
  while (scan_ < buf_.size()) {
    char c = buf_[scan_];
    switch (lex_) {
      case Lex::line_comment:
        if (c == '\n') lex_ = Lex::code;
        step();
        continue;
      case Lex::block_comment: {
        if (c == '*' || c == '/') {
          auto n = peek(1);
          if (!n) return Scan::need_more;
          if (c == '*' && *n == '/') {
            scan_ += 2;
            if (--comment_depth_ == 0) lex_ = Lex::code;
            continue;
          }
          if (c == '/' && *n == '*') {
            scan_ += 2;
            ++comment_depth_;
            continue;
          }
        }
        step();
        continue;
      }
      case Lex::quote:
      case Lex::escape_quote: {
        // Jump to the next character that matters.
        if (!skip_to(lex_ == Lex::quote ? "'\n" : "'\\\n")) return Scan::need_more;
        c = buf_[scan_];
        if (c == '\n') {
          step();
          continue;
        }
        auto n = peek(1);
        if (!n) return Scan::need_more;
        if (c == '\\') {  // E'' escape: the next character is taken as it is
          ++scan_;
          step();
          continue;
        }
        if (*n == '\'') {  // '' stands for one quote
          scan_ += 2;
          continue;
        }
        ++scan_;
        lex_ = Lex::code;
        continue;
      }
      case Lex::ident_quote:
        if (c == '"') lex_ = Lex::code;  // "" closes and reopens: the same thing
        step();
        continue;
      case Lex::dollar: {
        std::size_t hit = buf_.find(dollar_tag_, scan_);
        if (hit == std::string::npos) {
          // Keep the tail that could be the start of the closing tag.
          std::size_t keep = std::min(buf_.size() - scan_, dollar_tag_.size() - 1);
          while (scan_ < buf_.size() - keep) step();
          return Scan::need_more;
        }
        while (scan_ < hit) step();
        scan_ += dollar_tag_.size();
        lex_ = Lex::code;
        continue;
      }
      case Lex::code:
        break;
    }

    // Lex::code
    if (stmt_ == kNone) {
      if (is_space(c)) {
        step();
        continue;
      }
      if (c == ';') {  // an empty statement
        ++scan_;
        pos_ = scan_;
        continue;
      }
      if (c == '\\') return Scan::meta_command;
    }
    if (c == '-' || c == '/') {
      auto n = peek(1);
      if (!n) return Scan::need_more;
      if (*n == (c == '-' ? '-' : '*')) {
        lex_line_ = line_;
        lex_ = c == '-' ? Lex::line_comment : Lex::block_comment;
        comment_depth_ = 1;
        scan_ += 2;
        continue;
      }
    }
    if (stmt_ == kNone) {
      stmt_ = scan_;
      stmt_line_ = line_;
    }
    if (ident_start(c)) {
      std::size_t end = scan_;
      while (end < buf_.size() && ident_char(buf_[end])) ++end;
      if (end == buf_.size() && !finished_) return Scan::need_more;
      std::string_view word(buf_.data() + scan_, end - scan_);
      on_word(word);
      scan_ = end;
      if ((word == "e" || word == "E") && scan_ < buf_.size() && buf_[scan_] == '\'') {
        lex_line_ = line_;
        lex_ = Lex::escape_quote;
        ++scan_;
      }
      continue;
    }
    switch (c) {
      case '\'':
        lex_line_ = line_;
        lex_ = std_strings_ ? Lex::quote : Lex::escape_quote;
        break;
      case '"':
        lex_line_ = line_;
        lex_ = Lex::ident_quote;
        break;
      case '(':
        ++paren_depth_;
        break;
      case ')':
        if (paren_depth_ > 0) --paren_depth_;
        break;
      case ';':
        if (paren_depth_ == 0 && begin_depth_ == 0) return Scan::statement_end;
        break;
      case '$': {
        // $n is a parameter; $tag$ or $$ opens a dollar quote.
        std::size_t end = scan_ + 1;
        if (end < buf_.size() && ident_start(buf_[end])) {
          while (end < buf_.size() && ident_char(buf_[end]) && buf_[end] != '$') ++end;
        }
        if (end == buf_.size() && !finished_) return Scan::need_more;
        if (end < buf_.size() && buf_[end] == '$') {
          dollar_tag_.assign(buf_, scan_, end + 1 - scan_);
          lex_line_ = line_;
          lex_ = Lex::dollar;
          scan_ = end + 1;
          continue;
        }
        break;
      }
      default:
        break;
    }
    step();
  }
  return Scan::need_more;
}

void ScriptSplitter::end_statement() {
  stmt_ = kNone;
  paren_depth_ = 0;
  begin_depth_ = 0;
  first_words_.clear();
}

std::optional<ScriptItem> ScriptSplitter::next_statement() {
  switch (scan()) {
    case Scan::statement_end: {
      std::string_view text = trim_right(std::string_view(buf_).substr(stmt_, scan_ - stmt_));
      ScriptItem item{ScriptItem::Kind::statement, text, stmt_line_};
      ++scan_;  // the ';'
      pos_ = scan_;
      end_statement();
      return item;
    }
    case Scan::meta_command: {
      // The rest of the line; a meta-command ends with it.
      const char* eol =
          static_cast<const char*>(std::memchr(buf_.data() + scan_, '\n', buf_.size() - scan_));
      if (eol == nullptr && !finished_) return std::nullopt;
      std::size_t end = eol == nullptr ? buf_.size() : static_cast<std::size_t>(eol - buf_.data());
      std::string_view text = trim_right(std::string_view(buf_).substr(scan_ + 1, end - scan_ - 1));
      ScriptItem item{ScriptItem::Kind::meta_command, text, line_};
      scan_ = eol == nullptr ? end : end + 1;
      if (eol != nullptr) ++line_;
      pos_ = scan_;
      return item;
    }
    case Scan::need_more:
      break;
  }
  if (!finished_) return std::nullopt;
  auto unterminated = [this](std::string_view what) {
    return Error(ExitCode::verify_failed,
                 fmt::format("the script ends inside {} that starts at line {}", what, lex_line_));
  };
  switch (lex_) {
    case Lex::quote:
    case Lex::escape_quote:
      throw unterminated("a quoted string");
    case Lex::ident_quote:
      throw unterminated("a quoted identifier");
    case Lex::dollar:
      throw unterminated(fmt::format("a {} quoted string", dollar_tag_));
    case Lex::block_comment:
      throw unterminated("a /* comment");
    case Lex::code:
    case Lex::line_comment:
      break;
  }
  if (stmt_ == kNone) return std::nullopt;
  std::string_view text = trim_right(std::string_view(buf_).substr(stmt_));
  ScriptItem item{ScriptItem::Kind::statement, text, stmt_line_};
  pos_ = scan_ = buf_.size();
  end_statement();
  return item;
}

}  // namespace dbsnap::pg
