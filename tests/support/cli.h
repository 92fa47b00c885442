// Helpers for end-to-end tests of a command line: a child process that runs
// in the background while the test acts on it (signals, server-side kills),
// polling for a condition, and a loopback port nobody listens on.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/common.h"

namespace dbsnap::test {

// Starts argv[0] (searched in PATH) with argv, stdin from /dev/null, stdout and
// stderr into files of a private scratch directory. Not thread-safe. The
// destructor kills (SIGKILL) and reaps a child still running, so a failed
// assertion never leaves one behind.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }

  // True until the child has exited (reaps it without blocking).
  bool running();

  // What the child has written to stderr so far ("" before it has started).
  std::string err_so_far() const;

  // Sends sig to the child; throws std::runtime_error if it has been reaped.
  void signal(int sig);

  // Waits up to timeout for the child to exit; nullopt if it still runs then
  // (it is left running). The result's output is everything it wrote.
  std::optional<CommandResult> wait_for(std::chrono::milliseconds timeout);

 private:
  void reap(int status);

  ScratchDir output_dir_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// Calls condition every poll_interval until it returns true (then true) or
// timeout passes (then false). For waiting on side effects, never for timing.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll_interval = std::chrono::milliseconds(20));

// A TCP port on 127.0.0.1 with nothing listening on it right now (bound to
// port 0, read back, closed): a connection to it is refused.
int closed_loopback_port();

// Every entry (file or directory) under dir, relative to it, sorted; empty if
// dir does not exist. Tolerates entries vanishing while it walks.
std::vector<std::string> list_tree(const std::filesystem::path& dir);

// text split at '\n' (no trailing empty line; "a\n\nb" gives "a", "", "b").
std::vector<std::string> lines_of(const std::string& text);

}  // namespace dbsnap::test
