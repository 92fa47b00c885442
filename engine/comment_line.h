// Text that goes into a "-- ..." comment line of a dump script.
//
// A dump is executed by psql or mysql/mariadb, which run backslash
// meta-commands (`\!` runs a shell command) found at the start of a line
// outside a literal. A name printed in a comment line must therefore never
// end that line: this is pg_dump's sanitize_line (pg_backup_archiver.c),
// shared by both dialects. Pure, thread-safe, no database library.
#pragma once

#include <string>
#include <string_view>

namespace dbsnap {

// s with every '\n' and '\r' replaced by a space, so that it stays on the
// comment line it is printed on. When s is empty and want_hyphen is set,
// returns "-" (pg_dump prints "Schema: -" for an object without a schema).
std::string sanitize_comment(std::string_view s, bool want_hyphen = false);

}  // namespace dbsnap
