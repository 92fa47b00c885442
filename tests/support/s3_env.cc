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

S3Prefix::S3Prefix(std::string_view tag)
    : options_(s3_options()),
      bucket_(s3_base_url().bucket),
      prefix_(s3_unique_prefix(tag)),
      volume_(S3Url{bucket_, prefix_}, options_) {}

S3Prefix::~S3Prefix() {
  if (std::getenv("DBSNAP_TEST_KEEP") != nullptr) return;
  try {
    for (const auto& key : volume_.list("")) volume_.remove(key);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cleaning s3://" << bucket_ << "/" << prefix_ << ": " << e.what();
  }
}

std::string S3Prefix::url() const {
  return "s3://" + bucket_ + "/" + prefix_.substr(0, prefix_.size() - 1);
}

CommandResult run_dbsnap_s3(std::vector<std::string> args, const S3Options& options,
                            const std::string& secret, const std::vector<std::string>& env) {
  std::vector<std::string> argv = {
      "env",
      "-u",
      "AWS_SESSION_TOKEN",
      "-u",
      "AWS_PROFILE",
      "-u",
      "DBSNAP_AGE_IDENTITY",
      "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
      "AWS_ACCESS_KEY_ID=" + options.access_key,
      "AWS_SECRET_ACCESS_KEY=" + (secret.empty() ? options.secret_key : secret)};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(dbsnap_bin().string());
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--endpoint", options.endpoint, "--region", options.region});
  return run(argv);
}

}  // namespace dbsnap::test
