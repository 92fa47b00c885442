// S3 settings for tests: the gateway tools/s3-local.sh started (its
// DBSNAP_TEST_S3_* exports). When they are missing, tests fail, never skip.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/s3/client.h"
#include "storage/s3/volume.h"
#include "tests/support/common.h"

namespace dbsnap::test {

// Options for DBSNAP_TEST_S3_ENDPOINT/REGION/ACCESS_KEY/SECRET_KEY, path
// style, 5 MiB parts, 2 parallel parts, 4 tries with 10-100 ms backoff and a
// 10 s timeout. When a variable is unset: records a gtest failure and throws
// std::runtime_error "DBSNAP_TEST_S3_ENDPOINT is not set: run tools/test.sh".
S3Options s3_options();

// DBSNAP_TEST_S3_URL parsed ("s3://dbsnap-test/ci" -> bucket, "ci/").
S3Url s3_base_url();

// A fresh prefix under the base URL for one test: "ci/<unique_name(tag)>/".
std::string s3_unique_prefix(std::string_view tag);

// A fresh prefix of the test bucket, as an s3:// URL for the CLI and as an
// S3Volume for looking behind its back; everything under it is deleted when
// this object goes (unless DBSNAP_TEST_KEEP is set), since RGW keeps objects
// in RAM. Cleaning failures are gtest failures.
class S3Prefix {
 public:
  explicit S3Prefix(std::string_view tag);
  ~S3Prefix();
  S3Prefix(const S3Prefix&) = delete;
  S3Prefix& operator=(const S3Prefix&) = delete;

  // "s3://dbsnap-test/ci/t_..." (no trailing '/').
  std::string url() const;
  const S3Options& options() const { return options_; }
  const std::string& prefix() const { return prefix_; }  // "ci/t_.../"
  S3Volume& volume() { return volume_; }

 private:
  S3Options options_;
  std::string bucket_;
  std::string prefix_;
  S3Volume volume_;
};

// Runs `dbsnap args... --endpoint E --region R` with the test key in the
// environment (the secret replaced by secret when given), no session token,
// profile or age identity, so only these credentials can be used; env holds
// extra assignments ("NAME=value").
CommandResult run_dbsnap_s3(std::vector<std::string> args, const S3Options& options,
                            const std::string& secret = "",
                            const std::vector<std::string>& env = {});

}  // namespace dbsnap::test
