// Client-side encryption on the command line: backup --encrypt-to /
// --encrypt-to-file, restore and verify --identity (README "Encryption").
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "engine/backup.h"
#include "engine/manifest.h"
#include "engine/volume.h"

namespace dbsnap::cli {

// Recipients of a backup: "age1..." keys and files of them (age -R).
struct EncryptOptions {
  std::vector<std::string> to;     // --encrypt-to age1... (repeatable)
  std::vector<std::string> files;  // --encrypt-to-file FILE (repeatable)
  bool empty() const { return to.empty() && files.empty(); }
};

// A config file's encrypt_to: an "age1..." key, else a recipients file.
EncryptOptions encrypt_options_from(const std::string& encrypt_to);

// Adds --encrypt-to and --encrypt-to-file to cmd.
void add_encrypt_options(CLI::App* cmd, EncryptOptions& options);

// Adds --identity FILE to cmd.
void add_identity_option(CLI::App* cmd, std::string& identity_file);

// The encrypter of a backup to options' recipients (every file read now);
// empty when options are empty. Throws dbsnap::Error (usage) for a bad
// recipient or file, naming it, never quoting a key.
SinkEncrypter encrypter_for(const EncryptOptions& options);

// What reads m's chunks: volume itself when m is not encrypted, else a view
// that decrypts them (storage/age/volume.h) with the identities of
// identity_file (mode checked), else of $DBSNAP_AGE_IDENTITY (the identity
// text itself). Throws dbsnap::Error(usage) "snapshot X is encrypted: give
// --identity FILE or DBSNAP_AGE_IDENTITY" when there is none. holder keeps
// the view; the result points into it or to volume.
Volume& chunk_reader(Volume& volume, const Manifest& m, const std::string& snapshot,
                     const std::string& identity_file, std::unique_ptr<Volume>& holder);

// Whether an identity is available without a file ($DBSNAP_AGE_IDENTITY).
bool has_identity_env();

}  // namespace dbsnap::cli
