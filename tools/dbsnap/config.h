// The config file: named servers and volumes, with their secrets, so a
// command line can say `dbsnap backup prod --to offsite` (README "Config file").
//
//   [servers.prod]
//   url = "postgres://backup@db1.example.com:5432/app"
//   password = "..."            # optional; used when the URL has none
//   [volumes.offsite]
//   url = "s3://backups/prod"   # or a local path
//   endpoint = "https://s3.example.com"
//   region = "eu-west-1"
//   access_key = "..."          # optional; else AWS env / ~/.aws/credentials
//   secret_key = "..."
//   encrypt_to = "age1..."       # or a recipients file: backups to it are encrypted
//   identity = "~/.config/dbsnap/key.txt"   # age identity file for its encrypted snapshots
//   [jobs.nightly]               # a backup set up once (README "Scheduled backups")
//   server = "prod"              # a [servers] name or a URL
//   databases = ["app"]          # default: every user database; exclude = [...]
//   volume = "offsite"           # a [volumes] name, a path or s3:// URL
//   prefix = "eu/prod"           # folder / key prefix inside the volume
//   schedule = "30 2 * * *"      # cron (engine/cron.h); timezone = "Europe/Paris"
//   keep = { last = 3, daily = 7, weekly = 4, monthly = 12, yearly = 3, within = "30d" }
//   notify = ["https://hooks.example.com/x"]   # webhooks; on = "failure" | "always"
//   healthcheck = "https://hc.example.com/ping/uuid"
//   verify = "weekly"            # restore-test: "always" | "daily" | "weekly" | "monthly" | "<N>d"
//   verify_server = "scratch"    # where the scratch database goes (default: the job's server)
//   catch_up = true              # dbsnap daemon: run once at start-up a run missed while down
//   encrypt_to = "age1..."       # or a recipients file (default: the volume's)
//   identity = "..."             # identity file for its restore check (default: the volume's)
//   compress = "zstd"            # as backup --compress (default: gzip level 7)
//   [daemon]                     # dbsnap daemon (README "Daemon")
//   listen = "127.0.0.1:8417"    # host:port; not loopback: needs token, and TLS or insecure_http
//   token = "..."                # Bearer token of the API and the page (not /healthz)
//   cert = "/etc/dbsnap/cert.pem"  # TLS certificate chain and key (PEM)
//   key = "/etc/dbsnap/key.pem"
//   insecure_http = false
//   max_concurrent = 1           # runs at once (never two of one job or one server)
//   state_dir = "/var/lib/dbsnap"  # run history (default ~/.local/state/dbsnap)
//   grace_seconds = 300          # SIGTERM: how long running backups may finish before cancelling
//
// Secrets read here are never printed: servers are shown with
// ServerUrl::masked(), and no message of this file quotes a value.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/cron.h"
#include "engine/retention.h"
#include "engine/url.h"
#include "tools/dbsnap/drivers.h"
#include "tools/dbsnap/volumes.h"

