// Opening a VOLUME argument: a local directory or s3://bucket/prefix.
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
};

// Adds --endpoint, --region, --insecure and --upload-parallel to cmd.
void add_volume_options(CLI::App* cmd, VolumeOptions& options);

// s3://bucket/prefix opens an S3 volume; anything else is a local directory.
// Throws dbsnap::Error(ExitCode::usage) for a malformed s3:// URL.
std::unique_ptr<Volume> open_volume(const std::string& spec, const VolumeOptions& options);

// True when key names an object in volume (not a prefix of one).
bool volume_has(Volume& volume, const std::string& key);

}  // namespace dbsnap::cli
