#include "tools/dbsnap/encryption.h"

#include <fmt/format.h>

#include <cstdlib>
#include <sstream>
#include <string_view>

#include "engine/error.h"
#include "storage/age/age.h"
#include "storage/age/sink.h"
#include "storage/age/volume.h"

namespace dbsnap::cli {
namespace {

constexpr const char* kIdentityEnv = "DBSNAP_AGE_IDENTITY";

// Identities from the text of $DBSNAP_AGE_IDENTITY: one per line, blank and
// '#' lines skipped, as an identity file.
std::vector<age::Identity> identities_from_env(std::string_view text) {
  std::vector<age::Identity> out;
  std::istringstream lines{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    try {
      out.emplace_back(age::X25519Identity::parse(line));
    } catch (const Error&) {
      throw Error(ExitCode::usage,
                  fmt::format("{} line {} is not an age identity (AGE-SECRET-KEY-1...)",
                              kIdentityEnv, number));
    }
  }
  if (out.empty())
    throw Error(ExitCode::usage, fmt::format("{} holds no age identity", kIdentityEnv));
  return out;
}

}  // namespace

EncryptOptions encrypt_options_from(const std::string& encrypt_to) {
  EncryptOptions o;
  if (encrypt_to.empty()) return o;
  if (encrypt_to.starts_with("age1"))
    o.to.push_back(encrypt_to);
  else
    o.files.push_back(encrypt_to);
  return o;
}

void add_encrypt_options(CLI::App* cmd, EncryptOptions& options) {
  cmd->add_option("--encrypt-to", options.to,
                  "encrypt the snapshot's data to this age public key (age1...; repeatable); "
                  "the manifest stays readable");
  cmd->add_option("--encrypt-to-file", options.files,
                  "encrypt to the age public keys in this file, one per line (as age -R; "
                  "repeatable)");
}

void add_identity_option(CLI::App* cmd, std::string& identity_file) {
  cmd->add_option("--identity,-i", identity_file,
                  "age identity file (AGE-SECRET-KEY-1..., chmod 600) for an encrypted "
                  "snapshot; default: $DBSNAP_AGE_IDENTITY, the identity text itself");
}

SinkEncrypter encrypter_for(const EncryptOptions& options) {
  if (options.empty()) return {};
  std::vector<age::X25519Recipient> recipients;
  for (const auto& r : options.to) recipients.push_back(age::X25519Recipient::parse(r));
  for (const auto& f : options.files)
    for (const auto& r : age::read_recipients_file(f)) recipients.push_back(r);
  if (recipients.empty())
    throw Error(ExitCode::usage, "--encrypt-to-file: the files hold no age recipient");
  return [recipients](std::unique_ptr<Sink> next) -> std::unique_ptr<EncryptingSink> {
    return std::make_unique<age::AgeSink>(std::move(next), recipients);
  };
}

bool has_identity_env() {
  const char* text = std::getenv(kIdentityEnv);
  return text != nullptr && *text != '\0';
}

Volume& chunk_reader(Volume& volume, const Manifest& m, const std::string& snapshot,
                     const std::string& identity_file, std::unique_ptr<Volume>& holder) {
  if (!m.encryption.encrypted()) return volume;
  std::vector<age::Identity> identities;
  if (!identity_file.empty()) {
    for (auto& id : age::read_identity_file(identity_file)) identities.emplace_back(std::move(id));
    if (identities.empty())
      throw Error(ExitCode::usage,
                  fmt::format("identity file '{}' holds no age identity", identity_file));
  } else if (has_identity_env()) {
    const char* text = std::getenv(kIdentityEnv);
    identities = identities_from_env(text == nullptr ? "" : text);
  } else {
    throw Error(ExitCode::usage, fmt::format("snapshot {} is encrypted: give --identity FILE or {}",
                                             snapshot, kIdentityEnv));
  }
  holder = std::make_unique<age::AgeVolume>(volume, std::move(identities));
  return *holder;
}

}  // namespace dbsnap::cli
