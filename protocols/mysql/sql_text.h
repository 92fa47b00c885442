// SQL text for MySQL/MariaDB scripts: identifiers, string literals, hex literals.
//
// Every function here is pure and thread-safe. The forms follow what mysqldump
// prints (client/mysqldump.c: quote_name, mysql_real_escape_string with
// --hex-blob) for a connection whose character set is utf8mb4.
#pragma once

#include <string>
#include <string_view>

namespace dbsnap::mysql {

// Whether haystack holds needle (std::string_view::contains is C++23).
inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// `name` with every backquote doubled, as SHOW CREATE and mysqldump quote
// identifiers (MariaDB KB "Identifier Names").
std::string quote_ident(std::string_view name);

// Appends s inside single quotes, escaped exactly as mysql_real_escape_string
// does for utf8mb4 and every other ASCII-safe character set: NUL, '\n', '\r',
// '\\', '\'', '"' and Ctrl-Z become \0 \n \r \\ \' \" \Z. The result is valid
// only while NO_BACKSLASH_ESCAPES is off (the script's SQL_MODE guarantees it).
void append_quoted(std::string& out, std::string_view s);

// append_quoted into a new string: 'it\'s'.
std::string quote_string(std::string_view s);

// Appends bytes as a hex literal, 0x00FF ('' for no bytes), as mysqldump
// --hex-blob prints binary strings, BLOBs, BIT and GEOMETRY values.
void append_hex(std::string& out, std::string_view bytes);

}  // namespace dbsnap::mysql
