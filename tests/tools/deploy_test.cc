// The deployment files (tools/systemd/dbsnap.service, tools/kubernetes/),
// checked offline as far as Debian's packages allow:
//  - dbsnap.service passes `systemd-analyze verify` without a warning (with
//    ExecStart pointed at the built binary) and stops the daemon the way it
//    expects: SIGTERM to the daemon alone, longer than its grace period;
//  - the Kubernetes example parses as YAML (python3-yaml); its Secret's
//    config.toml passes `dbsnap check-config`; every CronJob runs `dbsnap run`
//    of a job of that config, with a schedule dbsnap's cron parser accepts,
//    concurrencyPolicy Forbid, the config mounted from the Secret where
//    DBSNAP_CONFIG points, and names Kubernetes accepts (RFC 1123 labels).
// kubectl cannot validate without an API server (`--dry-run=client` still
// downloads the OpenAPI schema), so the schema itself is not checked here.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "engine/cron.h"
#include "tests/support/common.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

fs::path tools_dir() { return source_dir() / "tools"; }

TEST(SystemdUnit, VerifiesCleanlyAndStopsTheDaemonAloneAfterItsGracePeriod) {
  std::string unit = read_file(tools_dir() / "systemd/dbsnap.service");
  for (const char* line : {"KillMode=mixed", "ExecReload=/bin/kill -HUP $MAINPID",
                           "StateDirectory=dbsnap", "--state-dir /var/lib/dbsnap"})
    EXPECT_TRUE(contains(unit, line)) << line;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(unit, m, std::regex("TimeoutStopSec=([0-9]+)")));
  EXPECT_GT(std::stoi(m[1]), 300) << "must outlast the default grace_seconds";

  ScratchDir dir;
  const std::string installed = "/usr/local/bin/dbsnap";
  for (auto at = unit.find(installed); at != std::string::npos; at = unit.find(installed, at))
    unit.replace(at, installed.size(), dbsnap_bin().string());
  std::ofstream(dir.path() / "dbsnap.service") << unit;
  CommandResult r = run_shell("systemd-analyze verify " +
                              shell_quote((dir.path() / "dbsnap.service").string()) + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "") << "systemd-analyze warned";
}

// The documents of a YAML file, as JSON (python3-yaml's safe loader).
json yaml_documents(const fs::path& file) {
  CommandResult r = run({"python3", "-c",
                         "import json, sys, yaml\n"
                         "print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
                         file.string()});
  if (r.exit_code != 0) throw std::runtime_error("not YAML: " + r.describe());
  return json::parse(r.out);
}

bool rfc1123_label(const std::string& s) {
  return s.size() <= 52 && std::regex_match(s, std::regex("[a-z0-9]([-a-z0-9]*[a-z0-9])?"));
}

TEST(KubernetesCronJobs, EachRunsAJobOfTheSecretsConfigWithoutOverlapping) {
  json docs = yaml_documents(tools_dir() / "kubernetes/dbsnap-cronjobs.yaml");
  json secret;
  for (const auto& d : docs)
    if (d["kind"] == "Secret") secret = d;
  ASSERT_TRUE(secret.is_object()) << "no Secret";
  ScratchDir dir;
  std::ofstream(dir.path() / "config.toml")
      << secret["stringData"]["config.toml"].get<std::string>();
  CommandResult check =
      run_dbsnap({"check-config", "--json", "--config", (dir.path() / "config.toml").string()});
  ASSERT_EQ(check.exit_code, 0) << check.describe();
  CommandResult jobs =
      run_dbsnap({"jobs", "--json", "--config", (dir.path() / "config.toml").string()});
  ASSERT_EQ(jobs.exit_code, 0) << jobs.describe();
  std::set<std::string> job_names;
  for (const auto& j : json::parse(jobs.out)) job_names.insert(j["name"].get<std::string>());

  int cronjobs = 0;
  for (const auto& d : docs) {
    if (d["kind"] != "CronJob") continue;
    ++cronjobs;
    const std::string name = d["metadata"]["name"];
    SCOPED_TRACE(name);
    EXPECT_EQ(d["apiVersion"], "batch/v1");
    EXPECT_TRUE(rfc1123_label(name));
    EXPECT_EQ(d["spec"]["concurrencyPolicy"], "Forbid");
    EXPECT_NO_THROW(Schedule::parse(d["spec"]["schedule"].get<std::string>()));
    const json& pod = d["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    EXPECT_TRUE(pod["restartPolicy"] == "Never" || pod["restartPolicy"] == "OnFailure");
    ASSERT_EQ(pod["containers"].size(), 1u);
    const json& c = pod["containers"][0];
    ASSERT_EQ(c["args"].size(), 2u);
    EXPECT_EQ(c["args"][0], "run");
    EXPECT_TRUE(job_names.count(c["args"][1].get<std::string>())) << c["args"].dump();
    const std::string mount = c["volumeMounts"][0]["mountPath"];
    EXPECT_EQ(c["env"][0]["name"], "DBSNAP_CONFIG");
    EXPECT_EQ(c["env"][0]["value"], mount + "/config.toml");
    const std::string volume = c["volumeMounts"][0]["name"];
    bool from_secret = false;
    for (const auto& v : pod["volumes"])
      from_secret |= v["name"] == volume && v["secret"]["secretName"] == secret["metadata"]["name"];
    EXPECT_TRUE(from_secret) << pod["volumes"].dump();
  }
  EXPECT_EQ(cronjobs, static_cast<int>(job_names.size())) << "one CronJob per job";
}

}  // namespace
}  // namespace dbsnap::test
