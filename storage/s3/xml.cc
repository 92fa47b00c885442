#include "storage/s3/xml.h"

#include <charconv>
#include <cstdint>

namespace dbsnap {
namespace {

// Position just past the start tag of the next <name ...> or <prefix:name ...>
// at or after from, and whether it was self-closing; npos if none.
struct StartTag {
  std::size_t begin = std::string_view::npos;  // the '<'
  std::size_t end = std::string_view::npos;    // just past the '>'
  bool empty = false;                          // <name/>
};

StartTag find_start(std::string_view xml, std::string_view name, std::size_t from) {
  for (std::size_t lt = xml.find('<', from); lt != std::string_view::npos;
       lt = xml.find('<', lt + 1)) {
    std::size_t p = lt + 1;
    std::size_t colon = xml.find_first_of(":> /\t\r\n", p);
    if (colon != std::string_view::npos && xml[colon] == ':') p = colon + 1;
    if (xml.compare(p, name.size(), name) != 0) continue;
    std::size_t after = p + name.size();
    if (after >= xml.size()) return {};
    char c = xml[after];
    if (c != '>' && c != '/' && c != ' ' && c != '\t' && c != '\r' && c != '\n') continue;
    std::size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) return {};
    return {lt, gt + 1, xml[gt - 1] == '/'};
  }
  return {};
}

// Position of the end tag </name> or </prefix:name> at or after from; npos if none.
std::size_t find_end(std::string_view xml, std::string_view name, std::size_t from) {
  for (std::size_t lt = xml.find("</", from); lt != std::string_view::npos;
       lt = xml.find("</", lt + 2)) {
    std::size_t p = lt + 2;
    std::size_t gt = xml.find('>', p);
    if (gt == std::string_view::npos) return std::string_view::npos;
    std::string_view tag = xml.substr(p, gt - p);
    if (auto colon = tag.find(':'); colon != std::string_view::npos) tag.remove_prefix(colon + 1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == name) return lt;
  }
  return std::string_view::npos;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

}  // namespace

std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view name) {
  std::vector<std::string_view> out;
  std::size_t from = 0;
  for (;;) {
    StartTag start = find_start(xml, name, from);
    if (start.begin == std::string_view::npos) return out;
    if (start.empty) {
      out.emplace_back();
      from = start.end;
      continue;
    }
    std::size_t end = find_end(xml, name, start.end);
    if (end == std::string_view::npos) return out;
    out.push_back(xml.substr(start.end, end - start.end));
    from = end;
  }
}

std::optional<std::string> xml_value(std::string_view xml, std::string_view name) {
  auto elements = xml_elements(xml, name);
  if (elements.empty()) return std::nullopt;
  return xml_unescape(elements.front());
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string xml_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    std::size_t amp = text.find('&');
    out += text.substr(0, amp);
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp);
    std::size_t semi = text.find(';');
    std::string_view entity = text.substr(1, semi == std::string_view::npos ? 0 : semi - 1);
    std::optional<std::uint32_t> code;
    if (entity == "amp")
      code = '&';
    else if (entity == "lt")
      code = '<';
    else if (entity == "gt")
      code = '>';
    else if (entity == "quot")
      code = '"';
    else if (entity == "apos")
      code = '\'';
    else if (entity.size() > 1 && entity[0] == '#') {
      bool hex = entity[1] == 'x' || entity[1] == 'X';
      std::string_view digits = entity.substr(hex ? 2 : 1);
      std::uint32_t value = 0;
      auto [end, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), value, hex ? 16 : 10);
      if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty() &&
          value <= 0x10ffff)
        code = value;
    }
    if (!code || semi == std::string_view::npos) {
      out += '&';
      text.remove_prefix(1);
      continue;
    }
    append_utf8(out, *code);
    text.remove_prefix(semi + 1);
  }
  return out;
}

}  // namespace dbsnap
