// The manifest parser (engine/manifest.h) on arbitrary bytes: it accepts or
// throws dbsnap::Error (nothing else), and what it accepts round-trips
// through to_json unchanged.
#include <string>

#include "engine/error.h"
#include "engine/manifest.h"
#include "tests/fuzz/fuzz_support.h"

namespace dbsnap::fuzz {

void manifest(const std::uint8_t* data, std::size_t size) {
  Manifest m;
  try {
    m = parse_manifest(as_text(data, size));
  } catch (const Error&) {
    return;
  }
  std::string once = to_json(m);
  std::string twice;
  try {
    twice = to_json(parse_manifest(once));
  } catch (const Error&) {
    fail("manifest: to_json wrote a manifest parse_manifest rejects");
  }
  if (once != twice) fail("manifest: does not round-trip");
}

}  // namespace dbsnap::fuzz

DBSNAP_FUZZ_ENTRY(manifest)
