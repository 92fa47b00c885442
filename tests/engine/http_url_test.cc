// HttpUrl: the forms of S3 endpoints, webhooks and ping URLs.
#include "engine/http_url.h"

#include <gtest/gtest.h>

#include "engine/error.h"

namespace dbsnap {
namespace {

TEST(HttpUrl, SplitsSchemeHostPortAndTarget) {
  HttpUrl u = HttpUrl::parse("https://hooks.example.com/services/T1/B2?x=1#frag", "webhook");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "hooks.example.com");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.target, "/services/T1/B2?x=1");
  EXPECT_EQ(u.authority(), "hooks.example.com:443");
  EXPECT_EQ(u.host_header(), "hooks.example.com");
}

TEST(HttpUrl, DefaultsAndExplicitPorts) {
  HttpUrl plain = HttpUrl::parse("http://127.0.0.1:8080", "s3 endpoint");
  EXPECT_FALSE(plain.tls);
  EXPECT_EQ(plain.port, "8080");
  EXPECT_EQ(plain.target, "/");
  EXPECT_EQ(plain.host_header(), "127.0.0.1:8080");
  EXPECT_EQ(HttpUrl::parse("http://h?q=1", "x").target, "/?q=1");
  EXPECT_EQ(HttpUrl::parse("http://h", "x").port, "80");
}

TEST(HttpUrl, Ipv6Literals) {
  HttpUrl u = HttpUrl::parse("http://[::1]:9000/p", "x");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "9000");
  EXPECT_EQ(u.authority(), "[::1]:9000");
  EXPECT_EQ(u.host_header(), "[::1]:9000");
  EXPECT_EQ(HttpUrl::parse("https://[::1]", "x").host_header(), "[::1]");
}

TEST(HttpUrl, RefusesWhatIsNotAnHttpUrl) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"ftp://h/x", "webhook must start with http:// or https://"},
           Case{"https://user:pw@h/x",
                "webhook must not carry a user name or password before the host"},
           Case{"https:///x", "webhook has no host"},
           Case{"http://h:99999/", "webhook has an invalid port '99999'"},
           Case{"http://h:8a/", "webhook has an invalid port '8a'"},
           Case{"http://h:/", "webhook has an invalid port ''"},
           Case{"http://[::1/", "webhook has '[' without ']'"},
       }) {
    try {
      HttpUrl::parse(c.text, "webhook");
      ADD_FAILURE() << c.text << " parsed";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      EXPECT_STREQ(e.what(), c.message) << c.text;
    }
  }
}

}  // namespace
}  // namespace dbsnap
