// What the fuzz targets (tests/fuzz/*_fuzz.cc) share. Each target defines
// dbsnap::fuzz::<name>(data, size), run by libFuzzer through
// LLVMFuzzerTestOneInput and, with DBSNAP_FUZZ_NO_ENTRY defined, by
// tests/fuzz/regressions_test.cc on the saved inputs. A target ends the
// process (a crash for libFuzzer) when an invariant breaks; the documented
// dbsnap::Error of a rejected input is not a finding.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compressor.h"
#include "engine/error.h"

namespace dbsnap::fuzz {

// Ends the process, libFuzzer then saves the input.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// What a script splitter (protocols/{postgres,mysql}/splitter.h: feed(),
// finish()) yields from script fed in pieces of `piece` bytes: drain() moves
// every item ready after each feed and after finish() into items. A
// dbsnap::Error ends the list with "error: <what>", so a rejected script
// compares too.
template <class Splitter, class Drain>
std::vector<std::string> split_in_pieces(Splitter& splitter, std::string_view script,
                                         std::size_t piece, Drain drain) {
  std::vector<std::string> items;
  try {
    for (std::size_t at = 0; at < script.size(); at += piece) {
      splitter.feed(script.substr(at, piece));
      drain(items);
    }
    splitter.finish();
    drain(items);
  } catch (const Error& e) {
    items.push_back(std::string("error: ") + e.what());
  }
  return items;
}

// What a stream decompressor (engine/compressor.h: gzip or zstd) makes of in
// fed in pieces of `piece` bytes, then finish(); nullopt if it rejects the
// bytes (dbsnap::Error).
inline std::optional<std::string> stream_in_pieces(StreamDecompressor& stream,
                                                   std::span<const std::byte> in,
                                                   std::size_t piece) {
  try {
    std::string out;
    for (std::size_t at = 0; at < in.size(); at += piece)
      stream.feed(in.subspan(at, std::min(piece, in.size() - at)), out);
    stream.finish();
    return out;
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace dbsnap::fuzz

#ifdef DBSNAP_FUZZ_NO_ENTRY
#define DBSNAP_FUZZ_ENTRY(fn)
#else
#define DBSNAP_FUZZ_ENTRY(fn)                                                         \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    dbsnap::fuzz::fn(data, size);                                                     \
    return 0;                                                                         \
  }
#endif
