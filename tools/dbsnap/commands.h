// The dbsnap subcommands: one file per command (ping.cc, backup.cc,
// snapshots.cc, restore.cc, copy.cc, verify.cc, jobs.cc, run.cc, prune.cc,
// servers.cc, daemon.cc), registered here. What they share:
// SERVER arguments (config.h resolve_server, drivers.h), VOLUME and SNAPSHOT
// arguments (volumes.h) and the output format (output.h).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <utility>
#include <vector>

namespace dbsnap::cli {

// Each subcommand with the function that runs it (returns the exit code).
using Commands = std::vector<std::pair<CLI::App*, std::function<int()>>>;

// Each adds its subcommand with its options to app and its runner to
// commands. The runner throws dbsnap::Error for failures.
void add_ping_command(CLI::App& app, Commands& commands);
void add_backup_command(CLI::App& app, Commands& commands);
void add_snapshots_command(CLI::App& app, Commands& commands);
void add_restore_command(CLI::App& app, Commands& commands);
void add_copy_command(CLI::App& app, Commands& commands);
void add_verify_command(CLI::App& app, Commands& commands);
void add_jobs_command(CLI::App& app, Commands& commands);          // jobs.cc
void add_check_config_command(CLI::App& app, Commands& commands);  // jobs.cc
void add_run_command(CLI::App& app, Commands& commands);
void add_prune_command(CLI::App& app, Commands& commands);
void add_servers_command(CLI::App& app, Commands& commands);
void add_daemon_command(CLI::App& app, Commands& commands);  // daemon.cc

// Adds every subcommand with its options to app. Call once, before parse.
void register_commands(CLI::App& app);

// Runs the subcommand the user chose; returns the process exit code.
// Throws dbsnap::Error for failures (main prints them and exits with their code).
int run_selected(CLI::App& app);

}  // namespace dbsnap::cli
