// The S3 XML reader (storage/s3/xml.h) on arbitrary answers: the elements
// dbsnap reads are found without reading outside the text, and escaping
// round-trips.
#include <string>

#include "storage/s3/xml.h"
#include "tests/fuzz/fuzz_support.h"

namespace dbsnap::fuzz {

void s3_xml(const std::uint8_t* data, std::size_t size) {
  std::string_view xml = as_text(data, size);
  for (std::string_view name : {"Error", "Code", "Message", "Contents", "Key", "Size", "ETag",
                                "IsTruncated", "NextContinuationToken", "UploadId", "Upload"}) {
    for (std::string_view inner : xml_elements(xml, name)) {
      if (!inner.empty() &&
          (inner.data() < xml.data() || inner.data() + inner.size() > xml.data() + xml.size()))
        fail("s3 xml: element text outside the document");
      (void)xml_value(inner, "Key");
    }
    (void)xml_value(xml, name);
  }
  if (xml_unescape(xml_escape(xml)) != xml) fail("s3 xml: escape does not round-trip");
  (void)xml_unescape(xml);
}

}  // namespace dbsnap::fuzz

DBSNAP_FUZZ_ENTRY(s3_xml)
