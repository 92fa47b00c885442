#include "engine/copy.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "engine/cancel.h"
#include "engine/error.h"
#include "engine/parallel.h"

namespace dbsnap {
namespace {

// A data chunk on its way from a dump session to a target session.
struct Chunk {
  std::string table, sql;
  std::uint64_t rows = 0;
};

// The chunks between the dump and the target: push blocks while `capacity`
// chunks wait, pop while none does. close() says no more will come;
// abort() (one side failed) makes push and pop give up at once.
class ChunkQueue {
 public:
  explicit ChunkQueue(std::size_t capacity) : capacity_(capacity) {}

  // False once aborted: the chunk is dropped.
  bool push(Chunk chunk) {
    std::unique_lock lock(mutex_);
    wait(lock, [&] { return aborted_ || chunks_.size() < capacity_; });
    if (aborted_) return false;
    chunks_.push_back(std::move(chunk));
    changed_.notify_all();
    return true;
  }

  // nullopt once closed and drained, or aborted.
  std::optional<Chunk> pop() {
    std::unique_lock lock(mutex_);
    wait(lock, [&] { return aborted_ || closed_ || !chunks_.empty(); });
    if (aborted_ || chunks_.empty()) return std::nullopt;
    Chunk c = std::move(chunks_.front());
    chunks_.pop_front();
    changed_.notify_all();
    return c;
  }

  void close() { set(closed_); }
  void abort() { set(aborted_); }

 private:
  // Waits for ready, waking to check for Ctrl-C (engine/cancel.h).
  template <class Ready>
  void wait(std::unique_lock<std::mutex>& lock, Ready ready) {
    while (!changed_.wait_for(lock, std::chrono::milliseconds(200), ready)) throw_if_cancelled();
  }
  void set(bool& flag) {
    std::lock_guard lock(mutex_);
    flag = true;
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Chunk> chunks_;
  std::size_t capacity_;
  bool closed_ = false, aborted_ = false;
};

// A dump session's ChunkSink: pre- and post-data collect into text; data
// chunks go to the queue, their rows counted per table.
class CopySink final : public ChunkSink {
 public:
  CopySink(ChunkQueue* queue, std::size_t chunk_bytes, std::map<std::string, std::uint64_t>& rows,
           std::mutex& rows_mutex)
      : queue_(queue), chunk_bytes_(chunk_bytes), rows_(rows), rows_mutex_(rows_mutex) {}

  void emit(Section section, std::string_view table, std::string_view sql, std::uint64_t rows,
            std::uint64_t /*checksum*/) override {
    throw_if_cancelled();
    if (section != Section::data || queue_ == nullptr) {
      text += sql;
      return;
    }
    {
      std::lock_guard lock(rows_mutex_);
      rows_[std::string(table)] += rows;
    }
    if (!queue_->push({std::string(table), std::string(sql), rows}))
      throw Error(ExitCode::failure, "stopped because the target failed");
  }
  std::size_t chunk_bytes() const override { return chunk_bytes_; }

  std::string text;  // the pre- or post-data script

 private:
  ChunkQueue* queue_;
  std::size_t chunk_bytes_;
  std::map<std::string, std::uint64_t>& rows_;
  std::mutex& rows_mutex_;
};

// The first error of either side, recorded where it happened (before the
// queue is aborted, so the other side's "stopped" never comes first).
class FirstError {
 public:
  explicit FirstError(ChunkQueue& queue) : queue_(queue) {}

  // Runs fn; an exception it throws is recorded, then the queue aborted.
  void guard(const std::function<void()>& fn) {
    try {
      fn();
    } catch (...) {
      {
        std::lock_guard lock(mutex_);
        if (!first_) first_ = std::current_exception();
      }
      queue_.abort();
      throw;
    }
  }
  // Runs a side (its run_parallel); its error is already recorded.
  void side(const std::function<void()>& fn) {
    try {
      guard(fn);
    } catch (...) {  // NOLINT(bugprone-empty-catch): recorded by guard, rethrown by rethrow()
    }
  }
  void rethrow() {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  ChunkQueue& queue_;
  std::mutex mutex_;
  std::exception_ptr first_;
};

}  // namespace

RestoreReport run_copy(Driver& source, RestoreTarget& target, const CopyRequest& request,
                       BackupProgress* progress) {
  if (request.jobs < 1) throw Error(ExitCode::usage, "--jobs must be at least 1");
  std::unique_ptr<DatabaseDump> dump = source.open_dump(request.source, request.dump);
  std::vector<DataItem> items = dump->plan(request.chunk_bytes);
  const auto jobs = static_cast<std::size_t>(request.jobs);
  std::vector<std::unique_ptr<SnapshotSession>> sessions =
      dump->share(std::min(jobs, std::max<std::size_t>(items.size(), 1)));
  if (progress != nullptr) progress->items_total = static_cast<std::uint32_t>(items.size());

  prepare_target(target, request.mode);
  std::map<std::string, std::uint64_t> rows;
  std::mutex rows_mutex;
  CopySink script(nullptr, request.chunk_bytes, rows, rows_mutex);
  dump->pre_data(script);
  auto leader = target.open_session({});
  leader->run(script.text, "pre-data");
  RestoreReport report;
  report.raw_bytes = script.text.size();
  SessionOptions worker_options;
  worker_options.settings = leader->settings();

  ChunkQueue queue(2 * jobs);
  FirstError error(queue);
  std::atomic<std::uint64_t> data_bytes{0};
  std::atomic<std::size_t> chunks{0};
  std::thread dumping([&] {
    error.side([&] {
      run_parallel(sessions.size(), items.size(),
                   [&](std::size_t worker, const std::atomic<bool>&) -> ItemHandler {
                     auto sink =
                         std::make_shared<CopySink>(&queue, request.chunk_bytes, rows, rows_mutex);
                     return [&, sink, worker](std::size_t i) {
                       error.guard([&] { sessions[worker]->dump(items[i], *sink); });
                       if (progress != nullptr) ++progress->items_done;
                     };
                   });
      queue.close();
    });
  });
  error.side([&] {
    run_parallel(jobs, jobs, [&](std::size_t, const std::atomic<bool>&) -> ItemHandler {
      std::shared_ptr<RestoreSession> session;
      error.guard([&] { session = target.open_session(worker_options); });
      return [&, session](std::size_t) {
        error.guard([&] {
          while (std::optional<Chunk> c = queue.pop()) {
            session->run(c->sql, fmt::format("data of {}", c->table));
            data_bytes += c->sql.size();
            ++chunks;
            if (progress != nullptr) {
              progress->raw_bytes += c->sql.size();
              progress->rows += c->rows;
            }
          }
        });
      };
    });
  });
  dumping.join();
  error.rethrow();
  sessions.clear();

  CopySink post(nullptr, request.chunk_bytes, rows, rows_mutex);
  dump->post_data(post);
  PostDataRunner post_data(target, *leader, worker_options, request.jobs);
  post_data.run(post.text, "post-data");
  post_data.close();
  leader.reset();
  report.chunks = chunks + 2;
  report.raw_bytes += data_bytes + post.text.size();
  for (const auto& [table, n] : rows)
    if (!table.empty()) report.counts.push_back({table, n, target.count_rows(table)});
  return report;
}

}  // namespace dbsnap
