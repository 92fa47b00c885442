// ServerUrl: the forms users type, and that a password never leaks.
#include "engine/url.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/error.h"

namespace dbsnap {
namespace {

// Parses text expecting a usage error; returns its message.
std::string usage_error(const std::string& text) {
  try {
    ServerUrl::parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(ExitCode::usage)) << text;
    return e.what();
  }
  ADD_FAILURE() << "'" << text << "' parsed, expected a usage error";
  return {};
}

TEST(ServerUrl, ParsesEveryPart) {
  auto u = ServerUrl::parse("postgres://alice:s3cret@db.example.com:6432/app?sslmode=require");
  EXPECT_EQ(u.kind, ServerKind::postgres);
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "s3cret");
  EXPECT_EQ(u.host, "db.example.com");
  EXPECT_EQ(u.port, 6432);
  EXPECT_EQ(u.database, "app");
  EXPECT_EQ(u.params, (std::map<std::string, std::string>{{"sslmode", "require"}}));
  EXPECT_EQ(u.kind_name(), "postgres");
}

TEST(ServerUrl, SchemesSelectKindAndDefaultPort) {
  struct Case {
    const char* text;
    ServerKind kind;
    int port;
    const char* name;
  };
  for (const auto& c : {Case{"postgres://h/db", ServerKind::postgres, 5432, "postgres"},
                        Case{"postgresql://h/db", ServerKind::postgres, 5432, "postgres"},
                        Case{"mysql://h/db", ServerKind::mysql, 3306, "mysql"},
                        Case{"mariadb://h/db", ServerKind::mariadb, 3306, "mariadb"}}) {
    SCOPED_TRACE(c.text);
    auto u = ServerUrl::parse(c.text);
    EXPECT_EQ(u.kind, c.kind);
    EXPECT_EQ(u.port, c.port);
    EXPECT_EQ(u.kind_name(), c.name);
    EXPECT_EQ(u.host, "h");
    EXPECT_EQ(u.database, "db");
  }
}

TEST(ServerUrl, OptionalPartsStayEmpty) {
  auto u = ServerUrl::parse("mysql://db1");
  EXPECT_EQ(u.host, "db1");
  EXPECT_EQ(u.port, 3306);
  EXPECT_TRUE(u.user.empty());
  EXPECT_TRUE(u.password.empty());
  EXPECT_TRUE(u.database.empty());
  EXPECT_TRUE(u.params.empty());

  auto v = ServerUrl::parse("postgres://bob@h:5433/");
  EXPECT_EQ(v.user, "bob");
  EXPECT_TRUE(v.password.empty());
  EXPECT_EQ(v.port, 5433);
  EXPECT_TRUE(v.database.empty());
}

TEST(ServerUrl, Ipv6HostInBrackets) {
  auto u = ServerUrl::parse("postgres://u:pw@[::1]:6543/db");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 6543);
  EXPECT_EQ(u.database, "db");

  auto v = ServerUrl::parse("mysql://[2001:db8::7]/shop");
  EXPECT_EQ(v.host, "2001:db8::7");
  EXPECT_EQ(v.port, 3306);
  EXPECT_EQ(v.database, "shop");
  EXPECT_EQ(v.masked(), "mysql://[2001:db8::7]:3306/shop");
  EXPECT_EQ(v.volume_name().find(':'), std::string::npos) << v.volume_name();
}

TEST(ServerUrl, PercentEscapesAreDecoded) {
  auto u = ServerUrl::parse("postgres://a%40corp:p%3Aw%2F%40%25x@h/my%20db?application_name=a%26b");
  EXPECT_EQ(u.user, "a@corp");
  EXPECT_EQ(u.password, "p:w/@%x");
  EXPECT_EQ(u.database, "my db");
  EXPECT_EQ(u.params.at("application_name"), "a&b");
}

TEST(ServerUrl, PercentWithoutTwoHexDigitsStaysLiteral) {
  auto u = ServerUrl::parse("postgres://u:100%zz%4@h/db");
  EXPECT_EQ(u.password, "100%zz%4");
}

TEST(ServerUrl, LastAtSeparatesTheHost) {
  auto u = ServerUrl::parse("postgres://u:p@ss@h:5432/db");
  EXPECT_EQ(u.user, "u");
  EXPECT_EQ(u.password, "p@ss");
  EXPECT_EQ(u.host, "h");
}

