#include "engine/copy.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "engine/cancel.h"
#include "engine/error.h"
#include "engine/parallel.h"

namespace dbsnap {
namespace {

class ChunkQueue;

// A data chunk on its way from a dump session to a target session. The
// first link of a chain (engine/dialect.h ChainLink) carries the queue the
// rest of its links come through, for the session that runs it.
struct Chunk {
  std::string table, sql;
  std::uint64_t rows = 0;
  std::shared_ptr<ChunkQueue> chain;
};

// The chunks between the dump and the target: push blocks while `capacity`
// chunks wait, pop while none does. close() says no more will come;
// abort() (one side failed) makes push and pop give up at once, as does
// an abort of the parent queue (a chain's queue gives up with the main one).
class ChunkQueue {
 public:
  explicit ChunkQueue(std::size_t capacity, const ChunkQueue* parent = nullptr)
      : capacity_(capacity), parent_(parent) {}

  // False once aborted: the chunk is dropped.
  bool push(Chunk chunk) {
    std::unique_lock lock(mutex_);
    wait(lock, [&] { return aborted() || chunks_.size() < capacity_; });
    if (aborted()) return false;
    chunks_.push_back(std::move(chunk));
    changed_.notify_all();
    return true;
  }

  // nullopt once closed and drained, or aborted.
  std::optional<Chunk> pop() {
    std::unique_lock lock(mutex_);
    wait(lock, [&] { return aborted() || closed_ || !chunks_.empty(); });
    if (aborted() || chunks_.empty()) return std::nullopt;
    Chunk c = std::move(chunks_.front());
    chunks_.pop_front();
    changed_.notify_all();
    return c;
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }
  void abort() {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    changed_.notify_all();
  }

 private:
  bool aborted() const { return aborted_ || (parent_ != nullptr && parent_->aborted_); }
  // Waits for ready, waking to check for Ctrl-C (engine/cancel.h).
  template <class Ready>
  void wait(std::unique_lock<std::mutex>& lock, Ready ready) {
    while (!changed_.wait_for(lock, std::chrono::milliseconds(200), ready)) throw_if_cancelled();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Chunk> chunks_;
  std::size_t capacity_;
  const ChunkQueue* parent_;
  bool closed_ = false;
  std::atomic<bool> aborted_{false};  // read by the queues of chains without mutex_
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
    count(table, rows);
    push(*queue_, {std::string(table), std::string(sql), rows, nullptr});
  }

  // The first link goes through the queue with a queue of its own for the
  // other links: they reach the session that runs the first, in order.
  void emit_link(ChainLink link, std::string_view table, std::string_view sql, std::uint64_t rows,
                 std::uint64_t checksum) override {
    if (link == ChainLink::none) return emit(Section::data, table, sql, rows, checksum);
    if (link != ChainLink::first && !chain_)
      throw Error(ExitCode::failure, fmt::format("a chain of {} lacks its first link", table));
    count(table, rows);
    Chunk chunk{std::string(table), std::string(sql), rows, nullptr};
    if (link == ChainLink::first) {
      chain_ = std::make_shared<ChunkQueue>(2, queue_);
      chunk.chain = chain_;
      return push(*queue_, std::move(chunk));
    }
    push(*chain_, std::move(chunk));
    if (link == ChainLink::last) {
      chain_->close();
      chain_.reset();
    }
  }
  std::size_t chunk_bytes() const override { return chunk_bytes_; }

  std::string text;  // the pre- or post-data script

 private:
  void count(std::string_view table, std::uint64_t rows) {
    std::lock_guard lock(rows_mutex_);
    rows_[std::string(table)] += rows;
  }
  static void push(ChunkQueue& queue, Chunk chunk) {
    if (!queue.push(std::move(chunk)))
      throw Error(ExitCode::failure, "stopped because the target failed");
  }

  ChunkQueue* queue_;
  std::size_t chunk_bytes_;
  std::map<std::string, std::uint64_t>& rows_;
  std::mutex& rows_mutex_;
  std::shared_ptr<ChunkQueue> chain_;  // of the chain being emitted
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
          auto feed = [&](const Chunk& c) {
            session->feed(c.sql);
            data_bytes += c.sql.size();
            ++chunks;
            if (progress != nullptr) {
              progress->raw_bytes += c.sql.size();
              progress->rows += c.rows;
            }
          };
          while (std::optional<Chunk> c = queue.pop()) {
            session->begin(fmt::format("data of {}", c->table), 1);
            feed(*c);
            if (c->chain)  // the other links, as one script with the first
              while (std::optional<Chunk> link = c->chain->pop()) feed(*link);
            session->end();
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
