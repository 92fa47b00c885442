// The Sink for a local file: buffered, asynchronous writes through io_uring
// (plain pwrite(2) where io_uring is unavailable), made durable on finish().
#pragma once

#include <liburing.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "engine/sink.h"

namespace dbsnap {

// Suffix of the temporary file a FileSink writes before finish() renames it:
// "<path>.partial". Volumes skip such names when listing.
constexpr std::string_view kPartialSuffix = ".partial";

// How a FileSink submits its writes.
enum class FileWriteMode {
  // io_uring, unless the environment sets DBSNAP_NO_IO_URING=1 or the ring
  // cannot be created (containers often forbid it: EPERM, ENOSYS); then plain
  // pwrite(2), and one line on stderr per process says why.
  automatic,
  // Always plain pwrite(2); no ring is created.
  plain,
};

// Writes a local file at path. Bytes go to "<path>.partial" (parent
// directories are created as needed; an old temp file is truncated); nothing
// appears at path until finish() has synced the file, renamed it over path
// (replacing any previous file atomically) and synced the directory.
//
// write() copies the caller's bytes into owned buffers of kBufferBytes and
// submits each full buffer at the next sequential offset; up to kBuffers are
// in flight at once and write() blocks only when all of them are. Short
// writes are resubmitted for the remainder.
//
// Every system error throws dbsnap::Error(ExitCode::io_error) naming the
// file and the operation, e.g. "unable to write file '/b/x.sql.gz.partial':
// No space left on device". After a write error the sink is unusable: later
// write()/finish() calls throw the same error, so a file with a gap is never
// committed. abort() or the destructor waits for in-flight writes, closes and
// deletes the temp file. If finish() fails after the rename (directory sync),
// the file stays at path.
//
// Not thread-safe; callers serialise. Not copyable or movable (the kernel
// holds pointers into its buffers).
class FileSink final : public Sink {
 public:
  static constexpr std::size_t kBufferBytes = 4 << 20;
  static constexpr std::size_t kBuffers = 4;

  // Opens "<path>.partial" for writing; throws Error(io_error) if the parent
  // directories cannot be created or the file cannot be opened.
  explicit FileSink(std::filesystem::path path, FileWriteMode mode = FileWriteMode::automatic);
  ~FileSink() override;  // abort() unless finish() succeeded
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  void write(std::span<const std::byte> bytes) override;
  void finish() override;
  void abort() noexcept override;

  // True if writes go through io_uring, false if through pwrite(2).
  bool uses_io_uring() const noexcept { return uring_; }

 private:
  struct Buffer {
    std::unique_ptr<std::byte[]> data;  // kBufferBytes, allocated on first use
    std::size_t size = 0;               // bytes filled
    std::size_t done = 0;               // bytes the kernel has written
    std::uint64_t offset = 0;           // file offset of data[0]
    bool in_flight = false;
  };

  // The buffer write() copies into; waits for a completion if all are in flight.
  Buffer& filling_buffer();
  // Hands the filling buffer to the ring (or to pwrite) at the next offset.
  void submit_filling();
  // Queues the unwritten rest of buffers_[index] on the ring.
  void submit(std::size_t index);
  // pwrite(2)s the whole buffer, then marks it empty.
  void write_plain(Buffer& buffer);
  // Reaps one completion: frees its buffer, resumes a short write, or fails.
  void wait_one();
  // Records message as the sink's error and throws it.
  [[noreturn]] void fail(const std::string& message);

  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  int fd_ = -1;
  bool uring_ = false;
  io_uring ring_{};
  std::array<Buffer, kBuffers> buffers_;
  Buffer* filling_ = nullptr;      // the buffer write() copies into, never in flight
  std::size_t in_flight_ = 0;      // buffers submitted and not yet completed
  std::uint64_t next_offset_ = 0;  // file offset of the next buffer submitted
  std::string error_;              // first error; non-empty makes the sink unusable
  bool done_ = false;              // finished or aborted: nothing left to clean up
};

}  // namespace dbsnap
