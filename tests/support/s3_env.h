// S3 settings for tests: the gateway tools/s3-local.sh started (its
// DBSNAP_TEST_S3_* exports). When they are missing, tests fail, never skip.
#pragma once

#include <string>
#include <string_view>

#include "storage/s3/client.h"
#include "storage/s3/volume.h"

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

}  // namespace dbsnap::test
