// Manifest: what to_json writes, parse_manifest reads back; anything else is
// a verify_failed error that says what is wrong.
#include "engine/manifest.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/error.h"

namespace dbsnap {
namespace {

Manifest sample() {
  Manifest m;
  m.status = SnapshotStatus::completed;
  m.server_kind = ServerKind::postgres;
  m.server_version = "15.5";
  m.server_name = "127.0.0.1-5432";
  m.server_url = "postgres://u:***@127.0.0.1:5432/app";
  m.database = "app";
  m.data_object = "20261121T220000Z-a1b2.sql.gz";
  m.position = {{"lsn", "0/1A2B3C"}, {"snapshot", "00000003-0000001B-1"}};
  m.started_at = "2026-11-21T22:00:00Z";
  m.finished_at = "2026-11-21T22:00:05Z";
  m.options = {{"jobs", "4"}, {"compress", "6"}, {"chunk_bytes", "4194304"}};
  m.chunks = {
      {Section::pre_data, "", 0, 812, 4096, 0, 305419896, std::nullopt},
      {Section::data, "public.film", 812, 5'000'000'000ULL, 12'000'000'000ULL, 1000, 0xFFFFFFFFu,
       std::nullopt},
      {Section::data, "\"Sales\".\"Order \"\"x\"\"\"", 5'000'000'812ULL, 20, 30, 0, 0,
       std::nullopt},
      {Section::post_data, "", 5'000'000'832ULL, 300, 900, 0, 42, std::nullopt},
  };
  m.tables = {{"public.film", 1000}, {"\"Sales\".\"Order \"\"x\"\"\"", 0}};
  m.checksums = {{"public.film", 0xfedcba9876543210ULL}, {"\"Sales\".\"Order \"\"x\"\"\"", 0}};
  m.size = 5'000'001'132ULL;
  m.sha256 = std::string(64, 'a');
  return m;
}

void expect_equal(const Manifest& a, const Manifest& b) {
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.failure, b.failure);
  EXPECT_EQ(a.server_kind, b.server_kind);
  EXPECT_EQ(a.server_version, b.server_version);
  EXPECT_EQ(a.server_name, b.server_name);
  EXPECT_EQ(a.server_url, b.server_url);
  EXPECT_EQ(a.database, b.database);
  EXPECT_EQ(a.data_object, b.data_object);
  EXPECT_EQ(a.codec, b.codec);
  EXPECT_EQ(a.position, b.position);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.finished_at, b.finished_at);
  EXPECT_EQ(a.options, b.options);
  ASSERT_EQ(a.chunks.size(), b.chunks.size());
  for (std::size_t i = 0; i < a.chunks.size(); ++i) {
    SCOPED_TRACE("chunk " + std::to_string(i));
    EXPECT_EQ(a.chunks[i].section, b.chunks[i].section);
    EXPECT_EQ(a.chunks[i].table, b.chunks[i].table);
    EXPECT_EQ(a.chunks[i].offset, b.chunks[i].offset);
    EXPECT_EQ(a.chunks[i].length, b.chunks[i].length);
    EXPECT_EQ(a.chunks[i].raw_bytes, b.chunks[i].raw_bytes);
    EXPECT_EQ(a.chunks[i].rows, b.chunks[i].rows);
    EXPECT_EQ(a.chunks[i].crc32, b.chunks[i].crc32);
    EXPECT_EQ(a.chunks[i].after, b.chunks[i].after);
  }
  EXPECT_EQ(a.tables, b.tables);
  EXPECT_EQ(a.checksums, b.checksums);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(a.encryption, b.encryption);
}

// Parses text expecting verify_failed; returns the message.
std::string verify_error(const std::string& text) {
  try {
    parse_manifest(text);
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(ExitCode::verify_failed)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "manifest parsed, expected verify_failed:\n" << text;
  return {};
}

// The sample's JSON with one change applied.
std::string sample_json_with(const std::function<void(nlohmann::json&)>& change) {
  auto j = nlohmann::json::parse(to_json(sample()));
  change(j);
  return j.dump();
}

TEST(Manifest, RoundTripsEveryField) {
  Manifest m = sample();
  expect_equal(parse_manifest(to_json(m)), m);
}

TEST(Manifest, EncryptionRoundTripsAndIsAbsentForPlaintext) {
  auto plain = nlohmann::json::parse(to_json(sample()));
  EXPECT_FALSE(plain.contains("encryption")) << "older readers and plaintext snapshots";
  EXPECT_FALSE(parse_manifest(to_json(sample())).encryption.encrypted());

  Manifest m = sample();
  m.data_object = "20261121T220000Z-a1b2.sql.gz.age";
  m.encryption = {std::string(kAgeFormat), 201, 65536};
  expect_equal(parse_manifest(to_json(m)), m);
  auto j = nlohmann::json::parse(to_json(m));
  EXPECT_EQ(j.at("encryption").at("format"), "age-v1");
  EXPECT_EQ(j.at("encryption").at("header_length"), 201u);
  EXPECT_EQ(j.at("encryption").at("chunk_size"), 65536u);
}

TEST(Manifest, UnknownEncryptionFormatIsVerifyFailedAndNamesIt) {
  EXPECT_NE(verify_error(sample_json_with([](nlohmann::json& j) {
              j["encryption"] = {{"format", "gpg"}, {"header_length", 1}, {"chunk_size", 65536}};
            })).find("'gpg'"),
            std::string::npos);
  verify_error(sample_json_with([](nlohmann::json& j) {
    j["encryption"] = {{"format", "age-v1"}, {"chunk_size", 65536}};
  }));
}

TEST(Manifest, CodecRoundTripsAndIsGzipWhenAbsent) {
  Manifest m = sample();
  m.codec = Codec::zstd;
  m.data_object = "20261121T220000Z-a1b2.sql.zst";
  expect_equal(parse_manifest(to_json(m)), m);
  EXPECT_EQ(nlohmann::json::parse(to_json(m)).at("codec"), "zstd");
  EXPECT_EQ(nlohmann::json::parse(to_json(sample())).at("codec"), "gzip");
  // Manifests written before zstd have no codec: their chunks are gzip.
  Manifest older = parse_manifest(sample_json_with([](nlohmann::json& j) { j.erase("codec"); }));
  EXPECT_EQ(older.codec, Codec::gzip);
  EXPECT_NE(verify_error(sample_json_with([](nlohmann::json& j) {
              j["codec"] = "brotli";
            })).find("'brotli'"),
            std::string::npos);
}

TEST(Manifest, FailedManifestKeepsTheReason) {
  Manifest m = sample();
  m.status = SnapshotStatus::failed;
  m.failure = "server closed the connection during COPY of public.film";
  Manifest back = parse_manifest(to_json(m));
  EXPECT_EQ(back.status, SnapshotStatus::failed);
  EXPECT_EQ(back.failure, m.failure);
}

TEST(Manifest, EmptyManifestRoundTrips) {
  Manifest m;
  m.server_kind = ServerKind::mysql;
  expect_equal(parse_manifest(to_json(m)), m);
  EXPECT_EQ(parse_manifest(to_json(m)).status, SnapshotStatus::running);
}

TEST(Manifest, JsonHasTheDocumentedShape) {
  auto j = nlohmann::json::parse(to_json(sample()));
  EXPECT_EQ(j.at("format"), "dbsnap-manifest");
  EXPECT_EQ(j.at("format_version"), 1) << "version 1 while no chunk is chained";
  EXPECT_EQ(j.at("tool_version"), DBSNAP_VERSION);
  EXPECT_EQ(j.at("status"), "completed");
  EXPECT_FALSE(j.contains("failure")) << "failure is written only when there is one";
  EXPECT_EQ(j.at("server").at("kind"), "postgres");
  EXPECT_EQ(j.at("server").at("url"), "postgres://u:***@127.0.0.1:5432/app");
  EXPECT_EQ(j.at("position").at("lsn"), "0/1A2B3C");
  ASSERT_EQ(j.at("chunks").size(), 4u);
  EXPECT_EQ(j.at("chunks")[0].at("section"), "pre-data");
  EXPECT_EQ(j.at("chunks")[1].at("section"), "data");
  EXPECT_EQ(j.at("chunks")[3].at("section"), "post-data");
  EXPECT_EQ(j.at("chunks")[1].at("offset"), 812u);
  EXPECT_EQ(j.at("chunks")[1].at("crc32"), 0xFFFFFFFFu);
  EXPECT_EQ(j.at("tables").at("public.film"), 1000u);
  EXPECT_EQ(j.at("checksums").at("public.film"), "fedcba9876543210");
  EXPECT_EQ(j.at("size"), 5'000'001'132ULL);
}

TEST(Manifest, ChecksumsAreOptionalAndSixteenHexDigits) {
  auto j = nlohmann::json::parse(to_json(sample()));
  j.erase("checksums");  // a manifest written before checksums
  EXPECT_TRUE(parse_manifest(j.dump()).checksums.empty());
  for (const char* bad : {"123", "fedcba987654321g", "-edcba9876543210"}) {
    j["checksums"] = {{"public.film", bad}};
    EXPECT_THROW(parse_manifest(j.dump()), Error) << bad;
  }
  j["checksums"] = {{"public.film", 7}};
  EXPECT_THROW(parse_manifest(j.dump()), Error);
}

TEST(Manifest, SectionNames) {
  EXPECT_EQ(section_name(Section::pre_data), "pre-data");
  EXPECT_EQ(section_name(Section::data), "data");
  EXPECT_EQ(section_name(Section::post_data), "post-data");
}

TEST(Manifest, NotJsonIsVerifyFailed) {
  for (const char* text : {"", "{", "not json", "{\"format\": \"dbsnap-manifest\",}", "[1, 2]",
                           "42", "\"dbsnap-manifest\"", "null"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(verify_error(text).empty());
  }
}

TEST(Manifest, ForeignFormatIsVerifyFailed) {
  verify_error(sample_json_with([](auto& j) { j.erase("format"); }));
  verify_error(sample_json_with([](auto& j) { j["format"] = "pgbackrest-manifest"; }));
  verify_error(sample_json_with([](auto& j) { j["format"] = 1; }));
}

// Appends to the sample two links of a chain after its data chunk 1.
Manifest chained_sample() {
  Manifest m = sample();
  ChunkEntry link = m.chunks[1];
  link.after = 1;
  m.chunks.push_back(link);
  link.after = 4;
  m.chunks.push_back(link);
  return m;
}

TEST(Manifest, ChainsRoundTripAsFormatVersionTwo) {
  Manifest m = chained_sample();
  auto j = nlohmann::json::parse(to_json(m));
  EXPECT_EQ(j.at("format_version"), 2) << "a dbsnap without chains must refuse it";
  EXPECT_FALSE(j.at("chunks")[1].contains("after"));
  EXPECT_EQ(j.at("chunks")[5].at("after"), 4u);
  expect_equal(parse_manifest(to_json(m)), m);
  EXPECT_EQ(parse_manifest(to_json(sample())).chunks[1].after, std::nullopt);
}

TEST(Manifest, ChainToALaterOrOtherChunkIsVerifyFailed) {
  std::string json = to_json(chained_sample());
  auto with_after = [&](std::size_t chunk, const nlohmann::json& after) {
    auto j = nlohmann::json::parse(json);
    j["chunks"][chunk]["after"] = after;
    return j.dump();
  };
  std::string message = verify_error(with_after(4, 5));
  EXPECT_NE(message.find("chunk 4 continues chunk 5"), std::string::npos) << message;
  verify_error(with_after(4, 4));   // itself
  verify_error(with_after(4, 2));   // another table's
  verify_error(with_after(4, 0));   // the pre-data
  verify_error(with_after(3, 1));   // a post-data chunk in a chain
  verify_error(with_after(4, -1));  // not an index
  verify_error(with_after(4, "1"));
}

TEST(Manifest, UnsupportedFormatVersionIsVerifyFailedAndNamesIt) {
  std::string message = verify_error(sample_json_with([](auto& j) { j["format_version"] = 3; }));
  EXPECT_NE(message.find("format_version 3"), std::string::npos) << message;
  verify_error(sample_json_with([](auto& j) { j["format_version"] = 0; }));
  verify_error(sample_json_with([](auto& j) { j.erase("format_version"); }));
  verify_error(sample_json_with([](auto& j) { j["format_version"] = "1"; }));
}

TEST(Manifest, MissingRequiredFieldsAreVerifyFailed) {
  for (const char* field : {"status", "server", "database", "data_object", "chunks"}) {
    SCOPED_TRACE(field);
    verify_error(sample_json_with([&](auto& j) { j.erase(field); }));
  }
  for (const char* field : {"section", "offset", "length", "raw_bytes", "crc32"}) {
    SCOPED_TRACE(std::string("chunk.") + field);
    verify_error(sample_json_with([&](auto& j) { j["chunks"][1].erase(field); }));
  }
  verify_error(sample_json_with([](auto& j) { j["server"].erase("kind"); }));
}

TEST(Manifest, WrongTypesAreVerifyFailed) {
  verify_error(sample_json_with([](auto& j) { j["chunks"][1]["offset"] = "812"; }));
  verify_error(sample_json_with([](auto& j) { j["chunks"] = "none"; }));
  verify_error(sample_json_with([](auto& j) { j["status"] = 3; }));
  verify_error(sample_json_with([](auto& j) { j["tables"] = {{"public.film", "many"}}; }));
  verify_error(sample_json_with([](auto& j) { j["size"] = "big"; }));
  verify_error(sample_json_with([](auto& j) { j["position"] = 7; }));
}

// Found by tests/fuzz/manifest_fuzz.cc: a float or negative number where an
// unsigned integer belongs was cast unchecked (undefined behaviour for 1e300).
TEST(Manifest, NumbersOutOfRangeAreVerifyFailed) {
  verify_error(sample_json_with([](auto& j) { j["chunks"][1]["offset"] = 1e300; }));
  verify_error(sample_json_with([](auto& j) { j["chunks"][1]["length"] = -1; }));
  verify_error(sample_json_with([](auto& j) { j["chunks"][1]["raw_bytes"] = 1.5; }));
  verify_error(sample_json_with([](auto& j) { j["chunks"][1]["rows"] = -1e30; }));
  verify_error(sample_json_with([](auto& j) { j["chunks"][1]["crc32"] = 4294967296ULL; }));
  verify_error(sample_json_with([](auto& j) { j["format_version"] = 1e300; }));
  verify_error(sample_json_with([](auto& j) { j["tables"] = {{"public.film", -5e40}}; }));
  verify_error(sample_json_with([](auto& j) { j["size"] = 1e20; }));
}

TEST(Manifest, UnknownSectionIsVerifyFailedAndNamesIt) {
  std::string message =
      verify_error(sample_json_with([](auto& j) { j["chunks"][0]["section"] = "middle-data"; }));
  EXPECT_NE(message.find("middle-data"), std::string::npos) << message;
}

}  // namespace
}  // namespace dbsnap
