#include "storage/s3/credentials.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>

#include "engine/error.h"
#include "storage/s3/client.h"

namespace dbsnap {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::filesystem::path credentials_file() {
  if (std::string file = env("AWS_SHARED_CREDENTIALS_FILE"); !file.empty()) return file;
  return std::filesystem::path(env("HOME")) / ".aws" / "credentials";
}

// The keys of [profile] in file, or nullopt if the file or section is missing.
std::optional<S3Credentials> read_profile(const std::filesystem::path& file,
                                          std::string_view profile) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::optional<S3Credentials> found;
  bool inside = false;
  for (std::string raw; std::getline(in, raw);) {
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      inside = trim(line.substr(1, line.size() - 2)) == profile;
      if (inside && !found) found.emplace();
      continue;
    }
    std::size_t eq = line.find('=');
    if (!inside || eq == std::string_view::npos) continue;
    std::string_view name = trim(line.substr(0, eq));
    std::string value(trim(line.substr(eq + 1)));
    if (name == "aws_access_key_id")
      found->access_key = value;
    else if (name == "aws_secret_access_key")
      found->secret_key = value;
    else if (name == "aws_session_token")
      found->session_token = value;
  }
  return found;
}

}  // namespace

S3Credentials resolve_s3_credentials(const S3Options& options) {
  if (!options.access_key.empty() || !options.secret_key.empty()) {
    if (options.access_key.empty() || options.secret_key.empty())
      throw Error(ExitCode::usage, "s3 credentials need both an access key and a secret key");
    return {options.access_key, options.secret_key, options.session_token};
  }
  std::string access_key = env("AWS_ACCESS_KEY_ID");
  std::string secret_key = env("AWS_SECRET_ACCESS_KEY");
  if (!access_key.empty() || !secret_key.empty()) {
    if (access_key.empty() || secret_key.empty())
      throw Error(ExitCode::usage,
                  "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither to use a "
                  "profile");
    return {access_key, secret_key, env("AWS_SESSION_TOKEN")};
  }
  std::string profile = options.profile.empty() ? env("AWS_PROFILE") : options.profile;
  bool named = !profile.empty();
  if (!named) profile = "default";
  std::filesystem::path file = credentials_file();
  std::optional<S3Credentials> found = read_profile(file, profile);
  if (found && !found->access_key.empty() && !found->secret_key.empty()) return *found;
  if (found)
    throw Error(ExitCode::usage, fmt::format("profile '{}' in '{}' needs aws_access_key_id and "
                                             "aws_secret_access_key",
                                             profile, file.native()));
  if (named)
    throw Error(ExitCode::usage, fmt::format("no profile '{}' in '{}': add it or fix AWS_PROFILE",
                                             profile, file.native()));
  throw Error(ExitCode::usage,
              fmt::format("no s3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                          "or AWS_PROFILE with a profile in '{}'",
                          file.native()));
}

}  // namespace dbsnap
