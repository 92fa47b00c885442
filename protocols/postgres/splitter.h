// Splits a psql script (pg_dump --format=plain output, any .sql file) into the
// statements, COPY data and meta-commands psql would execute, as the text
// streams in.
//
// Lexical rules (PostgreSQL documentation, "SQL Syntax", section 4.1 Lexical
// Structure): statements end at ';' outside parentheses, quotes and comments;
// '...' strings with '' for a quote (backslash is an escape too while
// standard_conforming_strings is off); E'...' strings with backslash escapes;
// "..." identifiers; $tag$...$tag$ dollar quoting (the tag an identifier
// without '$', or empty; '$' inside an identifier or before a digit does not
// start one); -- comments to the end of the line; /* */ comments, nested.
// As psql does, a ';' inside a SQL-standard routine body (CREATE [OR REPLACE]
// FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END, section 41 / CREATE FUNCTION)
// does not end the statement: BEGIN/CASE ... END are counted at parenthesis
// depth 0 in such a statement.
//
// psql meta-commands (psql documentation, "Meta-Commands") are recognised
// where pg_dump writes them: a line whose first non-blank character, outside
// any statement, is '\'. After a statement the server answered with
// COPY IN, start_copy_data() switches to COPY data (PostgreSQL documentation,
// COPY, "Text Format"): whole lines (or pieces of a long one), from the line
// after the statement up to the line "\." that ends them.
//
// Not thread-safe; one per script.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.h"
#include "protocols/script_buffer.h"

namespace dbsnap::pg {

struct ScriptItem {
  enum class Kind {
    statement,     // text: the statement from its first token, without the final ';'
    copy_data,     // text: COPY data, whole lines each ending in '\n', or a piece
                   // of a line longer than copy_piece_bytes (see the constructor)
    copy_end,      // the "\." line: the COPY data ended; text empty
    meta_command,  // text: the line after the '\', e.g. "connect app", without '\n'
  };
  Kind kind = Kind::statement;
  std::string_view text;   // valid until the next feed()
  std::uint64_t line = 0;  // 1-based line of the script where the item starts
};

// Bytes of one COPY line held before they are handed out as a piece of it:
// a 500 MiB bytea row need not be held whole (COPY data messages may cut a
// row anywhere: PostgreSQL documentation, "Frontend/Backend Protocol",
// COPY Operations).
inline constexpr std::size_t kCopyPieceBytes = std::size_t{1} << 20;

class ScriptSplitter final : public ScriptBuffer {
 public:
  // copy_piece_bytes: a COPY line longer than it comes out in pieces of at
  // least that many bytes (as much as has arrived), so a line need not fit
  // in memory; smaller only in tests.
  explicit ScriptSplitter(std::size_t copy_piece_bytes = kCopyPieceBytes)
      : copy_piece_bytes_(copy_piece_bytes) {}

  // The next complete item, or nullopt when more input is needed (before
  // finish()) or the script is done (after finish()). After finish(), a last
  // statement without ';' is returned as psql would send it. Throws
  // dbsnap::Error(ExitCode::verify_failed) naming the line where an
  // unterminated quoted string, dollar quote or comment, or COPY data without
  // its "\." line, started.
  std::optional<ScriptItem> next();

  // The statement just returned started COPY FROM STDIN: what follows its
  // line is data up to "\.".
  void start_copy_data();

  // How '...' strings treat backslashes: on (the default, and pg_dump's
  // header) they are literal. The caller follows the server's
  // standard_conforming_strings setting.
  void set_standard_conforming_strings(bool on) { std_strings_ = on; }

 private:
  enum class Lex { code, line_comment, block_comment, quote, escape_quote, ident_quote, dollar };
  enum class Scan {
    statement_end,  // scan_ is at the ';' that ends the statement at stmt_
    meta_command,   // scan_ is at the '\' that starts a meta-command line
    need_more,      // the buffer ran out
  };

  std::optional<ScriptItem> next_copy();
  std::optional<ScriptItem> next_statement();
  // Scans on from scan_, keeping the lexical state across calls.
  Scan scan();
  void on_word(std::string_view word);
  void end_statement();
  Error copy_unterminated() const;

  std::uint64_t stmt_line_ = 0;  // line of stmt_
  std::uint64_t lex_line_ = 0;   // line where the current quote or comment started
  Lex lex_ = Lex::code;
  int comment_depth_ = 0;
  std::string dollar_tag_;  // "$tag$" of the open dollar quote
  int paren_depth_ = 0;
  int begin_depth_ = 0;                   // BEGIN ... END depth in a routine body
  std::vector<std::string> first_words_;  // first identifiers of the statement, lowercase
  bool std_strings_ = true;
  bool copy_ = false;
  bool copy_skip_line_ = false;  // the rest of the COPY statement's line is still to skip
  bool copy_mid_line_ = false;   // part of the current COPY line went out as a piece
  std::size_t copy_piece_bytes_;
};

}  // namespace dbsnap::pg
