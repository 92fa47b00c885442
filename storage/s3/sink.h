// The Sink for an S3 object: one PUT for a small object, a streaming
// multipart upload with parallel parts for a big one.
//
// Rules from the S3 API reference ("Multipart upload limits",
// CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
// AbortMultipartUpload): parts are numbered 1..10,000, every part but the last
// is at least 5 MiB and at most 5 GiB, an object is at most 5 TiB.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/sink.h"
#include "storage/s3/client.h"

namespace dbsnap {

constexpr std::size_t kMinPartBytes = std::size_t{5} << 20;
constexpr std::size_t kMaxPartBytes = std::size_t{5} << 30;
constexpr std::size_t kMaxParts = 10'000;
// Parts of one size before the size doubles (see part_size).
constexpr std::size_t kPartsPerSize = 1'000;

// Size in bytes of part index (0-based, < kMaxParts) of an upload whose first
// part has first_bytes (>= kMinPartBytes): first_bytes doubled every
// kPartsPerSize parts, at most kMaxPartBytes. With 5 MiB first parts the
// 10,000 parts hold 4.9 TiB, so a stream of unknown length up to that size
// never runs out of part numbers. Pure; thread-safe.
std::size_t part_size(std::size_t index, std::size_t first_bytes);

// Writes the object key of client's bucket.
//
// Bytes are copied into a part buffer. While the stream is at most one first
// part long nothing is sent; finish() then PUTs it whole (Content-MD5
// checked). When more bytes arrive, a multipart upload starts: each full
// part (sized by part_size()) is queued to client.options().upload_parallel
// uploader threads, and write() blocks while that many parts are queued or
// uploading, so memory stays within (upload_parallel + 1) part sizes. Each
// request is retried by the client; each part's ETag is checked against its
// MD5. finish() uploads the last part, waits for all, completes the upload,
// then checks size and multipart ETag with HEAD.
//
// On any failure the upload is aborted (AbortMultipartUpload, exactly once)
// and the error is thrown from write() or finish(); later calls throw it
// again. abort(), or destruction without a successful finish(), aborts too:
// an unfinished upload is never completed. If Abort itself fails, one line on
// stderr names the upload id to clean up (a bucket lifecycle rule for
// incomplete uploads also removes it).
//
// Errors: dbsnap::Error from the client (storage/s3/client.h), or
// Error(io_error) when the object exceeds 10,000 parts or fails the final check.
// Not thread-safe; callers serialise. *client must outlive this sink.
class S3Sink final : public Sink {
 public:
  S3Sink(S3Client& client, std::string key);
  ~S3Sink() override;  // abort() unless finish() succeeded
  S3Sink(const S3Sink&) = delete;
  S3Sink& operator=(const S3Sink&) = delete;

  void write(std::span<const std::byte> bytes) override;
  void finish() override;
  void abort() noexcept override;

 private:
  struct Part {
    std::size_t index = 0;
    std::vector<std::byte> bytes;
  };
  enum class State { open, finished, failed };

  // Queues the full buffer as the next part, starting the upload first if needed.
  void send_buffer();
  // Uploads queued parts until stopped; records the first error.
  void upload_loop();
  // Waits until every queued part is uploaded or skipped after an error.
  void wait_idle();
  // Stops and joins the uploader threads; queued parts are dropped.
  void stop_uploaders() noexcept;
  // Aborts, records error as the sink's error, and throws it.
  [[noreturn]] void fail(const std::exception_ptr& error);
  // Checks size and multipart ETag of the completed object.
  void check_completed();

  S3Client& client_;
  std::string key_;
  std::vector<std::byte> buffer_;  // the part being filled, never queued
  std::size_t buffer_index_ = 0;   // part index of buffer_
  std::uint64_t size_ = 0;         // bytes written
  std::string upload_id_;          // empty until the multipart upload starts
  State state_ = State::open;
  std::exception_ptr error_;  // why the sink failed

  std::mutex mutex_;                    // guards the members below
  std::condition_variable work_ready_;  // a part was queued, or stop
  std::condition_variable part_done_;   // a part left the pipeline
  std::deque<Part> queue_;
  std::size_t pending_ = 0;          // parts queued or uploading
  std::vector<std::string> etags_;   // by part index
  std::exception_ptr upload_error_;  // first uploader error
  bool stop_ = false;
  std::vector<std::thread> uploaders_;
};

}  // namespace dbsnap
