// How commands print: the --json switch and the reports restore and verify share.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "engine/restore.h"

namespace dbsnap::cli {

// The output format a command was asked for.
struct Output {
  bool json = false;  // one JSON document on stdout instead of the table
};

// Adds --json to cmd.
void add_output_options(CLI::App* cmd, Output& output);

// Prints j to stdout as the commands' JSON (one-space indent, newline).
void print_json(const nlohmann::ordered_json& j);

// Seconds since start, for "in 1.2s".
double seconds_since(std::chrono::steady_clock::time_point start);

// {"table": ..., "rows": actual, "manifest_rows": expected} per restored table.
nlohmann::ordered_json counts_json(const RestoreReport& r);

// Prints a restore's row counts (all of them, or only the mismatches when
// quiet); throws dbsnap::Error(ExitCode::verify_failed) if any differs from
// the manifest.
void report_counts(const RestoreReport& r, bool quiet);

// Unless quiet, "<done> into <target>: N tables, N rows, N bytes of SQL in
// 1.2s (N jobs)" on stdout (done: "restored x.sql.gz", "copied postgres://...");
// then report_counts(r, quiet).
void report_restored(const std::string& done, const std::string& target, const RestoreReport& r,
                     double seconds, int jobs, bool quiet);

}  // namespace dbsnap::cli
