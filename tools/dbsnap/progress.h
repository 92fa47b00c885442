// Progress lines for long operations: on a terminal only, quiet in scripts.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace dbsnap::cli {

// "812 B", "3.2 MiB": bytes for people.
std::string human_bytes(double bytes);

// ", ETA ~42s" from the share of work done after elapsed_s seconds; "" when unknown.
std::string eta(double elapsed_s, std::uint64_t done, std::uint64_t total);

// While alive, rewrites one stderr line every 500 ms with render(elapsed
// seconds), if stderr is a terminal; clears it when destroyed. render runs on
// the line's own thread and must only read atomics.
class ProgressLine {
 public:
  explicit ProgressLine(std::function<std::string(double elapsed_s)> render);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void loop();
  std::function<std::string(double)> render_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace dbsnap::cli
