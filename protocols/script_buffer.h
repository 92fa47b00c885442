// The input side shared by the dialects' SQL script splitters
// (protocols/postgres/splitter.h, protocols/mysql/splitter.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dbsnap {

// Script bytes fed in pieces that may end anywhere, a scan position and the
// line it is on. A splitter derives from it, scans with peek()/step() and
// marks what it returned as consumed by moving pos_. Not thread-safe.
class ScriptBuffer {
 public:
  // Appends the next bytes of the script; they may end anywhere. Drops the
  // bytes consumed so far, so text returned before is no longer valid.
  void feed(std::string_view bytes);
  // No more bytes will come.
  void finish() { finished_ = true; }

 protected:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  // The byte offset after the scan position; '\0' past the end once
  // finished, nullopt when more input is needed.
  std::optional<char> peek(std::size_t offset) const {
    if (scan_ + offset < buf_.size()) return buf_[scan_ + offset];
    if (finished_) return '\0';
    return std::nullopt;
  }
  // Moves the scan position one byte on, counting lines.
  void step() {
    if (buf_[scan_] == '\n') ++line_;
    ++scan_;
  }
  // Moves the scan position to the next byte that is one of stops, which must
  // include '\n' so that no line goes uncounted. False when there is none yet:
  // the scan position is then at the end, and more input is needed.
  bool skip_to(std::string_view stops) {
    std::size_t hit = buf_.find_first_of(stops, scan_);
    scan_ = hit == std::string::npos ? buf_.size() : hit;
    return hit != std::string::npos;
  }

  static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  }
  static std::string_view trim_right(std::string_view s) {
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
  }

  std::string buf_;
  std::size_t pos_ = 0;       // first unconsumed byte
  std::size_t scan_ = 0;      // scanned up to here
  std::size_t stmt_ = kNone;  // first byte of the current statement
  std::uint64_t line_ = 1;    // 1-based line of scan_
  bool finished_ = false;
};

}  // namespace dbsnap
