#include "engine/row_checksum.h"

#include <xxhash.h>

#include <new>

namespace dbsnap {

std::uint64_t xxh64(std::string_view bytes) { return XXH64(bytes.data(), bytes.size(), 0); }

Xxh64Stream::Xxh64Stream()
    : state_(XXH64_createState(), [](XXH64_state_t* s) { XXH64_freeState(s); }) {
  if (!state_) throw std::bad_alloc();
  reset();
}

void Xxh64Stream::update(std::string_view bytes) {
  XXH64_update(state_.get(), bytes.data(), bytes.size());
}

std::uint64_t Xxh64Stream::digest() const { return XXH64_digest(state_.get()); }

void Xxh64Stream::reset() { XXH64_reset(state_.get(), 0); }

}  // namespace dbsnap
