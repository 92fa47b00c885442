// The dbsnap subcommands (ping, backup, snapshots, ...).
#pragma once

#include <CLI/CLI.hpp>

namespace dbsnap::cli {

// Adds every subcommand with its options to app. Call once, before parse.
void register_commands(CLI::App& app);

// Runs the subcommand the user chose; returns the process exit code.
// Throws dbsnap::Error for failures (main prints them and exits with their code).
int run_selected(CLI::App& app);

}  // namespace dbsnap::cli
