// A `dbsnap` command the daemon runs as a child process: a job's run
// (`dbsnap run JOB --json`), a server test (`ping --json`) or a snapshot
// listing (`snapshots --job JOB --json`). Each run is its own process, so a
// run that crashes or leaks takes no other down, and cancelling one is
// SIGTERM, which dbsnap already turns into a clean stop (failed manifest,
// aborted multipart upload).
//
// The config reaches the child as an in-memory file (memfd_create(2)) on
// fd 3, read as `--config /dev/fd/3`: the text the daemon checked, never a
// file edited since, and no copy of its secrets on disk. No other descriptor
// of the daemon (its listening socket, client connections) reaches the child. The child gets a
// process group of its own, so a Ctrl-C meant for the daemon does not reach
// it before the grace period. Its stdout and stderr go to files.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dbsnap::daemon {

// Not thread-safe; the destructor kills (SIGKILL) and reaps a child still
// running.
class Child {
 public:
  // Starts `binary --config /dev/fd/3 args...` with stdin /dev/null, stdout
  // into out_file and stderr into err_file (both created or truncated,
  // mode 0600). Throws dbsnap::Error(ExitCode::failure) naming what failed.
  Child(const std::string& binary, const std::string& config_text,
        const std::vector<std::string>& args, const std::filesystem::path& out_file,
        const std::filesystem::path& err_file);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // The exit code once the child has exited (128 + N for a signal N); nullopt
  // while it runs. Does not block.
  std::optional<int> poll();
  // Waits up to timeout for the exit; then SIGKILL and waits. Returns the exit code.
  int wait(std::chrono::milliseconds timeout);
  // Sends sig to the child's process group, unless it has exited.
  void signal(int sig);

 private:
  void reap(int status);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// The last line of a child's stderr that says "dbsnap: error: ...", without
// that prefix; else its last non-empty line; "" for an empty file. Reads the
// last 64 KiB of the file only; returns at most 2,000 bytes.
std::string last_error_line(const std::filesystem::path& err_file);

// The whole text of a file ("" if it cannot be read).
std::string read_text(const std::filesystem::path& file);

// The last max_bytes bytes of a file ("" if it cannot be read).
std::string read_tail(const std::filesystem::path& file, std::size_t max_bytes);

}  // namespace dbsnap::daemon
