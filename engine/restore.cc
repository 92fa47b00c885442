#include "engine/restore.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <map>
#include <set>
#include <span>

#include "engine/cancel.h"
#include "engine/error.h"
#include "engine/parallel.h"

namespace dbsnap {
namespace {

// Bytes per read of a script without a manifest.
constexpr std::uint64_t kScriptReadBlock = 1 << 20;

// The manifest tables the user's names choose; nullopt for "every table".
std::optional<std::set<std::string>> chosen_tables(const RestoreTarget& target, const Manifest& m,
                                                   const std::vector<std::string>& names) {
  if (names.empty()) return std::nullopt;
  std::set<std::string> known;
  for (const auto& [table, rows] : m.tables) known.insert(table);
  for (const auto& c : m.chunks)
    if (!c.table.empty()) known.insert(c.table);
  std::set<std::string> chosen;
  for (const auto& name : names) {
    std::vector<std::string> hits;
    for (const auto& table : known)
      if (target.table_matches(table, name)) hits.push_back(table);
    if (hits.empty()) {
      std::string some;
      for (const auto& table : known) {
        if (some.size() > 200) {
          some += ", ...";
          break;
        }
        some += (some.empty() ? "" : ", ") + table;
      }
      throw Error(ExitCode::usage,
                  fmt::format("table '{}' is not in the snapshot; it has: {}", name, some));
    }
    if (hits.size() > 1)
      throw Error(ExitCode::usage, fmt::format("table name '{}' is ambiguous: it matches {}; "
                                               "give the qualified name",
                                               name, fmt::join(hits, ", ")));
    chosen.insert(hits[0]);
  }
  return chosen;
}

// The chunks of todo (in file order) as tasks: a chunk alone, or a chain
// (ChunkEntry::after) whose links run in order on one session.
std::vector<std::vector<std::size_t>> chain_tasks(const Manifest& m,
                                                  const std::vector<std::size_t>& todo) {
  std::vector<std::vector<std::size_t>> tasks;
  std::map<std::size_t, std::size_t> task_of;  // chunk index -> task
  for (std::size_t index : todo) {
    const auto& after = m.chunks[index].after;
    auto chain = after ? task_of.find(*after) : task_of.end();
    if (chain == task_of.end()) {
      task_of[index] = tasks.size();
      tasks.push_back({index});
    } else {
      task_of[index] = chain->second;
      tasks[chain->second].push_back(index);
    }
  }
  return tasks;
}

// Runs the data chunks listed in todo on up to jobs sessions of their own,
// the links of a chain in order on one, as one script; the first error stops the others
// after their current chunk and is rethrown once every thread joined.
void run_data_chunks(RestoreTarget& target, Volume& volume, const SnapshotKeys& keys,
                     const Manifest& m, const std::vector<std::size_t>& todo,
                     const DecompressorFactory& decompressors, const SessionOptions& options,
                     int jobs, RestoreProgress* progress) {
  std::vector<std::vector<std::size_t>> tasks = chain_tasks(m, todo);
  std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(jobs), tasks.size());
  run_parallel(workers, tasks.size(), [&](std::size_t, const std::atomic<bool>&) -> ItemHandler {
    std::shared_ptr<Decompressor> decompressor = decompressors();
    std::shared_ptr<RestoreSession> session = target.open_session(options);
    return [&, decompressor, session](std::size_t i) {
      session->begin(describe_chunk(m, tasks[i].front()), 1);
      for (std::size_t index : tasks[i]) {
        throw_if_cancelled();
        std::string text = read_chunk(volume, keys, m, index, *decompressor);
        session->feed(text);
        if (progress != nullptr) {
          progress->raw_bytes += text.size();
          progress->rows += m.chunks[index].rows;
          ++progress->chunks_done;
        }
      }
      session->end();
    };
  });
}

}  // namespace

PostDataRunner::PostDataRunner(RestoreTarget& target, RestoreSession& leader,
                               const SessionOptions& options, int jobs)
    : target_(target), leader_(leader), options_(options), jobs_(jobs) {}

PostDataRunner::~PostDataRunner() = default;

void PostDataRunner::run(std::string_view script, const std::string& label) {
  for (const PostDataStep& step : target_.split_post_data(script)) {
    if (step.parallel && jobs_ > 1) {
      run_parallel_step(step, label);
      continue;
    }
    for (const ScriptPiece& piece : step.pieces) {
      throw_if_cancelled();
      leader_.run(piece.text, label, piece.first_line);
    }
  }
}

void PostDataRunner::close() { helpers_.clear(); }

void PostDataRunner::run_parallel_step(const PostDataStep& step, const std::string& label) {
  std::vector<std::string> settings = leader_.settings();
  if (settings != helper_settings_) {
    helpers_.clear();
    helper_settings_ = std::move(settings);
  }
  std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(jobs_), step.pieces.size());
  if (helpers_.size() < workers - 1) helpers_.resize(workers - 1);
  SessionOptions helper_options = options_;
  helper_options.settings = helper_settings_;
  run_parallel(workers, step.pieces.size(),
               [&](std::size_t worker, const std::atomic<bool>&) -> ItemHandler {
                 RestoreSession* session = &leader_;
                 if (worker > 0) {
                   // Each thread opens and uses only its own slot.
                   auto& slot = helpers_[worker - 1];
                   if (!slot) slot = target_.open_session(helper_options);
                   session = slot.get();
                 }
                 return [&, session](std::size_t i) {
                   const ScriptPiece& piece = step.pieces[i];
                   session->run(piece.text, label, piece.first_line);
                 };
               });
}

