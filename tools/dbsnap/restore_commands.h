// The restore and verify subcommands (DESIGN.md section 4).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <utility>
#include <vector>

namespace dbsnap::cli {

// Adds `restore` and `verify` to app and their runners to commands (the
// registry of commands.cc). Call once, before parse.
void register_restore_commands(CLI::App& app,
                               std::vector<std::pair<CLI::App*, std::function<int()>>>& commands);

}  // namespace dbsnap::cli
