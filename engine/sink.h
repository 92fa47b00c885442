// Where the bytes of a data object go: a local file, an S3 multipart upload, stdout.
#pragma once

#include <cstddef>
#include <span>

namespace dbsnap {

// A byte stream that becomes visible only when finish() succeeds.
//
// write() appends bytes (it may copy them or block until they are written;
// the span is not kept after it returns). finish() does all work that can fail
// (flush, fsync, rename, complete upload) and makes the object durable and
// visible. abort() discards everything written; it never throws. A sink that
// is destroyed without finish() behaves as if abort() was called: destructors
// never commit. Errors throw dbsnap::Error (ExitCode::io_error) naming the
// object and the operation. Not thread-safe; callers serialise.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(std::span<const std::byte> bytes) = 0;
  virtual void finish() = 0;
  virtual void abort() noexcept = 0;
};

}  // namespace dbsnap
