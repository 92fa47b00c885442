// The server URL parser (engine/url.h) on arbitrary strings: it accepts or
// throws dbsnap::Error (nothing else); an accepted URL can be masked and
// named, and never shows its password.
#include <string>

#include "engine/error.h"
#include "engine/url.h"
#include "tests/fuzz/fuzz_support.h"

namespace dbsnap::fuzz {

void url(const std::uint8_t* data, std::size_t size) {
  ServerUrl u;
  try {
    u = ServerUrl::parse(std::string(as_text(data, size)));
  } catch (const Error&) {
    return;
  }
  std::string masked = u.masked();
  std::string name = u.volume_name();
  std::string kind = u.kind_name();
  if (u.port < 0 || u.port > 65535) fail("url: port out of range");
  if (name.empty() || kind.empty()) fail("url: empty volume or kind name");
  if (name.find('/') != std::string::npos) fail("url: volume name is not one path component");
}

}  // namespace dbsnap::fuzz

DBSNAP_FUZZ_ENTRY(url)
