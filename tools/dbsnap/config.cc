#include "tools/dbsnap/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/error.h"
#include "engine/verify_record.h"

namespace dbsnap::cli {
namespace {

std::string& config_flag() {
  static std::string path;
  return path;
}

Config& loaded_config() {
  static Config c;
  return c;
}

std::string home_dir() {
  const char* home = std::getenv("HOME");
  return home ? home : "";
}

// "~/x" -> "$HOME/x"; anything else unchanged.
std::string expand_home(const std::string& path) {
  if (path.starts_with("~/") && !home_dir().empty()) return home_dir() + path.substr(1);
  return path;
}

// The problems of one file, each "config file PATH line N: why".
class Problems {
 public:
  explicit Problems(std::string path) : path_(std::move(path)) {}
  void add(const toml::source_region& where, const std::string& why) {
    found_.emplace_back(where.begin.line,
                        fmt::format("config file {} line {}: {}", path_, where.begin.line, why));
  }
  // The problems in the order of their lines.
  std::vector<std::string> take() {
    std::stable_sort(found_.begin(), found_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> lines;
    for (auto& [line, text] : found_) lines.push_back(std::move(text));
    found_.clear();
    return lines;
  }
  std::size_t size() const { return found_.size(); }

 private:
  std::string path_;
  std::vector<std::pair<std::uint32_t, std::string>> found_;
};

// A key's node if it names one of known; else a problem listing them.
bool known_key(const toml::key& key, const std::vector<std::string_view>& known,
               const std::string& where, Problems& problems) {
  for (auto k : known)
    if (key.str() == k) return true;
  problems.add(key.source(), fmt::format("unknown key '{}' in [{}] (known: {})", key.str(), where,
                                         fmt::join(known, ", ")));
  return false;
}

// Copies the string value of every key of table into the fields; an unknown
// key or a non-string value is a problem naming the line (never the value).
void read_fields(const toml::table& table, const std::string& where,
                 const std::map<std::string, std::string*>& fields, Problems& problems) {
  std::vector<std::string_view> known;
  known.reserve(fields.size());
  for (const auto& [k, v] : fields) known.push_back(k);
  for (const auto& [key, node] : table) {
    if (!known_key(key, known, where, problems)) continue;
    const auto* value = node.as_string();
    if (!value) {
      problems.add(node.source(), fmt::format("{}.{} must be a string", where, key.str()));
      continue;
    }
    *fields.at(std::string(key.str())) = value->get();
  }
}

// Each named table of [section], handed to read(where, table, node) which
// returns the entry or nullopt after adding its problems.
template <typename Entry, typename Read>
std::map<std::string, Entry> read_section(const toml::table& root, const char* section,
                                          Problems& problems, Read read) {
  std::map<std::string, Entry> out;
  const toml::node* node = root.get(section);
  if (!node) return out;
  const auto* tables = node->as_table();
  if (!tables) {
    problems.add(node->source(), fmt::format("[{}] must be a table of named tables", section));
    return out;
  }
  for (const auto& [key, entry_node] : *tables) {
    std::string name(key.str());
    std::string where = fmt::format("{}.{}", section, name);
    const auto* table = entry_node.as_table();
    if (!table) {
      problems.add(entry_node.source(), fmt::format("{} must be a table ([{}])", where, where));
      continue;
    }
    if (std::optional<Entry> entry = read(where, *table, entry_node))
      out.emplace(name, std::move(*entry));
  }
  return out;
}

// A string entry of [section.name] with url set.
template <typename Entry>
auto url_entry(Problems& problems, std::map<std::string, std::string*> (*bind)(Entry&)) {
  return [&problems, bind](const std::string& where, const toml::table& table,
                           const toml::node& node) -> std::optional<Entry> {
    Entry entry;
    read_fields(table, where, bind(entry), problems);
    if (!entry.url.empty()) return entry;
    problems.add(node.source(), fmt::format("[{}] has no url", where));
    return std::nullopt;
  };
}

std::map<std::string, std::string*> server_fields(ServerEntry& e) {
  return {{"url", &e.url}, {"password", &e.password}};
}

std::map<std::string, std::string*> volume_fields(VolumeEntry& e) {
  return {{"url", &e.url},
          {"endpoint", &e.endpoint},
          {"region", &e.region},
          {"access_key", &e.access_key},
          {"secret_key", &e.secret_key},
          {"encrypt_to", &e.encrypt_to},
          {"identity", &e.identity}};
}

// An array of strings; a problem for any other value.
std::vector<std::string> read_strings(const toml::node& node, const std::string& what,
                                      Problems& problems) {
  std::vector<std::string> out;
  const auto* array = node.as_array();
  if (!array) {
    problems.add(node.source(), fmt::format("{} must be an array of strings", what));
    return out;
  }
  for (const auto& item : *array) {
    if (const auto* value = item.as_string()) {
      out.push_back(value->get());
    } else {
      problems.add(item.source(), fmt::format("{} must be an array of strings", what));
    }
  }
  return out;
}

void read_keep(const toml::node& node, const std::string& where, RetentionPolicy& keep,
               Problems& problems) {
  const auto* table = node.as_table();
  if (!table) {
    problems.add(node.source(), fmt::format("{}.keep must be a table, e.g. {{ last = 3 }}", where));
    return;
  }
  std::map<std::string_view, int*> counts = {{"last", &keep.last},       {"hourly", &keep.hourly},
                                             {"daily", &keep.daily},     {"weekly", &keep.weekly},
                                             {"monthly", &keep.monthly}, {"yearly", &keep.yearly}};
  for (const auto& [key, value] : *table) {
    if (!known_key(key, {"last", "hourly", "daily", "weekly", "monthly", "yearly", "within"},
                   where + ".keep", problems))
      continue;
    if (key.str() == "within") {
      const auto* text = value.as_string();
      try {
        if (!text) throw Error(ExitCode::usage, "it must be a string");
        keep.within = parse_calendar_duration(text->get());
      } catch (const Error& e) {
        problems.add(value.source(), fmt::format("{}.keep.within must be a duration such as "
                                                 "\"30d\" or \"1y6m\": {}",
                                                 where, e.what()));
      }
      continue;
    }
    const auto* count = value.as_integer();
    if (!count || count->get() < 0 || count->get() > 100000) {
      problems.add(value.source(),
                   fmt::format("{}.keep.{} must be a whole number from 0", where, key.str()));
      continue;
    }
    *counts.at(key.str()) = static_cast<int>(count->get());
  }
}

bool is_http_url(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

// A spec shown in a message only when it cannot hold a password.
std::string shown(const std::string& spec) {
  return spec.find_first_of("@:") == std::string::npos ? "'" + spec + "'" : "(a URL)";
}

void read_bool(const toml::node& node, const std::string& what, bool& out, Problems& problems) {
  if (const auto* value = node.as_boolean())
    out = value->get();
  else
    problems.add(node.source(), fmt::format("{} must be true or false", what));
}

// An integer at least min into out; else a problem.
void read_int(const toml::node& node, const std::string& what, int min, int& out,
              Problems& problems) {
  const auto* value = node.as_integer();
  if (value && value->get() >= min && value->get() <= 1'000'000)
    out = static_cast<int>(value->get());
  else
    problems.add(node.source(),
                 fmt::format("{} must be a whole number from {} to 1000000", what, min));
}

// The [daemon] table.
DaemonEntry read_daemon(const toml::node& node, Problems& problems) {
  DaemonEntry d;
  const auto* table = node.as_table();
  if (!table) {
    problems.add(node.source(), "[daemon] must be a table");
    return d;
  }
  std::map<std::string, std::string*> strings = {{"listen", &d.listen},
                                                 {"token", &d.token},
                                                 {"cert", &d.cert},
                                                 {"key", &d.key},
                                                 {"state_dir", &d.state_dir}};
  for (const auto& [key, value] : *table) {
    std::string name(key.str());
    if (name == "insecure_http")
      read_bool(value, "daemon.insecure_http", d.insecure_http, problems);
    else if (name == "max_concurrent")
      read_int(value, "daemon.max_concurrent", 1, d.max_concurrent, problems);
    else if (name == "grace_seconds")
      read_int(value, "daemon.grace_seconds", 0, d.grace_seconds, problems);
    else if (!strings.count(name))
      known_key(key,
                {"listen", "token", "cert", "key", "insecure_http", "max_concurrent", "state_dir",
                 "grace_seconds"},
                "daemon", problems);
    else if (const auto* text = value.as_string())
      *strings.at(name) = text->get();
    else
      problems.add(value.source(), fmt::format("daemon.{} must be a string", name));
  }
  for (auto* path : {&d.cert, &d.key, &d.state_dir}) *path = expand_home(*path);
  return d;
}

// Checks what refers outside the job: its server, volume, schedule, hooks.
void check_job(const Config& c, const std::string& where, const toml::table& table,
               const std::string& schedule, const std::string& timezone, JobEntry& job,
               Problems& problems) {
  if (job.server.empty()) {
    problems.add(table.source(), fmt::format("[{}] has no server", where));
  } else if (job.server.find("://") == std::string::npos && !c.servers.count(job.server)) {
    problems.add(
        table["server"].node()->source(),
        fmt::format("{}: server {} is not in [servers] and not a URL", where, shown(job.server)));
  }
  if (!job.verify_server.empty() && job.verify_server.find("://") == std::string::npos &&
      !c.servers.count(job.verify_server))
    problems.add(table["verify_server"].node()->source(),
                 fmt::format("{}: verify_server {} is not in [servers] and not a URL", where,
                             shown(job.verify_server)));
  if (job.volume.empty()) {
    problems.add(table.source(), fmt::format("[{}] has no volume", where));
  } else if (job.volume.find_first_of("/~.") == std::string::npos && !c.volumes.count(job.volume)) {
    problems.add(table["volume"].node()->source(),
                 fmt::format("{}: volume {} is not in [volumes] and not a path or s3:// URL", where,
                             shown(job.volume)));
  }
  if (!schedule.empty()) {
    try {
      job.schedule = Schedule::parse(schedule, timezone);
    } catch (const Error& e) {
      problems.add(table["schedule"].node()->source(), fmt::format("{}: {}", where, e.what()));
    }
  }
  for (const auto& url : job.notify)
    if (!is_http_url(url))
      problems.add(
          table["notify"].node()->source(),
          fmt::format("{}.notify: each webhook must be an http:// or https:// URL", where));
  if (!job.healthcheck.empty() && !is_http_url(job.healthcheck))
    problems.add(table["healthcheck"].node()->source(),
                 fmt::format("{}.healthcheck must be an http:// or https:// URL", where));
}

std::optional<JobEntry> read_job(const Config& c, const std::string& where,
                                 const toml::table& table, Problems& problems) {
  std::size_t before = problems.size();
  JobEntry job;
  std::string schedule, timezone = "UTC", on = "failure", verify, compress;
  std::map<std::string, std::string*> strings = {{"server", &job.server},
                                                 {"volume", &job.volume},
                                                 {"prefix", &job.prefix},
                                                 {"schedule", &schedule},
                                                 {"timezone", &timezone},
                                                 {"on", &on},
                                                 {"healthcheck", &job.healthcheck},
                                                 {"verify", &verify},
                                                 {"verify_server", &job.verify_server},
                                                 {"encrypt_to", &job.encrypt_to},
                                                 {"identity", &job.identity},
                                                 {"compress", &compress}};
  std::map<std::string_view, std::vector<std::string>*> lists = {
      {"databases", &job.databases}, {"exclude", &job.exclude}, {"notify", &job.notify}};
  for (const auto& [key, node] : table) {
    std::string name(key.str());
    if (lists.count(name)) {
      *lists.at(name) = read_strings(node, fmt::format("{}.{}", where, name), problems);
    } else if (name == "keep") {
      read_keep(node, where, job.keep, problems);
    } else if (name == "catch_up") {
      read_bool(node, where + ".catch_up", job.catch_up, problems);
    } else if (!strings.count(name)) {
      known_key(key,
                {"server", "databases", "exclude", "volume", "prefix", "schedule", "timezone",
                 "keep", "notify", "on", "healthcheck", "verify", "verify_server", "catch_up",
                 "encrypt_to", "identity", "compress"},
                where, problems);
    } else if (const auto* value = node.as_string()) {
      *strings.at(name) = value->get();
    } else {
      problems.add(node.source(), fmt::format("{}.{} must be a string", where, name));
    }
  }
  if (on != "failure" && on != "always")
    problems.add(table["on"].node()->source(),
                 fmt::format("{}.on must be \"failure\" or \"always\"", where));
  job.notify_always = on == "always";
  try {
    if (!verify.empty()) job.verify = parse_verify_cadence(verify);
  } catch (const Error& e) {
    problems.add(table["verify"].node()->source(), fmt::format("{}: {}", where, e.what()));
  }
  try {
    if (!compress.empty()) job.compress = parse_compression(compress);
  } catch (const Error& e) {
    problems.add(table["compress"].node()->source(),
                 fmt::format("{}.compress: {}", where, e.what()));
  }
  check_job(c, where, table, schedule, timezone, job, problems);
  if (problems.size() != before) return std::nullopt;
  return job;
}

// Where the default config file lives ("" without $HOME).
std::string default_path() {
  std::string home = home_dir();
  return home.empty() ? "" : home + "/.config/dbsnap/config.toml";
}

Config parse_collecting(const std::string& text, const std::string& path, Problems& problems) {
  Config c;
  c.path = path;
  c.loaded = true;
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    problems.add(e.source(), std::string(e.description()));
    return c;
  }
  for (const auto& [key, node] : root)
    known_key(key, {"servers", "volumes", "jobs", "daemon"}, "top level", problems);
  if (const toml::node* daemon = root.get("daemon")) c.daemon = read_daemon(*daemon, problems);
  c.servers = read_section<ServerEntry>(root, "servers", problems,
                                        url_entry<ServerEntry>(problems, &server_fields));
  c.volumes = read_section<VolumeEntry>(root, "volumes", problems,
                                        url_entry<VolumeEntry>(problems, &volume_fields));
  for (auto& [name, v] : c.volumes) {
    v.url = expand_home(v.url);
    v.identity = expand_home(v.identity);
    if (!v.encrypt_to.starts_with("age1")) v.encrypt_to = expand_home(v.encrypt_to);
  }
  c.jobs = read_section<JobEntry>(root, "jobs", problems,
                                  [&](const std::string& where, const toml::table& table,
                                      const toml::node&) -> std::optional<JobEntry> {
                                    return read_job(c, where, table, problems);
                                  });
  for (auto& [name, job] : c.jobs) {
    job.identity = expand_home(job.identity);
    if (!job.encrypt_to.starts_with("age1")) job.encrypt_to = expand_home(job.encrypt_to);
  }
  return c;
}

}  // namespace

std::vector<std::string> check_config(const std::string& text, const std::string& path) {
  Problems problems(path);
  parse_collecting(text, path, problems);
  return problems.take();
}

Config parse_config(const std::string& text, const std::string& path) {
  Problems problems(path);
  Config c = parse_collecting(text, path, problems);
  std::vector<std::string> found = problems.take();
  if (found.empty()) return c;
  if (found.size() == 1) throw Error(ExitCode::usage, found[0]);
  throw Error(ExitCode::usage, fmt::format("{} (and {} more problems: dbsnap check-config lists "
                                           "them all)",
                                           found[0], found.size() - 1));
}

void add_config_option(CLI::App& app) {
  app.add_option("--config", config_flag(),
                 "config file of named servers and volumes (default: $DBSNAP_CONFIG, else "
                 "~/.config/dbsnap/config.toml if it exists)");
}

std::pair<std::string, std::optional<std::string>> read_config_file() {
  std::string path = config_flag();
  bool explicit_path = !path.empty();
  if (!explicit_path) {
    const char* env = std::getenv("DBSNAP_CONFIG");
    if (env && *env) {
      path = env;
      explicit_path = true;
    }
  }
  if (!explicit_path) path = default_path();
  std::error_code ec;
  if (path.empty() || (!explicit_path && !std::filesystem::exists(path, ec)))
    return {path, std::nullopt};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad())
    throw Error(ExitCode::usage,
                fmt::format("cannot read config file {}: {}", path,
                            std::filesystem::exists(path, ec) ? "permission denied or not a file"
                                                              : "no such file"));
  return {path, text.str()};
}

void load_config() {
  auto [path, text] = read_config_file();
  Config& c = loaded_config();
  c = Config{};
  c.path = path;
  if (text) c = parse_config(*text, path);
}

const Config& config() { return loaded_config(); }

ServerUrl resolve_server(const std::string& spec) {
  if (spec.find("://") != std::string::npos) return ServerUrl::parse(spec);
  const Config& c = config();
  auto it = c.servers.find(spec);
  // An unknown spec with '@' or ':' is a URL without its scheme, maybe with a
  // password: never echo it; the URL parser names what is missing instead.
  if (it == c.servers.end() && spec.find_first_of("@:") != std::string::npos)
    return ServerUrl::parse(spec);
  if (it == c.servers.end())
    throw Error(ExitCode::usage,
                fmt::format("unknown server '{}': not a URL and not in {} [servers]{}", spec,
                            c.path.empty() ? "~/.config/dbsnap/config.toml" : c.path,
                            c.loaded ? "" : " (no such file)"));
  ServerUrl url;
  try {
    url = ServerUrl::parse(it->second.url);
  } catch (const Error& e) {
    throw Error(ExitCode::usage, fmt::format("servers.{} in {}: {}", spec, c.path, e.what()));
  }
  if (url.password.empty()) url.password = it->second.password;
  return url;
}

std::string resolve_volume(const std::string& spec, VolumeOptions& options) {
  if (spec.find("://") != std::string::npos) return spec;
  auto it = config().volumes.find(spec);
  if (it == config().volumes.end()) return spec;
  const VolumeEntry& v = it->second;
  if (options.endpoint.empty()) options.endpoint = v.endpoint;
  if (options.region.empty()) options.region = v.region;
  if (options.access_key.empty() && options.secret_key.empty()) {
    options.access_key = v.access_key;
    options.secret_key = v.secret_key;
  }
  if (options.encrypt_to.empty()) options.encrypt_to = v.encrypt_to;
  if (options.identity.empty()) options.identity = v.identity;
  return v.url;
}

bool is_volume_name(const std::string& spec) {
  const Config& c = config();
  return spec.find("://") == std::string::npos && c.volumes.count(spec) && !c.servers.count(spec);
}

std::string job_volume_spec(const JobEntry& job, VolumeOptions& options) {
  std::string spec = resolve_volume(job.volume, options);
  if (job.prefix.empty()) return spec;
  while (spec.size() > 1 && spec.ends_with('/')) spec.pop_back();
  return spec + "/" + job.prefix;
}

const JobEntry& find_job(const std::string& name) {
  auto it = config().jobs.find(name);
  if (it == config().jobs.end())
    throw Error(
        ExitCode::usage,
        fmt::format("no job '{}' in config file {}; dbsnap jobs lists them", name,
                    config().path.empty() ? "~/.config/dbsnap/config.toml" : config().path));
  return it->second;
}

std::string resolve_server_name(const std::string& spec) {
  if (config().servers.count(spec)) return resolve_server(spec).volume_name();
  return spec;
}

}  // namespace dbsnap::cli