TEST(ServerUrl, SeveralQueryParameters) {
  auto u = ServerUrl::parse("postgres://h/db?sslmode=verify-full&connect_timeout=5&");
  EXPECT_EQ(u.params.size(), 2u);
  EXPECT_EQ(u.params.at("sslmode"), "verify-full");
  EXPECT_EQ(u.params.at("connect_timeout"), "5");
}

TEST(ServerUrl, BadInputsAreUsageErrors) {
  for (const char* text :
       {"", "localhost:5432", "db.example.com", "http://h/db", "postgre://h", "postgres://h:abc/db",
        "postgres://h:/db", "postgres://h:0", "postgres://h:65536", "postgres://h:-1",
        "postgres://[::1", "postgres://[::1]x/db", "postgres://[::1]:x/db",
        "postgres://[::1]:5x/db", "postgres://[::1]:/db", "postgres://h:99999999999/db",
        "postgres://h/db?novalue"}) {
    SCOPED_TRACE(text);
    std::string message = usage_error(text);
    EXPECT_FALSE(message.empty());
  }
}

TEST(ServerUrl, ErrorsNeverShowThePassword) {
  for (const char* text :
       {"postgres://u:Hunter2pw@h:abc/db", "mysql://u:Hunter2pw@[::1/db", "ftp://u:Hunter2pw@h/db",
        "postgres://u:Hunter2pw@h/db?x", "u:Hunter2pw@h:5432"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(usage_error(text).find("Hunter2pw"), std::string::npos);
  }
}

TEST(ServerUrl, MaskedNeverContainsThePassword) {
  for (const char* text :
       {"postgres://u:Hunter2pw@h/db", "postgres://u:Hunter2pw@[::1]:5/db?sslmode=require",
        "mysql://root:Hunter2pw@127.0.0.1/", "postgres://u:Hunter%32pw@h/db",
        "postgres://h/db?password=Hunter2pw",
        "postgres://h/db?sslpassword=Hunter2pw&sslmode=require"}) {
    SCOPED_TRACE(text);
    auto u = ServerUrl::parse(text);
    std::string m = u.masked();
    EXPECT_EQ(m.find("Hunter2pw"), std::string::npos) << m;
    EXPECT_NE(m.find("***"), std::string::npos) << m;
  }
}

TEST(ServerUrl, MaskedKeepsEverythingElse) {
  EXPECT_EQ(ServerUrl::parse("postgresql://alice:pw@h:6432/app?sslmode=require").masked(),
            "postgres://alice:***@h:6432/app?sslmode=require");
  EXPECT_EQ(ServerUrl::parse("mariadb://bob@h/shop").masked(), "mariadb://bob@h:3306/shop");
  EXPECT_EQ(ServerUrl::parse("mysql://h").masked(), "mysql://h:3306");
}

TEST(ServerUrl, MaskedParsesBackToTheSameServer) {
  auto u = ServerUrl::parse("postgres://alice:pw@[fe80::1]:6432/app?sslmode=require");
  auto back = ServerUrl::parse(u.masked());
  EXPECT_EQ(back.kind, u.kind);
  EXPECT_EQ(back.user, u.user);
  EXPECT_EQ(back.host, u.host);
  EXPECT_EQ(back.port, u.port);
  EXPECT_EQ(back.database, u.database);
  EXPECT_EQ(back.params, u.params);
}

TEST(ServerUrl, VolumeNameIsOnePathComponent) {
  EXPECT_EQ(ServerUrl::parse("postgres://u:pw@127.0.0.1:5432/db").volume_name(), "127.0.0.1-5432");
  EXPECT_EQ(ServerUrl::parse("mysql://db.example.com/x").volume_name(), "db.example.com-3306");
  for (const char* text :
       {"postgres://[::1]:5432/db", "postgres://a%2Fb/db", "postgres://a%5Cb/db"}) {
    std::string name = ServerUrl::parse(text).volume_name();
    EXPECT_EQ(name.find_first_of("/\\:"), std::string::npos) << text << " -> " << name;
    EXPECT_FALSE(name.empty());
  }
}

}  // namespace
}  // namespace dbsnap
