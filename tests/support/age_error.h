// A gtest helper for the age format's errors (storage/age/age.h).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "storage/age/age.h"

namespace dbsnap::test {

// The message of the age::AgeError that f throws, checking its failure kind;
// a test failure (and "") when f throws none.
template <typename F>
std::string age_error(F f, age::Failure expected) {
  try {
    f();
  } catch (const age::AgeError& e) {
    EXPECT_EQ(static_cast<int>(e.failure()), static_cast<int>(expected)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no AgeError thrown";
  return "";
}

}  // namespace dbsnap::test
