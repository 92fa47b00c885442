#include "engine/http_url.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/error.h"

namespace dbsnap {

HttpUrl HttpUrl::parse(std::string_view text, std::string_view what) {
  HttpUrl url;
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
    url.tls = false;
  } else {
    throw Error(ExitCode::usage, fmt::format("{} must start with http:// or https://", what));
  }
  rest = rest.substr(0, rest.find('#'));
  std::size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
  url.target = target.starts_with('/') ? std::string(target) : fmt::format("/{}", target);
  if (authority.find('@') != std::string_view::npos)
    throw Error(ExitCode::usage,
                fmt::format("{} must not carry a user name or password before the host", what));
  std::string_view port;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      throw Error(ExitCode::usage, fmt::format("{} has '[' without ']'", what));
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':'))
      throw Error(ExitCode::usage, fmt::format("{} has text after ']' that is not a port", what));
    if (!after.empty()) port = after.substr(1);
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    url.host = std::string(authority.substr(0, colon));
    port = authority.substr(colon + 1);
  } else {
    url.host = std::string(authority);
  }
  if (url.host.empty()) throw Error(ExitCode::usage, fmt::format("{} has no host", what));
  bool digits = !port.empty() && port.size() <= 5 &&
                std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (authority.ends_with(':') || (!port.empty() && (!digits || std::stoi(std::string(port)) == 0 ||
                                                     std::stoi(std::string(port)) > 65535)))
    throw Error(ExitCode::usage, fmt::format("{} has an invalid port '{}'", what, port));
  url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
  return url;
}

std::string HttpUrl::authority() const {
  bool v6 = host.find(':') != std::string::npos;
  return v6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

std::string HttpUrl::host_header() const {
  std::string name = host.find(':') != std::string::npos ? fmt::format("[{}]", host) : host;
  return default_port() ? name : name + ":" + port;
}

}  // namespace dbsnap
