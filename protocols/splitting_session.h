// What both dialects' restore sessions share: the script goes through the
// dialect's splitter, and the session runs the statements that come out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/restore_target.h"

namespace dbsnap {

// Splitter: protocols/postgres/splitter.h or protocols/mysql/splitter.h.
// A derived session implements drain(): run every complete item the
// splitter has, record SET statements in settings_, and prefix errors with
// label_ and lines offset by first_line_. Not thread-safe: one per connection.
template <class Splitter>
class SplittingSession : public RestoreSession {
 public:
  void begin(std::string_view label, std::uint64_t first_line) override {
    label_ = label;
    first_line_ = first_line;
    splitter_ = Splitter();
  }

  void feed(std::string_view text) override {
    splitter_.feed(text);
    drain();
  }

  void end() override {
    splitter_.finish();
    drain();
  }

  std::vector<std::string> settings() const override { return settings_; }

 protected:
  virtual void drain() = 0;

  Splitter splitter_;
  std::string label_;                  // the chunk or file, for messages
  std::uint64_t first_line_ = 1;       // line of the script where this text starts
  std::vector<std::string> settings_;  // session settings run so far, in order
};

}  // namespace dbsnap
