// Commit-gap probe for bench/commit_gap: commits one row every --every-ms into
// table `commit_gap_probe` of the database in URL until stdin reaches EOF, then
// prints the longest gap between two successive commits in milliseconds
// ("max_gap_ms N commits M"). A backup that blocks commits shows up as a gap.
//
//   commit_gap mysql://user:pw@host:port/db [--every-ms 5] < fifo
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "engine/url.h"
#include "protocols/mysql/connection.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: commit_gap URL [--every-ms N] < stop-fifo\n");
    return 2;
  }
  int every_ms = argc > 3 && std::string(argv[2]) == "--every-ms" ? std::atoi(argv[3]) : 5;
  using Clock = std::chrono::steady_clock;
  try {
    auto conn = dbsnap::mysql::MyConnection::connect(dbsnap::ServerUrl::parse(argv[1]));
    conn.exec("CREATE TABLE IF NOT EXISTS commit_gap_probe (id BIGINT AUTO_INCREMENT PRIMARY KEY)");
    conn.exec("SET SESSION autocommit = 1");
    auto last = Clock::now();
    Clock::duration max_gap{};
    long commits = 0;
    for (;;) {
      pollfd stop{STDIN_FILENO, POLLIN, 0};
      if (poll(&stop, 1, every_ms) > 0) break;  // EOF or data on stdin: stop
      conn.exec("INSERT INTO commit_gap_probe VALUES ()");
      auto now = Clock::now();
      if (now - last > max_gap) max_gap = now - last;
      last = now;
      ++commits;
    }
    fmt::print("max_gap_ms {} commits {}\n",
               std::chrono::duration_cast<std::chrono::milliseconds>(max_gap).count(), commits);
  } catch (const std::exception& e) {
    fmt::print(stderr, "commit_gap: {}\n", e.what());
    return 1;
  }
}
