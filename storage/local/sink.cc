#include "storage/local/sink.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <system_error>
#include <utility>

#include "engine/error.h"

namespace dbsnap {
namespace {

// Submission queue size: room for every buffer plus its resubmission.
constexpr unsigned kRingEntries = 2 * FileSink::kBuffers;

// New files hold database contents: owner read/write, group read.
constexpr mode_t kFileMode = 0640;

std::string os_error(int err) { return std::generic_category().message(err); }

bool io_uring_disabled_by_environment() {
  const char* value = std::getenv("DBSNAP_NO_IO_URING");
  return value != nullptr && std::string_view(value) == "1";
}

// Returns 0 or the errno of the failed open/fsync.
int sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

}  // namespace

FileSink::FileSink(std::filesystem::path path, FileWriteMode mode)
    : path_(std::move(path)), temp_path_(path_.native() + std::string(kPartialSuffix)) {
  if (std::filesystem::path parent = path_.parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      throw Error(ExitCode::io_error,
                  fmt::format("unable to create path '{}': {}", parent.native(), ec.message()));
  }
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kFileMode);
  if (fd_ < 0)
    throw Error(ExitCode::io_error, fmt::format("unable to open file '{}' for write: {}",
                                                temp_path_.native(), os_error(errno)));
  if (mode == FileWriteMode::plain || io_uring_disabled_by_environment()) return;
  int r = io_uring_queue_init(kRingEntries, &ring_, 0);
  uring_ = r == 0;
  if (!uring_) {
    static std::once_flag logged;
    std::call_once(logged, [r] {
      fmt::print(stderr, "dbsnap: io_uring unavailable ({}); using write()\n", os_error(-r));
    });
  }
}

FileSink::~FileSink() {
  abort();
  if (uring_) io_uring_queue_exit(&ring_);
}

void FileSink::write(std::span<const std::byte> bytes) {
  if (!error_.empty()) throw Error(ExitCode::io_error, error_);
  assert(!done_ && fd_ >= 0);  // not after finish() or abort()
  while (!bytes.empty()) {
    Buffer& buffer = filling_buffer();
    std::size_t n = std::min(kBufferBytes - buffer.size, bytes.size());
    std::memcpy(buffer.data.get() + buffer.size, bytes.data(), n);
    buffer.size += n;
    bytes = bytes.subspan(n);
    if (buffer.size == kBufferBytes) submit_filling();
  }
}

void FileSink::finish() {
  if (!error_.empty()) throw Error(ExitCode::io_error, error_);
  assert(!done_ && fd_ >= 0);  // not after finish() or abort()
  if (filling_ != nullptr && filling_->size > 0) submit_filling();
  while (in_flight_ > 0) wait_one();
  if (::fsync(fd_) != 0)
    fail(fmt::format("unable to sync file '{}': {}", temp_path_.native(), os_error(errno)));
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0)
    fail(fmt::format("unable to close file '{}': {}", temp_path_.native(), os_error(errno)));
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    fail(fmt::format("unable to move '{}' to '{}': {}", temp_path_.native(), path_.native(),
                     os_error(errno)));
  if (int err = sync_directory(path_.parent_path()); err != 0)
    fail(fmt::format("unable to sync path '{}': {}", path_.parent_path().native(), os_error(err)));
  done_ = true;
  for (Buffer& buffer : buffers_) buffer.data.reset();
}

void FileSink::abort() noexcept {
  if (done_) return;
  done_ = true;
  // The kernel may still read the buffers: wait for every submitted write.
  // Each completion ends one buffer's request; a short write is not resumed.
  while (uring_ && in_flight_ > 0) {
    io_uring_cqe* cqe = nullptr;
    int r = io_uring_wait_cqe(&ring_, &cqe);
    if (r == -EINTR) continue;
    if (r < 0) break;
    io_uring_cqe_seen(&ring_, cqe);
    --in_flight_;
  }
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  ::unlink(temp_path_.c_str());
}

FileSink::Buffer& FileSink::filling_buffer() {
  while (filling_ == nullptr) {
    auto free = std::find_if(buffers_.begin(), buffers_.end(),
                             [](const Buffer& buffer) { return !buffer.in_flight; });
    if (free == buffers_.end()) {
      wait_one();
      continue;
    }
    filling_ = &*free;
    if (!filling_->data) filling_->data = std::make_unique_for_overwrite<std::byte[]>(kBufferBytes);
  }
  return *filling_;
}

void FileSink::submit_filling() {
  Buffer& buffer = *std::exchange(filling_, nullptr);
  buffer.offset = next_offset_;
  next_offset_ += buffer.size;
  if (uring_)
    submit(static_cast<std::size_t>(&buffer - buffers_.data()));
  else
    write_plain(buffer);
}

void FileSink::submit(std::size_t index) {
  Buffer& buffer = buffers_[index];
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  assert(sqe != nullptr);  // at most kBuffers requests, the ring holds more
  io_uring_prep_write(sqe, fd_, buffer.data.get() + buffer.done,
                      static_cast<unsigned>(buffer.size - buffer.done),
                      buffer.offset + buffer.done);
  io_uring_sqe_set_data64(sqe, index);
  int r;
  do r = io_uring_submit(&ring_);
  while (r == -EINTR);
  if (r < 0)
    fail(fmt::format("unable to write file '{}': io_uring_submit: {}", temp_path_.native(),
                     os_error(-r)));
  buffer.in_flight = true;
  ++in_flight_;
}

void FileSink::write_plain(Buffer& buffer) {
  while (buffer.done < buffer.size) {
    ssize_t n = ::pwrite(fd_, buffer.data.get() + buffer.done, buffer.size - buffer.done,
                         static_cast<off_t>(buffer.offset + buffer.done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      fail(fmt::format("unable to write file '{}': {}", temp_path_.native(), os_error(errno)));
    if (n == 0)
      fail(fmt::format("unable to write file '{}': wrote 0 of {} bytes", temp_path_.native(),
                       buffer.size - buffer.done));
    buffer.done += static_cast<std::size_t>(n);
  }
  buffer.size = buffer.done = 0;
}

void FileSink::wait_one() {
  io_uring_cqe* cqe = nullptr;
  int r;
  do r = io_uring_wait_cqe(&ring_, &cqe);
  while (r == -EINTR);
  if (r < 0)
    fail(fmt::format("unable to write file '{}': io_uring_wait_cqe: {}", temp_path_.native(),
                     os_error(-r)));
  auto index = static_cast<std::size_t>(io_uring_cqe_get_data64(cqe));
  int res = cqe->res;
  io_uring_cqe_seen(&ring_, cqe);
  Buffer& buffer = buffers_[index];
  buffer.in_flight = false;
  --in_flight_;
  // -ECANCELED: the kernel cancels a request still queued in io-wq when the
  // thread that submitted it exits (a backup worker that appended its last
  // chunk and ended); nothing of it is lost, so it is submitted again from
  // this, living, thread.
  if (res == -EINTR || res == -EAGAIN || res == -ECANCELED) return submit(index);
  if (res < 0)
    fail(fmt::format("unable to write file '{}': {}", temp_path_.native(), os_error(-res)));
  if (res == 0)
    fail(fmt::format("unable to write file '{}': wrote 0 of {} bytes", temp_path_.native(),
                     buffer.size - buffer.done));
  buffer.done += static_cast<std::size_t>(res);
  if (buffer.done < buffer.size) return submit(index);  // short write: resume
  buffer.size = buffer.done = 0;
}

void FileSink::fail(const std::string& message) {
  error_ = message;
  throw Error(ExitCode::io_error, message);
}

}  // namespace dbsnap