bool RestoreReport::counts_match() const {
  for (const auto& c : counts)
    if (c.expected != c.actual) return false;
  return true;
}

void prepare_target(RestoreTarget& target, PrepareMode mode) {
  bool exists = target.database_exists();
  if (exists && mode == PrepareMode::drop) {
    target.drop_database();
    exists = false;
  }
  if (!exists) return target.create_database();
  if (mode == PrepareMode::clean) return target.clean_database();
  std::string contents = target.database_contents();
  if (!contents.empty())
    throw Error(ExitCode::usage,
                fmt::format("database '{}' on {} is not empty ({}): use --drop to recreate it or "
                            "--clean to drop its objects",
                            target.database(), target.describe(), contents));
}

RestoreReport restore_snapshot(RestoreTarget& target, Volume& volume, const SnapshotKeys& keys,
                               const Manifest& m, const DecompressorFactory& decompressors,
                               const RestoreRequest& request, RestoreProgress* progress) {
  if (request.jobs < 1) throw Error(ExitCode::usage, "--jobs must be at least 1");
  SessionOptions options;
  options.tables = chosen_tables(target, m, request.tables);
  auto in_scope = [&](const std::string& table) {
    return !options.tables || options.tables->count(table) > 0;
  };

  std::vector<std::size_t> pre, data, post;
  for (std::size_t i = 0; i < m.chunks.size(); ++i) {
    const ChunkEntry& c = m.chunks[i];
    if (c.section == Section::pre_data) pre.push_back(i);
    if (c.section == Section::post_data) post.push_back(i);
    if (c.section == Section::data && in_scope(c.table)) data.push_back(i);
  }
  RestoreReport report;
  report.chunks = pre.size() + data.size() + post.size();
  if (progress != nullptr) progress->chunks_total = static_cast<std::uint32_t>(report.chunks);

  prepare_target(target, request.mode);
  auto decompressor = decompressors();
  auto leader = target.open_session(options);
  auto run_on_leader = [&](const std::vector<std::size_t>& chunks) {
    for (std::size_t index : chunks) {
      throw_if_cancelled();
      std::string text = read_chunk(volume, keys, m, index, *decompressor);
      leader->run(text, describe_chunk(m, index));
      report.raw_bytes += text.size();
      if (progress != nullptr) {
        progress->raw_bytes += text.size();
        ++progress->chunks_done;
      }
    }
  };
  run_on_leader(pre);
  // Workers replay the session state the pre-data set (encoding, search path).
  SessionOptions worker_options = options;
  worker_options.settings = leader->settings();
  run_data_chunks(target, volume, keys, m, data, decompressors, worker_options, request.jobs,
                  progress);
  for (std::size_t index : data) report.raw_bytes += m.chunks[index].raw_bytes;
  // Post-data: in the target's steps, index builds in parallel.
  PostDataRunner post_data(target, *leader, worker_options, request.jobs);
  for (std::size_t index : post) {
    throw_if_cancelled();
    std::string text = read_chunk(volume, keys, m, index, *decompressor);
    post_data.run(text, describe_chunk(m, index));
    report.raw_bytes += text.size();
    if (progress != nullptr) {
      progress->raw_bytes += text.size();
      ++progress->chunks_done;
    }
  }
  post_data.close();
  leader.reset();

  for (const auto& [table, rows] : m.tables)
    if (in_scope(table)) report.counts.push_back({table, rows, target.count_rows(table)});
  return report;
}

std::uint64_t restore_script(RestoreTarget& target, Volume& volume, const std::string& key,
                             std::unique_ptr<StreamDecompressor> decompressor, PrepareMode mode,
                             RestoreProgress* progress) {
  prepare_target(target, mode);
  auto session = target.open_session({});
  session->begin(key, 1);
  // Decompression errors name the file.
  auto gunzip = [&key](const auto& step) {
    try {
      step();
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("{}: {}", key, e.what()));
    }
  };
  std::uint64_t offset = 0, raw = 0;
  std::string text;
  for (;;) {
    throw_if_cancelled();
    std::string block = volume.read(key, offset, kScriptReadBlock);
    if (block.empty()) break;
    offset += block.size();
    if (decompressor) {
      text.clear();
      gunzip(
          [&] { decompressor->feed(std::as_bytes(std::span(block.data(), block.size())), text); });
    } else {
      text.swap(block);
    }
    session->feed(text);
    raw += text.size();
    if (progress != nullptr) progress->raw_bytes += text.size();
  }
  if (decompressor) gunzip([&] { decompressor->finish(); });
  session->end();
  return raw;
}

}  // namespace dbsnap
