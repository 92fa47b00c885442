// The fuzz targets' entry functions (tests/fuzz/*_fuzz.cc) on the inputs
// that once broke them (tests/fuzz/regressions/<target>/) and on their seed
// corpora (tests/fuzz/corpus/<target>/), in the normal build: a target ends
// the process when an invariant breaks, so a regression fails this test.
#define DBSNAP_FUZZ_NO_ENTRY
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/gunzip_fuzz.cc"
#include "tests/fuzz/manifest_fuzz.cc"
#include "tests/fuzz/mysql_splitter_fuzz.cc"
#include "tests/fuzz/pg_splitter_fuzz.cc"
#include "tests/fuzz/s3_xml_fuzz.cc"
#include "tests/fuzz/unzstd_fuzz.cc"
#include "tests/fuzz/url_fuzz.cc"

namespace dbsnap::fuzz {
namespace {

namespace fs = std::filesystem;

// Runs target on every file under tests/fuzz/<kind>/<name>; returns how many.
int run_all(const std::string& kind, const std::string& name,
            void (*target)(const std::uint8_t*, std::size_t)) {
  fs::path dir = fs::path(DBSNAP_SOURCE_DIR) / "tests" / "fuzz" / kind / name;
  if (!fs::is_directory(dir)) return 0;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    std::ifstream in(f, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  return static_cast<int>(files.size());
}

void check(const std::string& name, void (*target)(const std::uint8_t*, std::size_t)) {
  run_all("regressions", name, target);
  EXPECT_GT(run_all("corpus", name, target), 0) << "no seed corpus for " << name;
}

TEST(FuzzRegressions, PgSplitter) { check("pg_splitter", pg_splitter); }
TEST(FuzzRegressions, MysqlSplitter) { check("mysql_splitter", mysql_splitter); }
TEST(FuzzRegressions, Manifest) { check("manifest", manifest); }
TEST(FuzzRegressions, Url) { check("url", url); }
TEST(FuzzRegressions, S3Xml) { check("s3_xml", s3_xml); }
TEST(FuzzRegressions, Gunzip) { check("gunzip", gunzip); }
TEST(FuzzRegressions, Unzstd) { check("unzstd", unzstd); }

}  // namespace
}  // namespace dbsnap::fuzz
