#include "storage/local/volume.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <system_error>
#include <utility>

#include "engine/error.h"

namespace dbsnap {
namespace {

// Rejects keys that could leave the root or hide as temp files. In a prefix
// only the directory part (up to the last '/') must be clean; the rest is a
// name filter.
void check_key(std::string_view key, bool is_prefix) {
  auto invalid = [key](std::string_view why) {
    return Error(ExitCode::usage, fmt::format("invalid key '{}': {}", key, why));
  };
  if (key.starts_with('/')) throw invalid("must be relative to the volume");
  if (!is_prefix && key.empty()) throw invalid("must not be empty");
  if (!is_prefix && key.ends_with(kPartialSuffix)) throw invalid("names a temp file");
  std::string_view rest = key;
  for (;;) {
    std::size_t slash = rest.find('/');
    if (is_prefix && slash == std::string_view::npos) return;
    std::string_view part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == "..")
      throw invalid("must not have empty, '.' or '..' parts");
    if (slash == std::string_view::npos) return;
    rest.remove_prefix(slash + 1);
  }
}

// Reads the whole of fd into out; returns 0 or the errno of the failed read.
int read_all(int fd, std::string& out) {
  if (struct stat st; ::fstat(fd, &st) == 0 && st.st_size > 0)
    out.reserve(static_cast<std::size_t>(st.st_size));
  char block[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, block, sizeof block);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return 0;
    out.append(block, static_cast<std::size_t>(n));
  }
}

// Opens file for reading; throws Error(io_error) naming it.
int open_for_read(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    throw Error(ExitCode::io_error,
                fmt::format("unable to open missing file '{}' for read", file.native()));
  if (fd < 0)
    throw Error(ExitCode::io_error,
                fmt::format("unable to open file '{}' for read: {}", file.native(),
                            std::generic_category().message(errno)));
  return fd;
}

Error read_error(const std::filesystem::path& file, int err) {
  return Error(ExitCode::io_error, fmt::format("unable to read file '{}': {}", file.native(),
                                               std::generic_category().message(err)));
}

}  // namespace

LocalVolume::LocalVolume(std::filesystem::path root, FileWriteMode mode)
    : root_(std::move(root)), mode_(mode) {}

std::unique_ptr<Sink> LocalVolume::create(const std::string& key) {
  return std::make_unique<FileSink>(file_of(key), mode_);
}

void LocalVolume::put(const std::string& key, std::string_view bytes) {
  FileSink sink(file_of(key), mode_);
  sink.write(std::as_bytes(std::span(bytes)));
  sink.finish();
}

bool LocalVolume::put_if_absent(const std::string& key, std::string_view bytes) {
  std::filesystem::path file = file_of(key);
  std::filesystem::path temp = file;
  temp += fmt::format(".{}-{:08x}{}", ::getpid(), std::random_device()(), kPartialSuffix);
  FileSink sink(temp, mode_);  // writes temp + ".partial", renamed to temp
  sink.write(std::as_bytes(std::span(bytes)));
  sink.finish();
  bool linked = ::link(temp.c_str(), file.c_str()) == 0;
  int err = errno;
  ::unlink(temp.c_str());
  if (!linked && err != EEXIST)
    throw Error(ExitCode::io_error,
                fmt::format("unable to link file '{}' to '{}': {}", temp.native(), file.native(),
                            std::generic_category().message(err)));
  return linked;
}

std::string LocalVolume::get(const std::string& key) {
  std::filesystem::path file = file_of(key);
  int fd = open_for_read(file);
  std::string bytes;
  int err = read_all(fd, bytes);
  ::close(fd);
  if (err != 0) throw read_error(file, err);
  return bytes;
}

std::string LocalVolume::read(const std::string& key, std::uint64_t offset, std::uint64_t length) {
  std::filesystem::path file = file_of(key);
  int fd = open_for_read(file);
  std::string bytes;
  bytes.resize(length);
  std::size_t done = 0;
  int err = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, bytes.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (err != 0) throw read_error(file, err);
  bytes.resize(done);
  return bytes;
}

std::vector<std::string> LocalVolume::list(const std::string& prefix) {
  check_key(prefix, true);
  std::string dir = prefix.substr(0, prefix.rfind('/') + 1);  // "" or "a/b/"
  // Every entry's path is base + its path relative to base.
  std::string base = (root_ / dir).native();
  if (!base.ends_with('/')) base += '/';
  std::vector<std::string> keys;
  try {
    if (!std::filesystem::is_directory(base)) return keys;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(base)) {
      std::string key = dir + entry.path().native().substr(base.size());
      if (key.starts_with(prefix) && !key.ends_with(kPartialSuffix) && entry.is_regular_file())
        keys.push_back(std::move(key));
    }
  } catch (const std::filesystem::filesystem_error& e) {
    throw Error(ExitCode::io_error, fmt::format("unable to list path '{}': {}", e.path1().native(),
                                                e.code().message()));
  }
  return keys;
}

void LocalVolume::remove(const std::string& key) {
  std::filesystem::path file = file_of(key);
  if (::unlink(file.c_str()) == 0 || errno == ENOENT) return;
  throw Error(ExitCode::io_error, fmt::format("unable to remove file '{}': {}", file.native(),
                                              std::generic_category().message(errno)));
}

std::string LocalVolume::describe() const { return root_.native(); }

std::filesystem::path LocalVolume::file_of(const std::string& key) const {
  check_key(key, false);
  return root_ / key;
}

}  // namespace dbsnap
