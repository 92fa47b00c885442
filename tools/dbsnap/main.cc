// The dbsnap command line: wires the protocols, compressor and volumes into
// the engine's operations. Exit codes: engine/error.h (README "Exit codes").
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "engine/cancel.h"
#include "engine/error.h"
#include "tools/dbsnap/commands.h"

namespace {

extern "C" void on_signal(int) { dbsnap::request_cancel(); }

// The command selected by argv, run; its exit code.
int run_dbsnap(int argc, char** argv) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"dbsnap: fast, consistent logical backups of PostgreSQL, MySQL and MariaDB"};
  app.set_version_flag("--version", DBSNAP_VERSION);
  app.require_subcommand(1);
  dbsnap::cli::register_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(dbsnap::ExitCode::usage);
  }
  try {
    return dbsnap::cli::run_selected(app);
  } catch (const dbsnap::Error& e) {
    fmt::print(stderr, "dbsnap: error: {}\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    fmt::print(stderr, "dbsnap: error: {}\n", e.what());
    return static_cast<int>(dbsnap::ExitCode::failure);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_dbsnap(argc, argv);
  } catch (const std::exception& e) {  // from setting the command line up, or printing an error
    std::fprintf(stderr, "dbsnap: error: %s\n", e.what());
  } catch (...) {
    std::fputs("dbsnap: error: unknown exception\n", stderr);
  }
  return static_cast<int>(dbsnap::ExitCode::failure);
}
