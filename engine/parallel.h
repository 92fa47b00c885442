// The worker pool shared by backup and restore.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

namespace dbsnap {

// Per-thread handler of one work item (an index into the caller's list).
using ItemHandler = std::function<void(std::size_t item)>;

// Runs items 0..count-1 on `workers` threads, each taking the next unclaimed
// index. setup(worker, stop) runs first on each thread (open a connection,
// allocate buffers) and returns that thread's handler; stop turns true once
// any thread failed, so long items may give up early. The first exception
// thrown by a setup or handler stops the others after their current item and
// is rethrown here once every thread joined; Ctrl-C (engine/cancel.h) is
// checked before each item. Blocks until all threads end.
void run_parallel(
    std::size_t workers, std::size_t count,
    const std::function<ItemHandler(std::size_t worker, const std::atomic<bool>& stop)>& setup);

}  // namespace dbsnap
