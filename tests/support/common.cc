#include "tests/support/common.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace dbsnap::test {

std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  if (value != nullptr && *value != '\0') return value;
  std::string message = std::string(name) + " is not set: run tools/test.sh";
  ADD_FAILURE() << message;
  throw std::runtime_error(message);
}

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

// Closes both ends of a pipe that are still open.
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (pipe2(fd, O_CLOEXEC) != 0) throw_errno("unable to create pipe");
  }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) close(f);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_end(int i) {
    if (fd[i] >= 0) close(fd[i]);
    fd[i] = -1;
  }
};

}  // namespace

std::string pg_url() { return required_env("DBSNAP_TEST_PG_URL"); }
std::string my_url() { return required_env("DBSNAP_TEST_MY_URL"); }

std::string url_with_database(std::string_view url, std::string_view database) {
  std::string_view query;
  if (auto q = url.find('?'); q != std::string_view::npos) {
    query = url.substr(q);
    url = url.substr(0, q);
  }
  auto scheme_end = url.find("://");
  auto path = url.find('/', scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
  std::string out(url.substr(0, path));
  out += '/';
  out += database;
  out += query;
  return out;
}

std::filesystem::path dbsnap_bin() { return DBSNAP_BIN; }
std::filesystem::path source_dir() { return DBSNAP_SOURCE_DIR; }

std::filesystem::path datasets_dir() {
  const char* dir = std::getenv("DBSNAP_DATASETS");
  return dir != nullptr ? dir : "";
}

std::optional<std::string> missing_data_set(std::string_view fixture) {
  if (fixture == "stress" || fixture == "objects") return std::nullopt;  // in tests/
  const std::string hint = "set DBSNAP_DATASETS to a folder holding pagila/, sakila/, pg-regress/";
  std::filesystem::path dir = datasets_dir();
  if (dir.empty())
    return "needs data set " + std::string(fixture) + ": DBSNAP_DATASETS is not set; " + hint;
  std::error_code ec;
  if (std::filesystem::is_directory(dir / fixture, ec)) return std::nullopt;
  return "needs data set " + std::string(fixture) + ": " + (dir / fixture).string() +
         " is missing; " + hint;
}

std::string unique_name(std::string_view tag) {
  static std::atomic<int> counter{0};
  static const std::uint32_t nonce = std::random_device{}();
  std::string clean;
  for (char c : tag.substr(0, 24)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
      ok = true;
    }
    clean += ok ? c : '_';
  }
  std::ostringstream name;
  name << "t_" << clean << '_' << getpid() << '_' << counter++ << '_' << std::hex
       << (nonce & 0xffffff);
  return name.str();
}

std::string CommandResult::describe() const {
  std::string s = "exit " + std::to_string(exit_code);
  if (!err.empty()) s += "; stderr: " + err;
  return s;
}

CommandResult run(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::invalid_argument("run: empty argv");
  Pipe out, err;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) throw_errno("unable to fork for " + argv[0]);
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out.fd[1], 1) < 0 || dup2(err.fd[1], 2) < 0)
      _exit(127);
    execvp(args[0], args.data());
    std::string msg = "unable to run " + argv[0] + ": " + std::strerror(errno) + "\n";
    (void)!write(2, msg.data(), msg.size());
    _exit(127);
  }
  out.close_end(1);
  err.close_end(1);

  CommandResult result;
  pollfd fds[2] = {{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll on output of " + argv[0]);
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid for " + argv[0]);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

CommandResult run_shell(const std::string& script) {
  return run({"bash", "-o", "pipefail", "-c", script});
}

std::string shell_quote(std::string_view s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  q += '\'';
  return q;
}

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

CommandResult run_dbsnap(const std::vector<std::string>& args) {
  std::vector<std::string> argv{dbsnap_bin().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

ScratchDir::ScratchDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/dbsnap-test-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) throw_errno("unable to create scratch directory " + templ);
  path_ = templ;
}

ScratchDir::~ScratchDir() {
  if (std::getenv("DBSNAP_TEST_KEEP") != nullptr) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::filesystem::path> find_files(const std::filesystem::path& dir,
                                              std::string_view suffix) {
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("unable to open " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

pid_t dead_pid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

std::vector<std::byte> random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::byte> bytes(n);
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t word = rng();
    std::memcpy(bytes.data() + i, &word, std::min<std::size_t>(8, n - i));
  }
  return bytes;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace dbsnap::test
