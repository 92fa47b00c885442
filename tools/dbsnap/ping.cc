// dbsnap ping SERVER|VOLUME: a server's connection and rights, or an s3://
// volume's credentials, bucket, write, read and remove.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string_view>

#include "engine/error.h"
#include "tools/dbsnap/commands.h"
#include "tools/dbsnap/config.h"
#include "tools/dbsnap/drivers.h"
#include "tools/dbsnap/output.h"
#include "tools/dbsnap/volumes.h"

namespace dbsnap::cli {
namespace {

struct PingArgs {
  std::string server;
  VolumeOptions volume;
  Output output;
};

// What went wrong in the first request to a volume: the credentials (or the
// key's rights), the bucket, or reaching the endpoint at all.
std::string_view first_request_step(const Error& e) {
  if (e.code() == ExitCode::access_denied) return "credentials";
  if (e.code() == ExitCode::io_error) return "bucket";
  return "connection";
}

// Checks an s3:// volume the way a backup uses it: a listing (credentials and
// bucket), a small probe object written under the prefix and read back, then
// removed. Prints one line per step (json: one document at the end); the
// first failure prints "<step>: FAILED"
// and rethrows its classified error, whose message says what to fix.
int ping_volume(const std::string& spec, const VolumeOptions& options, bool json) {
  auto volume = open_volume(spec, options);  // resolves credentials, sends nothing
  // Each step's line; with --json only the document at the end.
  auto say = [json](std::string_view line) {
    if (!json) fmt::print("{}\n", line);
  };
  say(volume->describe());
  std::random_device random;
  const std::string probe = fmt::format(".dbsnap-ping-{:08x}{:08x}", random(), random());
  const std::string content = fmt::format("dbsnap ping probe {}\n", probe);
  auto failed = [&say](std::string_view step) {
    say(fmt::format("  {}: FAILED", step));
    std::fflush(stdout);
  };
  try {
    volume->list(probe);  // a prefix that matches at most the probe: one short page
  } catch (const Error& e) {
    std::string_view step = first_request_step(e);
    if (step == "bucket") say("  credentials: ok");
    failed(step);
    throw;
  }
  say("  credentials: ok\n  bucket: ok");
  try {
    volume->put(probe, content);
  } catch (const Error& e) {
    failed("write");
    throw Error(e.code(), fmt::format("cannot write to {}: {}", volume->describe(), e.what()));
  }
  say("  write: ok");
  std::string back;
  try {
    back = volume->get(probe);
  } catch (const Error& e) {
    failed("read");
    try {
      volume->remove(probe);
    } catch (const Error&) {
    }
    throw Error(e.code(),
                fmt::format("cannot read back from {}: {}", volume->describe(), e.what()));
  }
  if (back != content) {
    failed("read");
    try {
      volume->remove(probe);
    } catch (const Error&) {
    }
    throw Error(ExitCode::io_error,
                fmt::format("{} returned {} bytes for the probe object {} instead of the {} "
                            "written: check the endpoint (a proxy or gateway alters objects)",
                            volume->describe(), back.size(), probe, content.size()));
  }
  say("  read: ok");
  try {
    volume->remove(probe);
  } catch (const Error& e) {
    failed("remove");
    throw Error(e.code(), fmt::format("cannot remove the probe object {} from {}: {} (grant "
                                      "s3:DeleteObject, or remove it yourself)",
                                      probe, volume->describe(), e.what()));
  }
  say("  remove: ok");
  if (json)
    print_json({{"volume", volume->describe()},
                {"ok", true},
                {"checked", {"credentials", "bucket", "write", "read", "remove"}}});
  return 0;
}

int run_ping(const PingArgs& a) {
  if (a.server.starts_with("s3://")) return ping_volume(a.server, a.volume, a.output.json);
  if (is_volume_name(a.server)) {
    VolumeOptions options = a.volume;
    std::string spec = resolve_volume(a.server, options);
    if (spec.starts_with("s3://")) return ping_volume(spec, options, a.output.json);
    throw Error(ExitCode::usage,
                fmt::format("'{}' is a local volume ({}): ping checks servers and s3:// volumes",
                            a.server, spec));
  }
  if (!a.volume.endpoint.empty() || !a.volume.region.empty())
    throw Error(ExitCode::usage, "--endpoint and --region apply to s3:// volumes only");
  ServerUrl url = resolve_server(a.server);
  PingReport r = driver_for(url)->ping(url);
  if (a.output.json) {
    print_json({{"server", url.masked()},
                {"kind", r.server.kind},
                {"version", r.server.version},
                {"user", r.user},
                {"can_backup", r.can_backup},
                {"can_restore", r.can_restore},
                {"notes", r.notes}});
    return 0;
  }
  fmt::print("{}: {} {}, user {}\n", url.masked(), r.server.kind, r.server.version, r.user);
  fmt::print("  backup:  {}\n", r.can_backup ? "yes" : "no");
  fmt::print("  restore: {}\n", r.can_restore ? "yes" : "no");
  for (const auto& n : r.notes) fmt::print("  note: {}\n", n);
  return 0;
}

}  // namespace

void add_ping_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<PingArgs>();
  auto* ping = app.add_subcommand(
      "ping",
      "test a connection and the user's backup/restore rights, or an s3:// volume's "
      "credentials, bucket, write and read");
  ping->add_option("server", a->server,
                   "server URL, e.g. postgres://user@host:5432/db, a server name from the "
                   "config file, or an s3:// volume (URL or name)")
      ->required();
  add_volume_options(ping, a->volume);
  add_output_options(ping, a->output);
  commands.emplace_back(ping, [a] { return run_ping(*a); });
}

}  // namespace dbsnap::cli
