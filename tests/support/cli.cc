#include "tests/support/cli.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace dbsnap::test {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::invalid_argument("BackgroundProcess: empty argv");
  std::string out = (output_dir_.path() / "stdout").string();
  std::string err = (output_dir_.path() / "stderr").string();
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw_errno("unable to fork for " + argv[0]);
  if (pid_ == 0) {
    int in_fd = open("/dev/null", O_RDONLY);
    int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
        dup2(err_fd, 2) < 0)
      _exit(127);
    execvp(args[0], args.data());
    std::string msg = "unable to run " + argv[0] + ": " + std::strerror(errno) + "\n";
    (void)!write(2, msg.data(), msg.size());
    _exit(127);
  }
}

BackgroundProcess::~BackgroundProcess() {
  if (exit_code_ || pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void BackgroundProcess::reap(int status) {
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool BackgroundProcess::running() {
  if (exit_code_) return false;
  int status = 0;
  pid_t r;
  while ((r = waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (r < 0) throw_errno("waitpid");
  if (r == 0) return true;
  reap(status);
  return false;
}

void BackgroundProcess::signal(int sig) {
  if (exit_code_) throw std::runtime_error("signal: the child has already exited");
  if (kill(pid_, sig) != 0) throw_errno("unable to signal child " + std::to_string(pid_));
}

std::string BackgroundProcess::err_so_far() const {
  std::ifstream in(output_dir_.path() / "stderr",
                   std::ios::binary);  // absent until the child opens it
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<CommandResult> BackgroundProcess::wait_for(std::chrono::milliseconds timeout) {
  if (!wait_until([this] { return !running(); }, timeout)) return std::nullopt;
  CommandResult result;
  result.exit_code = *exit_code_;
  result.out = read_file(output_dir_.path() / "stdout");
  result.err = read_file(output_dir_.path() / "stderr");
  return result;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll_interval) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
}

int closed_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("unable to create socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    throw_errno("unable to bind a loopback socket");
  }
  close(fd);  // never listened: connections to it are refused
  return ntohs(addr.sin_port);
}

std::vector<std::string> list_tree(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> entries;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    entries.push_back(it->path().lexically_relative(dir).string());
  std::sort(entries.begin(), entries.end());
  return entries;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    lines.push_back(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return lines;
}

}  // namespace dbsnap::test
