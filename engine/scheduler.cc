#include "engine/scheduler.h"

#include <algorithm>
#include <utility>

namespace dbsnap {
namespace {

using Clock = std::chrono::system_clock;

Clock::time_point at(UnixSeconds s) { return Clock::time_point(std::chrono::seconds(s)); }

UnixSeconds unix_seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

bool same_job(const QueuedRun& a, const QueuedRun& b) { return a.job == b.job; }
bool same_server(const QueuedRun& a, const QueuedRun& b) { return a.server == b.server; }

}  // namespace

RunQueue::RunQueue(std::size_t max_concurrent)
    : max_concurrent_(std::max<std::size_t>(1, max_concurrent)) {}

std::int64_t RunQueue::enqueue(QueuedRun run) {
  for (const auto& w : waiting_)
    if (same_job(w, run)) return w.id;
  waiting_.push_back(std::move(run));
  return waiting_.back().id;
}

bool RunQueue::may_start(const QueuedRun& run, const std::vector<QueuedRun>& started) const {
  auto conflicts = [&](const QueuedRun& other) {
    return same_job(other, run) || same_server(other, run);
  };
  return running_.size() + started.size() < max_concurrent_ &&
         std::none_of(running_.begin(), running_.end(), conflicts) &&
         std::none_of(started.begin(), started.end(), conflicts);
}

std::vector<QueuedRun> RunQueue::start_ready() {
  std::vector<QueuedRun> started;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (may_start(*it, started)) {
      started.push_back(std::move(*it));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  running_.insert(running_.end(), started.begin(), started.end());
  return started;
}

void RunQueue::finished(std::int64_t id) {
  std::erase_if(running_, [id](const QueuedRun& r) { return r.id == id; });
}

std::vector<QueuedRun> RunQueue::drain_waiting() { return std::exchange(waiting_, {}); }

void RunQueue::set_max_concurrent(std::size_t n) { max_concurrent_ = std::max<std::size_t>(1, n); }

bool RunQueue::job_busy(const std::string& job) const {
  auto is_job = [&](const QueuedRun& r) { return r.job == job; };
  return std::any_of(waiting_.begin(), waiting_.end(), is_job) ||
         std::any_of(running_.begin(), running_.end(), is_job);
}

std::optional<std::int64_t> RunQueue::waiting_for(const std::string& job) const {
  for (const auto& w : waiting_)
    if (w.job == job) return w.id;
  return std::nullopt;
}

std::optional<UnixSeconds> missed_run(const Schedule& schedule, std::optional<UnixSeconds> last_due,
                                      UnixSeconds now) {
  if (!last_due) return std::nullopt;
  return due_once(schedule, last_due, now);
}

std::optional<UnixSeconds> due_once(const Schedule& schedule, std::optional<UnixSeconds> last_due,
                                    UnixSeconds now) {
  auto last = schedule.last_at_or_before(at(now));
  if (!last || (last_due && unix_seconds(*last) <= *last_due)) return std::nullopt;
  return unix_seconds(*last);
}

UnixSeconds next_run(const Schedule& schedule, UnixSeconds now) {
  return unix_seconds(schedule.next_after(at(now)));
}

}  // namespace dbsnap
