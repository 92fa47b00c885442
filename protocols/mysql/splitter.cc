#include "protocols/mysql/splitter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "engine/error.h"

namespace dbsnap::mysql {
namespace {

constexpr std::string_view kDelimiterCommand = "delimiter";
// mariadb-dump's sandbox line starts so: "\-" is a client command inside it.
constexpr std::string_view kSandboxOpener = "/*M!999999\\-";

char fold(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

ScriptSplitter::Scan ScriptSplitter::scan() {
  while (scan_ < buf_.size()) {
    char c = buf_[scan_];
    switch (lex_) {
      case Lex::line_comment:
        if (c == '\n') lex_ = Lex::code;
        step();
        continue;
      case Lex::block_comment: {
        if (c == '*') {
          auto n = peek(1);
          if (!n) return Scan::need_more;
          if (*n == '/') {
            scan_ += 2;
            lex_ = Lex::code;
            continue;
          }
        }
        step();
        continue;
      }
      case Lex::quote: {
        // Jump to the next character that matters: the quote, a backslash
        // (an escape in strings, not in `identifiers`), a line end.
        std::string_view stops = quote_ == '`' ? "`\n" : quote_ == '\'' ? "'\\\n" : "\"\\\n";
        if (!skip_to(stops)) return Scan::need_more;
        c = buf_[scan_];
        if (c == '\n') {
          step();
          continue;
        }
        auto n = peek(1);
        if (!n) return Scan::need_more;
        if (c == '\\') {
          ++scan_;
          step();
          continue;
        }
        if (*n == quote_) {  // a doubled quote stands for one
          scan_ += 2;
          continue;
        }
        ++scan_;
        lex_ = Lex::code;
        continue;
      }
      case Lex::code:
        break;
    }

    // Lex::code: the delimiter first, so that any string can be one.
    std::size_t rest = buf_.size() - scan_;
    if (rest < delimiter_.size() && !finished_ &&
        delimiter_.compare(0, rest, buf_, scan_, rest) == 0)
      return Scan::need_more;
    if (buf_.compare(scan_, delimiter_.size(), delimiter_) == 0) {
      if (stmt_ != kNone) return Scan::statement_end;
      scan_ += delimiter_.size();  // an empty statement
      pos_ = scan_;
      continue;
    }
    if (stmt_ == kNone) {
      if (is_space(c)) {
        step();
        continue;
      }
      if (c == '/') {
        std::size_t have = std::min(rest, kSandboxOpener.size());
        if (buf_.compare(scan_, have, kSandboxOpener, 0, have) == 0) {
          if (have < kSandboxOpener.size() && !finished_) return Scan::need_more;
          if (have == kSandboxOpener.size()) {
            // The sandbox command: a client command, not sent (the mariadb
            // client's sandbox forbids \! and friends; this splitter runs none).
            std::size_t close = buf_.find("*/", scan_ + kSandboxOpener.size());
            if (close == std::string::npos && !finished_) return Scan::need_more;
            if (close != std::string::npos) {
              while (scan_ < close + 2) step();
              pos_ = scan_;
              continue;
            }
          }
        }
      }
      if (fold(c) == 'd') {
        if (rest <= kDelimiterCommand.size() && !finished_) return Scan::need_more;
        bool command =
            rest > kDelimiterCommand.size() && (buf_[scan_ + kDelimiterCommand.size()] == ' ' ||
                                                buf_[scan_ + kDelimiterCommand.size()] == '\t');
        for (std::size_t i = 0; command && i < kDelimiterCommand.size(); ++i)
          command = fold(buf_[scan_ + i]) == kDelimiterCommand[i];
        if (command) return Scan::delimiter_command;
      }
    }
    if (c == '#') {
      lex_ = Lex::line_comment;
      ++scan_;
      continue;
    }
    if (c == '-' || c == '/') {
      auto n = peek(1);
      auto n2 = peek(2);
      if (!n || !n2) return Scan::need_more;
      if (c == '-' && *n == '-' && static_cast<unsigned char>(*n2) <= ' ') {
        lex_ = Lex::line_comment;
        scan_ += 2;
        continue;
      }
      if (c == '/' && *n == '*') {
        auto n3 = peek(3);
        if (!n3) return Scan::need_more;
        std::size_t opener = *n2 == '!' ? 3 : (*n2 == 'M' && *n3 == '!') ? 4 : 0;
        if (opener == 0) {
          lex_line_ = line_;
          lex_ = Lex::block_comment;
          scan_ += 2;
          continue;
        }
        // An executable comment: part of the statement, its content is SQL.
        if (stmt_ == kNone) {
          stmt_ = scan_;
          stmt_line_ = line_;
        }
        scan_ += opener;
        continue;
      }
    }
    if (stmt_ == kNone) {
      stmt_ = scan_;
      stmt_line_ = line_;
    }
    if (c == '\'' || c == '"' || c == '`') {
      lex_line_ = line_;
      lex_ = Lex::quote;
      quote_ = c;
      ++scan_;
      continue;
    }
    step();
  }
  return Scan::need_more;
}

std::optional<Statement> ScriptSplitter::next() {
  for (;;) {
    switch (scan()) {
      case Scan::statement_end: {
        Statement s{trim_right(std::string_view(buf_).substr(stmt_, scan_ - stmt_)), stmt_line_};
        scan_ += delimiter_.size();
        pos_ = scan_;
        stmt_ = kNone;
        return s;
      }
      case Scan::delimiter_command: {
        const char* eol =
            static_cast<const char*>(std::memchr(buf_.data() + scan_, '\n', buf_.size() - scan_));
        if (eol == nullptr && !finished_) return std::nullopt;
        std::size_t end =
            eol == nullptr ? buf_.size() : static_cast<std::size_t>(eol - buf_.data());
        std::string_view args = std::string_view(buf_).substr(
            scan_ + kDelimiterCommand.size(), end - scan_ - kDelimiterCommand.size());
        while (!args.empty() && is_space(args.front())) args.remove_prefix(1);
        std::string_view word = args.substr(0, std::min(args.size(), args.find_first_of(" \t\r")));
        if (word.empty())
          throw Error(ExitCode::verify_failed,
                      fmt::format("line {}: DELIMITER needs a delimiter string", line_));
        delimiter_ = word;
        scan_ = eol == nullptr ? end : end + 1;
        if (eol != nullptr) ++line_;
        pos_ = scan_;
        continue;
      }
      case Scan::need_more:
        break;
    }
    if (!finished_) return std::nullopt;
    if (lex_ == Lex::quote)
      throw Error(ExitCode::verify_failed,
                  fmt::format("the script ends inside a {}-quoted {} that starts at line {}",
                              quote_, quote_ == '`' ? "identifier" : "string", lex_line_));
    if (lex_ == Lex::block_comment)
      throw Error(
          ExitCode::verify_failed,
          fmt::format("the script ends inside a /* comment that starts at line {}", lex_line_));
    if (stmt_ == kNone) return std::nullopt;
    Statement s{trim_right(std::string_view(buf_).substr(stmt_)), stmt_line_};
    pos_ = scan_ = buf_.size();
    stmt_ = kNone;
    return s;
  }
}

}  // namespace dbsnap::mysql
