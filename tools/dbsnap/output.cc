#include "tools/dbsnap/output.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <string>
#include <vector>

#include "engine/error.h"

namespace dbsnap::cli {

void add_output_options(CLI::App* cmd, Output& output) {
  cmd->add_flag("--json", output.json, "machine-readable output");
}

void print_json(const nlohmann::ordered_json& j) { fmt::print("{}\n", j.dump(1)); }

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

nlohmann::ordered_json counts_json(const RestoreReport& r) {
  nlohmann::ordered_json tables = nlohmann::ordered_json::array();
  for (const auto& c : r.counts)
    tables.push_back({{"table", c.table}, {"rows", c.actual}, {"manifest_rows", c.expected}});
  return tables;
}

void report_counts(const RestoreReport& r, bool quiet) {
  std::vector<std::string> differ;
  for (const auto& c : r.counts) {
    bool ok = c.expected == c.actual;
    if (!ok)
      differ.push_back(
          fmt::format("{} has {} rows, the manifest says {}", c.table, c.actual, c.expected));
    if (!quiet || !ok)
      fmt::print(ok ? stdout : stderr, "  {:<40} {:>12} rows  {}\n", c.table, c.actual,
                 ok ? "ok" : fmt::format("MISMATCH (manifest: {})", c.expected));
  }
  if (!differ.empty())
    throw Error(ExitCode::verify_failed,
                fmt::format("row counts differ from the manifest for {} table{}: {}", differ.size(),
                            differ.size() == 1 ? "" : "s", fmt::join(differ, "; ")));
}

void report_restored(const std::string& done, const std::string& target, const RestoreReport& r,
                     double seconds, int jobs, bool quiet) {
  std::uint64_t rows = 0;
  for (const auto& c : r.counts) rows += c.actual;
  if (!quiet)
    fmt::print("{} into {}: {} tables, {} rows, {} bytes of SQL in {:.1f}s ({} jobs)\n", done,
               target, r.counts.size(), rows, r.raw_bytes, seconds, jobs);
  report_counts(r, quiet);
}

}  // namespace dbsnap::cli
