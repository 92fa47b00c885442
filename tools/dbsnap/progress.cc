#include "tools/dbsnap/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace dbsnap::cli {

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", b) : fmt::format("{:.1f} {}", b, units[u]);
}

std::string eta(double elapsed_s, std::uint64_t done, std::uint64_t total) {
  if (done == 0 || total <= done) return "";
  return fmt::format(", ETA ~{:.0f}s",
                     elapsed_s * static_cast<double>(total - done) / static_cast<double>(done));
}

ProgressLine::ProgressLine(std::function<std::string(double)> render) : render_(std::move(render)) {
  if (isatty(STDERR_FILENO)) thread_ = std::thread([this] { loop(); });
}

ProgressLine::~ProgressLine() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    fmt::print(stderr, "\r\033[K");
  }
}

void ProgressLine::loop() {
  auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return done_; })) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print(stderr, "\r\033[K{}", render_(s));
  }
}

}  // namespace dbsnap::cli
