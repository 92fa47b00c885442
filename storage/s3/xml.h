// A tolerant reader for the few elements of S3's XML answers that dbsnap needs
// (Error, ListBucketResult, InitiateMultipartUploadResult,
// ListMultipartUploadsResult), and escaping for the one XML body it sends
// (CompleteMultipartUpload). Format: S3 API reference, each action's
// "Response Syntax"; XML 1.0 for the predefined and numeric entities.
//
// Not a general XML parser: it finds <name>...</name> (with or without
// attributes or a namespace prefix on the start tag, and <name/>) by text
// search, which is exact for S3's answers since element text never contains
// '<' unescaped. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbsnap {

// The raw inner text of every top-level-or-nested <name> element in document
// order; nested elements of the same name are not expected in S3 answers.
// Entities are not decoded (pass the inner text to xml_values/xml_value again).
std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view name);

// The decoded text of the first <name> element, or nullopt if there is none.
std::optional<std::string> xml_value(std::string_view xml, std::string_view name);

// Replaces &<>"' by their predefined entities.
std::string xml_escape(std::string_view text);

// Decodes the predefined entities and &#NN; / &#xNN; (as UTF-8); unknown
// entities are kept as written.
std::string xml_unescape(std::string_view text);

}  // namespace dbsnap
