#include "engine/row_checksum.h"

#include <xxhash.h>

namespace dbsnap {

std::uint64_t xxh64(std::string_view bytes) { return XXH64(bytes.data(), bytes.size(), 0); }

}  // namespace dbsnap
