// http:// and https:// URLs as dbsnap's HTTP peers use them (S3 endpoints,
// webhooks, healthcheck ping URLs). Pure string logic; no HTTP library.
//
// Source of the rules: RFC 3986 (scheme, authority with "[IPv6]" literals,
// path and query) and RFC 9110 section 4.2 (default ports 80 and 443).
#pragma once

#include <string>
#include <string_view>

namespace dbsnap {

struct HttpUrl {
  bool tls = true;     // https
  std::string host;    // name or address, without the brackets of an IPv6 literal
  std::string port;    // as given, else "443" (https) or "80" (http)
  std::string target;  // path and query, "/" when the URL has none; the fragment is dropped
  bool default_port() const { return port == (tls ? "443" : "80"); }

  // Parses "http(s)://host[:port][/path][?query]". what names the URL in the
  // error ("webhook", "s3 endpoint"). Throws dbsnap::Error(ExitCode::usage)
  // for another scheme, user info ("user@"), an empty host or a bad port.
  static HttpUrl parse(std::string_view text, std::string_view what);

  // "host:port" ("[::1]:8080" for IPv6): names the peer in messages; never
  // carries the path or query, which may hold a token.
  std::string authority() const;
  // The Host header (RFC 9110 section 7.2): the host, bracketed if IPv6,
  // with ":port" unless it is the scheme's default.
  std::string host_header() const;
};

}  // namespace dbsnap
