#include "tests/support/s3_env.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "tests/support/common.h"

namespace dbsnap::test {

S3Options s3_options() {
  S3Options options;
  options.endpoint = required_env("DBSNAP_TEST_S3_ENDPOINT");
  options.region = required_env("DBSNAP_TEST_S3_REGION");
  options.access_key = required_env("DBSNAP_TEST_S3_ACCESS_KEY");
  options.secret_key = required_env("DBSNAP_TEST_S3_SECRET_KEY");
  options.url_style = S3UrlStyle::path;
  options.part_bytes = 5 << 20;
  options.upload_parallel = 2;
  options.max_attempts = 4;
  options.retry_base_delay = std::chrono::milliseconds(10);
  options.retry_max_delay = std::chrono::milliseconds(100);
  options.timeout = std::chrono::milliseconds(10'000);
  return options;
}

S3Url s3_base_url() { return S3Url::parse(required_env("DBSNAP_TEST_S3_URL")); }

std::string s3_unique_prefix(std::string_view tag) {
  return s3_base_url().prefix + unique_name(tag) + "/";
}

}  // namespace dbsnap::test
