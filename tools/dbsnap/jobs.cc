// dbsnap jobs: the [jobs] of the config file, each with its schedule in words
// and its next runs; dbsnap check-config: every problem of the file at once.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "engine/error.h"
#include "tools/dbsnap/commands.h"
#include "tools/dbsnap/config.h"
#include "tools/dbsnap/output.h"

namespace dbsnap::cli {
namespace {

// Runs a job's schedule shows.
constexpr int kNextRuns = 3;

std::string utc_iso(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(t)));
}

// "last 3, daily 7, within 30d"; "every snapshot" for an empty policy.
std::string keep_words(const RetentionPolicy& keep) {
  if (keep.empty()) return "every snapshot";
  std::vector<std::string> parts;
  std::pair<const char*, int> counts[] = {{"last", keep.last},       {"hourly", keep.hourly},
                                          {"daily", keep.daily},     {"weekly", keep.weekly},
                                          {"monthly", keep.monthly}, {"yearly", keep.yearly}};
  for (auto [word, n] : counts)
    if (n != 0) parts.push_back(fmt::format("{} {}", word, n));
  if (!keep.within.zero()) parts.push_back("within " + to_string(keep.within));
  return fmt::format("{}", fmt::join(parts, ", "));
}

nlohmann::ordered_json job_json(const std::string& name, const JobEntry& job,
                                std::chrono::system_clock::time_point now) {
  nlohmann::ordered_json j;
  j["name"] = name;
  j["server"] = resolve_server(job.server).masked();
  j["databases"] = job.databases;
  j["exclude"] = job.exclude;
  j["volume"] = job.volume;
  j["prefix"] = job.prefix;
  j["keep"] = keep_words(job.keep);
  j["notify"] = job.notify.size();
  j["healthcheck"] = !job.healthcheck.empty();
  j["catch_up"] = job.catch_up;
  if (!job.schedule) {
    j["schedule"] = nullptr;
    return j;
  }
  j["schedule"] = job.schedule->expression();
  j["time_zone"] = job.schedule->time_zone();
  j["schedule_words"] = job.schedule->describe();
  auto t = now;
  for (int i = 0; i < kNextRuns; ++i) {
    t = job.schedule->next_after(t);
    j["next_runs"].push_back(utc_iso(t));
  }
  return j;
}

int run_jobs(const Output& output) {
  const Config& c = config();
  auto now = std::chrono::system_clock::now();
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& [name, job] : c.jobs) all.push_back(job_json(name, job, now));
  if (output.json) {
    print_json(all);
    return 0;
  }
  if (all.empty()) {
    fmt::print("no jobs in {}: add a [jobs.<name>] table (README \"Scheduled backups\")\n",
               c.path.empty() ? "the config file" : c.path);
    return 0;
  }
  for (const auto& j : all) {
    fmt::print("{}: {} -> {}{}\n", j["name"].get<std::string>(), j["server"].get<std::string>(),
               j["volume"].get<std::string>(),
               j["prefix"].get<std::string>().empty() ? "" : "/" + j["prefix"].get<std::string>());
    if (j["schedule"].is_null()) {
      fmt::print("  schedule: none (run by hand)\n");
    } else {
      fmt::print("  schedule: {} ({}); next: {}\n", j["schedule_words"].get<std::string>(),
                 j["schedule"].get<std::string>(),
                 fmt::join(j["next_runs"].get<std::vector<std::string>>(), ", "));
    }
    fmt::print("  keep: {}\n", j["keep"].get<std::string>());
  }
  return 0;
}

int run_check_config(const Output& output) {
  auto [path, text] = read_config_file();
  if (!text)
    throw Error(ExitCode::usage,
                fmt::format("no config file at {}: write one or give --config FILE",
                            path.empty() ? "~/.config/dbsnap/config.toml" : path));
  std::vector<std::string> problems = check_config(*text, path);
  if (output.json) {
    print_json({{"path", path}, {"problems", problems}});
  } else if (problems.empty()) {
    Config c = parse_config(*text, path);
    fmt::print("config file {}: ok ({} servers, {} volumes, {} jobs)\n", path, c.servers.size(),
               c.volumes.size(), c.jobs.size());
  } else {
    for (const auto& line : problems) fmt::print(stderr, "{}\n", line);
  }
  return problems.empty() ? 0 : static_cast<int>(ExitCode::usage);
}

}  // namespace

void add_jobs_command(CLI::App& app, Commands& commands) {
  static Output output;
  auto* jobs = app.add_subcommand("jobs", "list the config file's jobs: schedule, next runs, keep");
  add_output_options(jobs, output);
  commands.emplace_back(jobs, [] { return run_jobs(output); });
}

void add_check_config_command(CLI::App& app, Commands& commands) {
  static Output output;
  auto* check = app.add_subcommand("check-config",
                                   "check the config file and list every problem with its line");
  add_output_options(check, output);
  commands.emplace_back(check, [] { return run_check_config(output); });
}

}  // namespace dbsnap::cli
