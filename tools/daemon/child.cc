#include "tools/daemon/child.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/error.h"

extern char** environ;

namespace dbsnap::daemon {
namespace {

constexpr int kConfigFd = 3;

[[noreturn]] void fail(const std::string& what, int err) {
  throw Error(ExitCode::failure, fmt::format("daemon: {}: {}", what, std::strerror(err)));
}

// An in-memory file holding text, positioned at its start.
int config_memfd(const std::string& text) {
  int fd = memfd_create("dbsnap-config", MFD_CLOEXEC);
  if (fd < 0) fail("memfd_create", errno);
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      fail("writing the config for a run", err);
    }
    done += static_cast<std::size_t>(n);
  }
  return fd;
}

// posix_spawn's file actions and attributes, destroyed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

}  // namespace

Child::Child(const std::string& binary, const std::string& config_text,
             const std::vector<std::string>& args, const std::filesystem::path& out_file,
             const std::filesystem::path& err_file) {
  int config = config_memfd(config_text);
  SpawnSetup s;
  posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&s.actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&s.actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&s.actions, config, kConfigFd);  // dup2 clears CLOEXEC
  // Asio's sockets are not CLOEXEC: a child holding a client connection would
  // keep it open after the daemon closed it.
  posix_spawn_file_actions_addclosefrom_np(&s.actions, kConfigFd + 1);
  posix_spawnattr_setpgroup(&s.attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&s.attr, &none);
  sigset_t defaults;
  sigfillset(&defaults);
  posix_spawnattr_setsigdefault(&s.attr, &defaults);
  posix_spawnattr_setflags(&s.attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> argv{binary, "--config", fmt::format("/dev/fd/{}", kConfigFd)};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  int rc = posix_spawn(&pid_, binary.c_str(), &s.actions, &s.attr, cargv.data(), environ);
  ::close(config);
  if (rc != 0) fail(fmt::format("starting {}", binary), rc);
}

Child::~Child() {
  if (exit_code_ || pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void Child::reap(int status) {
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::optional<int> Child::poll() {
  if (exit_code_) return exit_code_;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) reap(status);
  return exit_code_;
}

int Child::wait(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!poll() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!exit_code_) {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reap(status);
  }
  return *exit_code_;
}

void Child::signal(int sig) {
  if (!poll()) ::kill(-pid_, sig);
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string read_tail(const std::filesystem::path& file, std::size_t max_bytes) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const auto size = static_cast<std::size_t>(in.tellg());
  const std::size_t start = size > max_bytes ? size - max_bytes : 0;
  std::string out(size - start, '\0');
  in.seekg(static_cast<std::streamoff>(start));
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

std::string last_error_line(const std::filesystem::path& err_file) {
  constexpr std::string_view kPrefix = "dbsnap: error: ";
  std::istringstream lines(read_tail(err_file, std::size_t{64} * 1024));
  std::string line, error, last;
  while (std::getline(lines, line)) {
    if (line.starts_with(kPrefix)) error = line.substr(kPrefix.size());
    if (!line.empty()) last = line;
  }
  std::string out = error.empty() ? last : error;
  return out.size() > 2000 ? out.substr(0, 2000) : out;
}

}  // namespace dbsnap::daemon
