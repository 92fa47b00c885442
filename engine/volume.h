// A place that holds snapshots: a local directory or an S3 prefix.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sink.h"

namespace dbsnap {

// Keys are '/'-separated paths relative to the volume root, e.g.
// "127.0.0.1-5432/app/20261121T220000Z-1a2b3c.sql.gz".
//
// Errors throw dbsnap::Error (ExitCode::io_error) naming the key and the
// operation. Implementations are thread-safe for distinct keys.
class Volume {
 public:
  virtual ~Volume() = default;

  // Starts a new data object at key. Nothing is visible at key until the
  // returned sink's finish() succeeds; abort() leaves nothing behind.
  virtual std::unique_ptr<Sink> create(const std::string& key) = 0;

  // Writes a small object (a manifest) whole, replacing any previous version
  // atomically: a reader sees the old or the new content, never a mix.
  virtual void put(const std::string& key, std::string_view bytes) = 0;

  // Writes a small object (a lock) whole only if nothing exists at key, in
  // one atomic step: of concurrent callers (threads, processes, hosts) for
  // the same absent key exactly one gets true; the others, and any caller
  // when key exists, get false and change nothing. Throws on storage errors.
  virtual bool put_if_absent(const std::string& key, std::string_view bytes) = 0;

  // Reads a whole small object; throws if it does not exist.
  virtual std::string get(const std::string& key) = 0;

  // Reads up to length bytes of an object starting at byte offset (ranged
  // reads of chunks, streaming of big objects). Returns fewer bytes only when
  // the object ends first (none at or past its end); throws if it does not exist.
  virtual std::string read(const std::string& key, std::uint64_t offset, std::uint64_t length) = 0;

  // Keys under prefix (recursive), in no particular order.
  virtual std::vector<std::string> list(const std::string& prefix) = 0;

  // Deletes the object at key; a missing object is not an error.
  virtual void remove(const std::string& key) = 0;

  // Deletes the objects at keys (missing ones are not an error); throws on
  // the first that fails, naming it. Drivers may batch (S3 DeleteObjects).
  virtual void remove_many(std::span<const std::string> keys) {
    for (const auto& key : keys) remove(key);
  }

  // Human-readable location for messages (a path, or a URL without secrets).
  virtual std::string describe() const = 0;
};

}  // namespace dbsnap
