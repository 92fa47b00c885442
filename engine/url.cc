#include "engine/url.h"

#include <fmt/format.h>

#include "engine/error.h"

namespace dbsnap {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 section 2.1; a '%' not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

[[noreturn]] void bad(const std::string& text, const std::string& why) {
  // The text may hold a password: name only its scheme and the reason.
  auto scheme_end = text.find("://");
  std::string scheme =
      scheme_end == std::string::npos ? std::string("(none)") : text.substr(0, scheme_end);
  throw Error(ExitCode::usage,
              fmt::format("invalid server url (scheme '{}'): {}; expected "
                          "postgres://user@host:5432/db or mysql://user@host:3306/db",
                          scheme, why));
}

// 1..65535 from digits only; anything else is a usage error.
int parse_port(const std::string& text, const std::string& port) {
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    bad(text, "port is not a number from 1 to 65535");
  int n = std::stoi(port);
  if (n < 1 || n > 65535) bad(text, "port is not a number from 1 to 65535");
  return n;
}

}  // namespace

ServerUrl ServerUrl::parse(const std::string& text) {
  ServerUrl url;
  auto scheme_end = text.find("://");
  if (scheme_end == std::string::npos) bad(text, "missing '://'");
  std::string scheme = text.substr(0, scheme_end);
  if (scheme == "postgres" || scheme == "postgresql") {
    url.kind = ServerKind::postgres;
    url.port = 5432;
  } else if (scheme == "mysql") {
    url.kind = ServerKind::mysql;
    url.port = 3306;
  } else if (scheme == "mariadb") {
    url.kind = ServerKind::mariadb;
    url.port = 3306;
  } else {
    bad(text, "unknown scheme");
  }
  std::string rest = text.substr(scheme_end + 3);
  if (auto q = rest.find('?'); q != std::string::npos) {
    std::string query = rest.substr(q + 1);
    rest.resize(q);
    std::size_t pos = 0;
    while (pos <= query.size()) {
      auto amp = query.find('&', pos);
      std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      if (!kv.empty()) {
        auto eq = kv.find('=');
        if (eq == std::string::npos)
          bad(text, fmt::format("query parameter '{}' has no value", kv));
        url.params[percent_decode(kv.substr(0, eq))] = percent_decode(kv.substr(eq + 1));
      }
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    url.database = percent_decode(rest.substr(slash + 1));
    rest.resize(slash);
  }
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    std::string userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (auto colon = userinfo.find(':'); colon != std::string::npos) {
      url.user = percent_decode(userinfo.substr(0, colon));
      url.password = percent_decode(userinfo.substr(colon + 1));
    } else {
      url.user = percent_decode(userinfo);
    }
  }
  std::string hostport = rest;
  if (!hostport.empty() && hostport.front() == '[') {  // [::1]:5432
    auto close = hostport.find(']');
    if (close == std::string::npos) bad(text, "unclosed '[' in host");
    url.host = hostport.substr(1, close - 1);
    hostport = hostport.substr(close + 1);
    if (!hostport.empty()) {
      if (hostport.front() != ':') bad(text, "junk after ']'");
      url.port = parse_port(text, hostport.substr(1));
    }
  } else {
    auto colon = hostport.rfind(':');
    if (colon != std::string::npos) {
      std::string port = hostport.substr(colon + 1);
      hostport.resize(colon);
      url.port = parse_port(text, port);
    }
    if (!hostport.empty()) url.host = percent_decode(hostport);
  }
  return url;
}

std::string_view kind_name(ServerKind kind) {
  switch (kind) {
    case ServerKind::postgres:
      return "postgres";
    case ServerKind::mysql:
      return "mysql";
    case ServerKind::mariadb:
      return "mariadb";
  }
  return "postgres";
}

std::optional<ServerKind> parse_kind(std::string_view text) {
  for (ServerKind k : {ServerKind::postgres, ServerKind::mysql, ServerKind::mariadb})
    if (kind_name(k) == text) return k;
  return std::nullopt;
}

std::string ServerUrl::kind_name() const { return std::string(dbsnap::kind_name(kind)); }

std::string ServerUrl::masked() const {
  std::string out = kind_name() + "://";
  if (!user.empty()) {
    out += user;
    if (!password.empty()) out += ":***";
    out += "@";
  }
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += fmt::format(":{}", port);
  if (!database.empty()) out += "/" + database;
  char sep = '?';
  for (const auto& [k, v] : params) {
    bool secret = k == "password" || k == "sslpassword";
    out += fmt::format("{}{}={}", sep, k, secret ? "***" : v);
    sep = '&';
  }
  return out;
}

std::string ServerUrl::volume_name() const {
  std::string name = fmt::format("{}-{}", host, port);
  for (char& c : name)
    if (c == '/' || c == ':' || c == '\\') c = '_';
  return name;
}

}  // namespace dbsnap
