// The content checksum of a table, taken from the text a dump writes for
// each row: the sum modulo 2^64 of the XXH64 hash (xxHash's 64-bit
// algorithm, seed 0, as `xxhsum -H1` computes it) of every row's text.
// PostgreSQL: a row is one COPY text line with its '\n' (a large object's
// lo_put statement); MySQL/MariaDB: one "(v1,v2,...)" tuple of the extended
// INSERT (a row with a value over kBigValueBytes: its SET statements and the
// INSERT up to its ')'). A sum does not depend on the order of rows, so chunks
// dumped by different workers combine by addition. Pure; thread-safe.
// XXH64 is Debian's libxxhash (xxhash.h, XXH64()).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

struct XXH64_state_s;

namespace dbsnap {

// XXH64 of bytes with seed 0.
std::uint64_t xxh64(std::string_view bytes);

// XXH64 (seed 0) of bytes given in parts: after update() with each part in
// order, digest() equals xxh64() of their concatenation. One thread at a time.
class Xxh64Stream {
 public:
  Xxh64Stream();
  void update(std::string_view bytes);
  std::uint64_t digest() const;
  void reset();  // as newly constructed

 private:
  std::unique_ptr<XXH64_state_s, void (*)(XXH64_state_s*)> state_;
};

}  // namespace dbsnap