namespace dbsnap::cli {

// One [servers.<name>] table.
struct ServerEntry {
  std::string url;       // may hold a password: never print it
  std::string password;  // secret; empty: the URL's, else PGPASSWORD/.pgpass...
};

// One [volumes.<name>] table.
struct VolumeEntry {
  std::string url;  // s3://bucket/prefix or a local directory ("~/" expanded)
  std::string endpoint, region;
  std::string access_key, secret_key;  // secret; empty: AWS env / ~/.aws/credentials
  std::string encrypt_to;              // "age1..." or a recipients file; "" = plaintext
  std::string identity;                // age identity file ("~/" expanded)
};

// One [jobs.<name>] table, validated: its server and volume resolve, its
// schedule parses.
struct JobEntry {
  std::string server;  // SERVER spec (resolve_server)
  std::vector<std::string> databases, exclude;
  std::string volume;  // VOLUME spec (resolve_volume)
  std::string prefix;
  std::optional<Schedule> schedule;  // none: run by hand only
  RetentionPolicy keep;              // empty: the job keeps every snapshot
  std::vector<std::string> notify;   // webhook URLs
  bool notify_always = false;        // on = "always": successes too
  std::string healthcheck;           // ping URL, "" = none
  // How often a new snapshot is restore-tested (parse_verify_cadence): none =
  // never, zero = each run, else when the last successful check is older.
  std::optional<CalendarDuration> verify;
  std::string verify_server;  // SERVER spec of the scratch database; "" = the job's server
  bool catch_up = false;      // the daemon runs a missed scheduled run once at start-up
  std::string encrypt_to;     // "age1..." or a recipients file; "" = the volume's
  std::string identity;       // age identity file; "" = the volume's
  Compression compress;       // backup --compress
};

// The [daemon] table.
struct DaemonEntry {
  std::string listen = "127.0.0.1:8417";  // host:port; [v6]:port for IPv6
  std::string token;                      // secret; "" = none
  std::string cert, key;                  // PEM files ("~/" expanded)
  bool insecure_http = false;
  int max_concurrent = 1;   // >= 1
  std::string state_dir;    // "" = the default (default_state_dir())
  int grace_seconds = 300;  // >= 0
};

// A loaded config file (possibly none).
struct Config {
  std::string path;  // the file read, or the default path looked for
  bool loaded = false;
  std::map<std::string, ServerEntry> servers;
  std::map<std::string, VolumeEntry> volumes;
  std::map<std::string, JobEntry> jobs;
  DaemonEntry daemon;
};

// Every problem of the TOML text of the file at path, one line each,
// "config file PATH line N: why" (never quoting a value): malformed TOML
// (the first syntax error only), a value of the wrong type, an unknown key,
// a table without url, a job whose server, volume, schedule, time zone,
// keep or notify is wrong. Empty when the file is good.
std::vector<std::string> check_config(const std::string& text, const std::string& path);

// Parses the TOML text of the file at path. Throws dbsnap::Error(ExitCode::usage)
// with the first problem check_config() finds and how many more there are.
Config parse_config(const std::string& text, const std::string& path);

// Adds the global --config FILE option to app. Call once, before parse.
void add_config_option(CLI::App& app);

// The text and path of the config file for this run (--config FILE, else
// $DBSNAP_CONFIG, else the default path); text is nullopt when the default
// file does not exist. Throws dbsnap::Error(ExitCode::usage) when an explicit
// file cannot be read.
std::pair<std::string, std::optional<std::string>> read_config_file();

// Loads the config file for this run: --config FILE, else $DBSNAP_CONFIG,
// else ~/.config/dbsnap/config.toml if it exists (absent is fine; an explicit
// file that cannot be read is a usage error). Call once, after parse.
void load_config();

// The config load_config() read (empty before it).
const Config& config();

// SERVER argument -> URL. A spec with "://" is parsed as a URL; anything else
// names a [servers] entry, whose password fills an empty URL password.
// Throws dbsnap::Error(ExitCode::usage) for an unknown name or a bad URL.
ServerUrl resolve_server(const std::string& spec);

// VOLUME argument -> what open_volume() takes. A name in [volumes] gives its
// url, and its endpoint, region and keys fill the options left empty on the
// command line; anything else is returned as is (a path or s3:// URL).
std::string resolve_volume(const std::string& spec, VolumeOptions& options);

// The volume a job writes to, as open_volume() takes it: its volume
// (resolve_volume(), which fills options) with "/<prefix>" appended.
std::string job_volume_spec(const JobEntry& job, VolumeOptions& options);

// The [jobs] entry called name. Throws dbsnap::Error(ExitCode::usage)
// "no job 'x' in config file P; dbsnap jobs lists them".
const JobEntry& find_job(const std::string& name);

// A --server filter -> Manifest::server_name: a [servers] name gives its
// URL's "host-port"; anything else (a host-port, or empty) is returned as is.
std::string resolve_server_name(const std::string& spec);

// True when spec names a [volumes] entry (and no [servers] one).
bool is_volume_name(const std::string& spec);

}  // namespace dbsnap::cli
