#include "storage/s3/sink.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <optional>
#include <utility>

#include "engine/error.h"
#include "storage/s3/sigv4.h"

namespace dbsnap {
namespace {

// The binary form of a 32-digit hex MD5, or "" if etag is not one.
std::string md5_from_etag(std::string_view etag) {
  if (etag.size() != 32) return "";
  std::string out;
  for (std::size_t i = 0; i < 32; i += 2) {
    auto digit = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = digit(etag[i]);
    int lo = digit(etag[i + 1]);
    if (hi < 0 || lo < 0) return "";
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace

std::size_t part_size(std::size_t index, std::size_t first_bytes) {
  assert(index < kMaxParts && first_bytes >= kMinPartBytes);
  std::size_t size = std::min(first_bytes, kMaxPartBytes);
  for (std::size_t step = index / kPartsPerSize; step > 0 && size < kMaxPartBytes; --step)
    size = std::min(size * 2, kMaxPartBytes);
  return size;
}

S3Sink::S3Sink(S3Client& client, std::string key) : client_(client), key_(std::move(key)) {}

S3Sink::~S3Sink() { abort(); }

void S3Sink::write(std::span<const std::byte> bytes) {
  if (state_ == State::failed) std::rethrow_exception(error_);
  if (state_ == State::finished)
    throw Error(ExitCode::io_error,
                fmt::format("write to finished s3 object s3://{}/{}", client_.bucket(), key_));
  try {
    while (!bytes.empty()) {
      std::size_t capacity = part_size(buffer_index_, client_.options().part_bytes);
      if (buffer_.size() == capacity) {
        send_buffer();
        continue;
      }
      if (buffer_.capacity() < capacity) buffer_.reserve(capacity);
      std::size_t n = std::min(bytes.size(), capacity - buffer_.size());
      buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
      bytes = bytes.subspan(n);
      size_ += n;
    }
  } catch (...) {
    fail(std::current_exception());
  }
}

void S3Sink::send_buffer() {
  if (buffer_index_ + 1 >= kMaxParts)
    throw Error(ExitCode::io_error,
                fmt::format("s3 object s3://{}/{} exceeds {} parts ({} bytes so far): raise the "
                            "part size",
                            client_.bucket(), key_, kMaxParts, size_));
  if (upload_id_.empty()) {
    upload_id_ = client_.create_multipart_upload(key_);
    for (std::size_t i = 0; i < client_.options().upload_parallel; ++i)
      uploaders_.emplace_back([this] { upload_loop(); });
  }
  std::unique_lock lock(mutex_);
  part_done_.wait(lock, [this] {
    return pending_ < client_.options().upload_parallel || upload_error_ != nullptr;
  });
  if (upload_error_) std::rethrow_exception(upload_error_);
  queue_.push_back({buffer_index_, std::move(buffer_)});
  ++pending_;
  lock.unlock();
  work_ready_.notify_one();
  buffer_ = {};
  ++buffer_index_;
}

void S3Sink::upload_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Part part = std::move(queue_.front());
    queue_.pop_front();
    std::string etag;
    std::exception_ptr error;
    if (!upload_error_) {
      lock.unlock();
      try {
        etag = client_.upload_part(key_, upload_id_, static_cast<int>(part.index + 1), part.bytes);
      } catch (...) {
        error = std::current_exception();
      }
      part.bytes = {};
      lock.lock();
    }
    if (error && !upload_error_) upload_error_ = error;
    if (etags_.size() <= part.index) etags_.resize(part.index + 1);
    etags_[part.index] = std::move(etag);
    --pending_;
    part_done_.notify_all();
  }
}

void S3Sink::wait_idle() {
  std::unique_lock lock(mutex_);
  part_done_.wait(lock, [this] { return pending_ == 0; });
  if (upload_error_) std::rethrow_exception(upload_error_);
}

void S3Sink::stop_uploaders() noexcept {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    pending_ -= queue_.size();
    queue_.clear();
  }
  work_ready_.notify_all();
  for (std::thread& t : uploaders_) t.join();
  uploaders_.clear();
}

void S3Sink::finish() {
  if (state_ == State::failed) std::rethrow_exception(error_);
  if (state_ == State::finished) return;
  try {
    if (upload_id_.empty()) {
      client_.put_object(key_, buffer_);
      buffer_ = {};
      state_ = State::finished;
      return;
    }
    if (!buffer_.empty()) send_buffer();
    wait_idle();
    stop_uploaders();
    client_.complete_multipart_upload(key_, upload_id_, etags_);
  } catch (...) {
    fail(std::current_exception());
  }
  // The object is visible now: a failed check is reported, not aborted.
  state_ = State::finished;
  check_completed();
}

void S3Sink::check_completed() {
  std::optional<S3Head> head = client_.head_object(key_);
  std::string object = fmt::format("s3://{}/{}", client_.bucket(), key_);
  if (!head)
    throw Error(
        ExitCode::io_error,
        fmt::format("s3 object {} is missing after its multipart upload completed", object));
  if (head->size != size_)
    throw Error(ExitCode::io_error,
                fmt::format("s3 object {} has {} bytes after its multipart upload, {} were "
                            "written",
                            object, head->size, size_));
  // S3's multipart ETag: hex MD5 of the concatenated binary part MD5s, "-", part count.
  std::string md5s;
  for (const std::string& etag : etags_) md5s += md5_from_etag(etag);
  if (md5s.size() != 16 * etags_.size() || head->etag.find('-') == std::string::npos) return;
  std::string expected =
      fmt::format("{}-{}", md5_hex(std::as_bytes(std::span(md5s))), etags_.size());
  if (head->etag != expected)
    throw Error(ExitCode::io_error,
                fmt::format("s3 object {} has ETag '{}' after its multipart upload, expected "
                            "'{}' from its parts",
                            object, head->etag, expected));
}

void S3Sink::fail(const std::exception_ptr& error) {
  abort();
  error_ = error;
  state_ = State::failed;
  std::rethrow_exception(error);
}

void S3Sink::abort() noexcept {
  if (state_ != State::open) return;
  state_ = State::failed;
  if (!error_)
    error_ = std::make_exception_ptr(
        Error(ExitCode::io_error,
              fmt::format("s3 upload of s3://{}/{} was aborted", client_.bucket(), key_)));
  stop_uploaders();
  buffer_ = {};
  if (upload_id_.empty()) return;
  try {
    client_.abort_multipart_upload(key_, upload_id_);
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "dbsnap: warning: unable to abort multipart upload '%s' of s3://%s/%s (its "
                 "parts still use storage): %s\n",
                 upload_id_.c_str(), client_.bucket().c_str(), key_.c_str(), e.what());
  }
}

}  // namespace dbsnap
