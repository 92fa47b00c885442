#include "tools/dbsnap/volumes.h"

#include <algorithm>

#include "storage/local/local_volume.h"
#include "storage/s3/volume.h"

namespace dbsnap::cli {

void add_volume_options(CLI::App* cmd, VolumeOptions& o) {
  cmd->add_option("--endpoint", o.endpoint,
                  "S3 endpoint, e.g. https://s3.example.com (default: AWS)");
  cmd->add_option("--region", o.region, "S3 region (default: AWS_REGION or us-east-1)");
  cmd->add_flag("--insecure", o.insecure, "S3: do not verify the TLS certificate");
  cmd->add_option("--upload-parallel", o.upload_parallel, "S3: multipart parts uploaded at once")
      ->check(CLI::Range(1, 64));
}

std::unique_ptr<Volume> open_volume(const std::string& spec, const VolumeOptions& o) {
  if (spec.rfind("s3://", 0) == 0) {
    S3Options s3;
    s3.endpoint = o.endpoint;
    s3.region = o.region;
    s3.insecure = o.insecure;
    s3.upload_parallel = o.upload_parallel;
    s3.access_key = o.access_key;
    s3.secret_key = o.secret_key;
    return open_s3_volume(spec, s3);
  }
  return std::make_unique<LocalVolume>(spec);
}

bool volume_has(Volume& volume, const std::string& key) {
  auto keys = volume.list(key);
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace dbsnap::cli
