// Splits a mysql-client script (mysqldump or mariadb-dump output, dbsnap's
// MySQL snapshots, any .sql file) into the statements the mysql client would
// send, as the text streams in.
//
// Lexical rules (MySQL Reference Manual, "Comments" and "String Literals";
// MariaDB KB "Comment Syntax"): statements end at the current delimiter
// outside quotes and comments; '...' and "..." strings with backslash escapes
// and doubled quotes (NO_BACKSLASH_ESCAPES is not followed: dump scripts
// never set it); `...` identifiers with `` for a backquote; # and "-- "
// (two dashes then a space or control character) comments to the end of the
// line; /* */ comments, not nested. Executable comments /*!, /*!NNNNN and
// MariaDB's /*M!NNNNNN are kept in the statement for the server to decide;
// their content is read as SQL (quotes inside are quotes) and, as in the
// mysql client, the delimiter ends the statement there too.
//
// The client command DELIMITER (MySQL Reference Manual, "mysql Client
// Commands", and "Defining Stored Programs"): a line starting with
// DELIMITER outside any statement sets the delimiter to its first word (";;"
// in dump scripts around triggers and routines); it is not sent.
//
// The sandbox line mariadb-dump writes first, "/*M!999999\- enable the
// sandbox mode */" (a client command inside an executable comment), is taken
// as a client command outside any statement and not sent.
//
// Not thread-safe; one per script.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/script_buffer.h"

namespace dbsnap::mysql {

struct Statement {
  std::string_view text;   // from its first token (leading comments skipped, executable
                           // comments kept), without the delimiter; valid until next feed()
  std::uint64_t line = 0;  // 1-based line of the script where it starts
};

class ScriptSplitter final : public ScriptBuffer {
 public:
  // The next complete statement, or nullopt when more input is needed
  // (before finish()) or the script is done (after finish()). After
  // finish(), a last statement without a delimiter is returned, as the mysql
  // client sends it. Statements made only of comments are skipped. Throws
  // dbsnap::Error(ExitCode::verify_failed) naming the line where an
  // unterminated quoted string or comment started.
  std::optional<Statement> next();

  // The current delimiter (";" until a DELIMITER line changes it).
  const std::string& delimiter() const { return delimiter_; }

 private:
  enum class Lex { code, line_comment, block_comment, quote };
  enum class Scan { statement_end, delimiter_command, need_more };

  Scan scan();

  std::uint64_t stmt_line_ = 0;
  std::uint64_t lex_line_ = 0;  // where the open quote or comment started
  Lex lex_ = Lex::code;
  char quote_ = 0;  // the open quote character: ' " or `
  std::string delimiter_ = ";";
};

}  // namespace dbsnap::mysql
