#include "tools/dbsnap/commands.h"

#include "engine/error.h"
#include "tools/dbsnap/config.h"

namespace dbsnap::cli {
namespace {

Commands& registry() {
  static Commands commands;
  return commands;
}

}  // namespace

void register_commands(CLI::App& app) {
  Commands& commands = registry();
  add_ping_command(app, commands);
  add_backup_command(app, commands);
  add_snapshots_command(app, commands);
  add_restore_command(app, commands);
  add_copy_command(app, commands);
  add_verify_command(app, commands);
  add_jobs_command(app, commands);
  add_check_config_command(app, commands);
  add_run_command(app, commands);
  add_prune_command(app, commands);
  add_servers_command(app, commands);
  add_daemon_command(app, commands);
  // --config is the app's; let it follow the subcommand too (dbsnap ping prod --config F).
  add_config_option(app);
  for (auto& [cmd, run] : commands) cmd->fallthrough();
}

int run_selected(CLI::App&) {
  for (auto& [cmd, run] : registry()) {
    if (!cmd->parsed()) continue;
    // check-config reads the file itself, to list every problem, not the first.
    if (cmd->get_name() != "check-config") load_config();
    return run();
  }
  throw Error(ExitCode::usage, "no command given; see dbsnap --help");
}

}  // namespace dbsnap::cli
