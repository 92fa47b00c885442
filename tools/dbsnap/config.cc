#include "tools/dbsnap/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/error.h"

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

[[noreturn]] void bad_file(const std::string& path, const toml::source_region& where,
                           const std::string& why) {
  throw Error(ExitCode::usage,
              fmt::format("config file {} line {}: {}", path, where.begin.line, why));
}

// Copies the string value of every key of table into the fields; an unknown
// key or a non-string value is an error naming the line (never the value).
void read_fields(const toml::table& table, const std::string& path, const std::string& where,
                 const std::map<std::string, std::string*>& fields) {
  for (const auto& [key, node] : table) {
    std::string name(key.str());
    auto it = fields.find(name);
    if (it == fields.end()) {
      std::string known;
      for (const auto& [k, v] : fields) known += (known.empty() ? "" : ", ") + k;
      bad_file(path, key.source(),
               fmt::format("unknown key '{}' in [{}] (known: {})", name, where, known));
    }
    const auto* value = node.as_string();
    if (!value) bad_file(path, node.source(), fmt::format("{}.{} must be a string", where, name));
    *it->second = value->get();
  }
}

template <typename Entry, typename Bind>
std::map<std::string, Entry> read_section(const toml::table& root, const char* section,
                                          const std::string& path, Bind bind) {
  std::map<std::string, Entry> out;
  const toml::node* node = root.get(section);
  if (!node) return out;
  const auto* tables = node->as_table();
  if (!tables)
    bad_file(path, node->source(), fmt::format("[{}] must be a table of named tables", section));
  for (const auto& [key, entry_node] : *tables) {
    std::string name(key.str());
    std::string where = fmt::format("{}.{}", section, name);
    const auto* table = entry_node.as_table();
    if (!table)
      bad_file(path, entry_node.source(), fmt::format("{} must be a table ([{}])", where, where));
    Entry entry;
    read_fields(*table, path, where, bind(entry));
    if (entry.url.empty())
      bad_file(path, entry_node.source(), fmt::format("[{}] has no url", where));
    out.emplace(name, std::move(entry));
  }
  return out;
}

// Where the default config file lives ("" without $HOME).
std::string default_path() {
  std::string home = home_dir();
  return home.empty() ? "" : home + "/.config/dbsnap/config.toml";
}

}  // namespace

Config parse_config(const std::string& text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    bad_file(path, e.source(), std::string(e.description()));
  }
  for (const auto& [key, node] : root) {
    if (key.str() != "servers" && key.str() != "volumes")
      bad_file(path, key.source(),
               fmt::format("unknown section '{}' (known: servers, volumes)", key.str()));
  }
  Config c;
  c.path = path;
  c.loaded = true;
  c.servers = read_section<ServerEntry>(root, "servers", path, [](ServerEntry& e) {
    return std::map<std::string, std::string*>{{"url", &e.url}, {"password", &e.password}};
  });
  c.volumes = read_section<VolumeEntry>(root, "volumes", path, [](VolumeEntry& e) {
    return std::map<std::string, std::string*>{{"url", &e.url},
                                               {"endpoint", &e.endpoint},
                                               {"region", &e.region},
                                               {"access_key", &e.access_key},
                                               {"secret_key", &e.secret_key}};
  });
  for (auto& [name, v] : c.volumes) v.url = expand_home(v.url);
  return c;
}

void add_config_option(CLI::App& app) {
  app.add_option("--config", config_flag(),
                 "config file of named servers and volumes (default: $DBSNAP_CONFIG, else "
                 "~/.config/dbsnap/config.toml if it exists)");
}

void load_config() {
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
  Config& c = loaded_config();
  c = Config{};
  c.path = path;
  if (path.empty()) return;
  std::error_code ec;
  if (!explicit_path && !std::filesystem::exists(path, ec)) return;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad())
    throw Error(ExitCode::usage,
                fmt::format("cannot read config file {}: {}", path,
                            std::filesystem::exists(path, ec) ? "permission denied or not a file"
                                                              : "no such file"));
  c = parse_config(text.str(), path);
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
  return v.url;
}

bool is_volume_name(const std::string& spec) {
  const Config& c = config();
  return spec.find("://") == std::string::npos && c.volumes.count(spec) && !c.servers.count(spec);
}

std::string resolve_server_name(const std::string& spec) {
  if (config().servers.count(spec)) return resolve_server(spec).volume_name();
  return spec;
}

}  // namespace dbsnap::cli
