// Opening a VOLUME argument (a local directory, s3://bucket/prefix or a
// [volumes] name of the config file) and a SNAPSHOT argument.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "engine/volume.h"

namespace dbsnap::cli {

// Settings of S3 volumes given on the command line or by a named volume of the
// config file (credentials: the config file's keys, else the environment or
// ~/.aws/credentials; see storage/s3/README.md).
struct VolumeOptions {
  std::string endpoint;             // e.g. https://s3.example.com; empty: AWS
  std::string region;               // empty: AWS_REGION, else us-east-1
  bool insecure = false;            // skip TLS certificate verification
  std::size_t upload_parallel = 4;  // multipart parts in flight
  std::string access_key;           // from the config file; empty: AWS env / files
  std::string secret_key;           // secret: never print
  std::string encrypt_to;           // [volumes] encrypt_to: "age1..." or a recipients file
  std::string identity;             // [volumes] identity: an age identity file
};

// Adds --endpoint, --region, --insecure and --upload-parallel to cmd.
void add_volume_options(CLI::App* cmd, VolumeOptions& options);

// s3://bucket/prefix opens an S3 volume; anything else is a local directory.
// Throws dbsnap::Error(ExitCode::usage) for a malformed s3:// URL.
std::unique_ptr<Volume> open_volume(const std::string& spec, const VolumeOptions& options);

// A VOLUME argument: a [volumes] name of the config file (whose settings fill
// the options left empty) or a spec as open_volume() takes it.
std::unique_ptr<Volume> open_volume_arg(const std::string& arg, VolumeOptions options);

// True when key names an object in volume (not a prefix of one).
bool volume_has(Volume& volume, const std::string& key);

// Where a SNAPSHOT argument points: a volume on its directory and the keys in it.
struct LocatedSnapshot {
  std::unique_ptr<Volume> volume;
  std::string manifest;  // key of the manifest; empty for a script without one
  std::string script;    // key of the script when there is no manifest
  std::string identity;  // the age identity file of its [volumes] entry; empty if none
};

// SNAPSHOT is dir/<stem>.manifest.json, dir/<stem>.sql.gz (.sql.zst), dir/<stem>,
// or any .sql / .sql.gz / .sql.zst file (dir: a local directory or s3://bucket/prefix, or
// NAME/path for a [volumes] entry NAME: its url + "/path"). A snapshot inside a
// [volumes] entry's url (either spelling) takes that entry's settings for the
// options left empty, identity included. A .sql.gz with a manifest beside it
// is that snapshot. Throws dbsnap::Error:
// usage for an s3:// URL without a key, verify_failed for a snapshot whose
// manifest is missing, io_error when nothing is there.
LocatedSnapshot locate_snapshot(const std::string& arg, const VolumeOptions& options);

}  // namespace dbsnap::cli
