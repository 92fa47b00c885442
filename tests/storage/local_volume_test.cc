#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/error.h"
#include "storage/local/sink.h"
#include "storage/local/volume.h"
#include "tests/support/common.h"

namespace dbsnap {
namespace {

using test::random_bytes;

namespace fs = std::filesystem;

constexpr std::size_t kMiB = 1 << 20;

std::vector<std::byte> read_file(const fs::path& path) {
  std::vector<std::byte> bytes(fs::file_size(path));
  std::ifstream(path, std::ios::binary)
      .read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

// Writes data through sink in writes of the given sizes, cycled.
void write_in_pieces(FileSink& sink, std::span<const std::byte> data,
                     const std::vector<std::size_t>& sizes) {
  for (std::size_t i = 0; !data.empty(); ++i) {
    std::size_t n = std::min(sizes[i % sizes.size()], data.size());
    sink.write(data.first(n));
    data = data.subspan(n);
  }
}

// Whether the run requires FileWriteMode::automatic to write through io_uring:
// DBSNAP_EXPECT_IO_URING=1 (.ci/run sets it), so that a CI machine where the
// ring cannot be created fails instead of testing the fallback twice.
bool io_uring_expected() {
  const char* v = std::getenv("DBSNAP_EXPECT_IO_URING");
  return v != nullptr && std::string(v) == "1";
}

// Says which write path sink uses (test output, and the XML report's
// write_path property); fails the test if io_uring is expected and not used.
void report_write_path(const FileSink& sink) {
  const char* path = sink.uses_io_uring() ? "io_uring" : "pwrite";
  ::testing::Test::RecordProperty("write_path", path);
  std::cout << "write path of FileWriteMode::automatic: " << path << "\n";
  if (io_uring_expected()) {
    ASSERT_TRUE(sink.uses_io_uring()) << "DBSNAP_EXPECT_IO_URING=1, but FileWriteMode::automatic "
                                         "fell back to pwrite(2) (stderr says why)";
  }
}

// A fresh directory per test, removed afterwards.
class LocalStorage : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "dbsnap-storage-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Every file, directory or link under dir_, relative to it.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::recursive_directory_iterator(dir_))
      names.push_back(entry.path().lexically_relative(dir_).string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

// Runs a test with both write paths: automatic (io_uring where the ring can
// be created; report_write_path says which) and plain pwrite(2).
class FileSinkBothPaths : public LocalStorage, public ::testing::WithParamInterface<FileWriteMode> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(LocalStorage::SetUp());
    if (GetParam() == FileWriteMode::automatic) {
      ASSERT_NO_FATAL_FAILURE(report_write_path(FileSink(dir_ / "probe", GetParam())));
    }
  }
};

INSTANTIATE_TEST_SUITE_P(BothWritePaths, FileSinkBothPaths,
                         ::testing::Values(FileWriteMode::automatic, FileWriteMode::plain),
                         [](const auto& info) {
                           return info.param == FileWriteMode::plain ? "Plain" : "Automatic";
                         });

TEST_P(FileSinkBothPaths, DataIsInvisibleUntilFinish) {
  LocalVolume volume(dir_ / "root", GetParam());
  auto data = random_bytes(9 * kMiB + 17, 1);
  auto sink = volume.create("srv/db/x.sql.gz");
  sink->write(data);
  EXPECT_FALSE(fs::exists(dir_ / "root/srv/db/x.sql.gz"));
  EXPECT_TRUE(volume.list("").empty());
  sink->finish();
  EXPECT_EQ(read_file(dir_ / "root/srv/db/x.sql.gz"), data);
  EXPECT_EQ(volume.list(""), std::vector<std::string>{"srv/db/x.sql.gz"});
  EXPECT_EQ(entries(),
            (std::vector<std::string>{"root", "root/srv", "root/srv/db", "root/srv/db/x.sql.gz"}));
}

// Backup workers append under a mutex and end before the leader calls
// finish(): the kernel cancels io-wq writes of an exited thread (-ECANCELED),
// which the sink must submit again, not report as a write error.
TEST_P(FileSinkBothPaths, WritesOfThreadsThatEndedStillLand) {
  // Each thread leaves up to FileSink::kBuffers writes queued as it ends.
  constexpr std::size_t kPart = FileSink::kBuffers * FileSink::kBufferBytes;
  auto data = random_bytes(8 * kPart, 7);
  FileSink sink(dir_ / "x.sql.gz", GetParam());
  for (std::size_t part = 0; part < 8; ++part) {
    std::thread([&] { sink.write(std::span(data).subspan(part * kPart, kPart)); }).join();
  }
  sink.finish();
  EXPECT_EQ(read_file(dir_ / "x.sql.gz"), data);
}

TEST_P(FileSinkBothPaths, AbortLeavesNothing) {
  LocalVolume volume(dir_, GetParam());
  auto sink = volume.create("x.sql.gz");
  sink->write(random_bytes(13 * kMiB, 2));  // several buffers in flight
  sink->abort();
  EXPECT_TRUE(entries().empty());
  sink->abort();  // a second abort is harmless
  sink.reset();
  EXPECT_TRUE(entries().empty());
}

TEST_P(FileSinkBothPaths, DestructorWithoutFinishLeavesNothing) {
  LocalVolume volume(dir_, GetParam());
  volume.create("a.sql.gz")->write(random_bytes(6 * kMiB, 3));
  volume.create("b.sql.gz");  // never written
  EXPECT_TRUE(entries().empty());
}

TEST_P(FileSinkBothPaths, WriteErrorSurfacesAsIoErrorAndNeverCommits) {
  // The temp file is a symlink to /dev/full: every write fails with ENOSPC.
  fs::create_symlink("/dev/full", dir_ / "x.sql.gz.partial");
  LocalVolume volume(dir_, GetParam());
  auto sink = volume.create("x.sql.gz");
  auto data = random_bytes(9 * kMiB, 4);
  try {
    sink->write(data);
    sink->finish();
    FAIL() << "writing to /dev/full succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::io_error);
    EXPECT_EQ(std::string(e.what()), "unable to write file '" +
                                         (dir_ / "x.sql.gz.partial").string() +
                                         "': No space left on device");
  }
  EXPECT_THROW(sink->finish(), Error);  // the sink stays failed
  sink.reset();
  EXPECT_TRUE(entries().empty());
  EXPECT_TRUE(fs::exists("/dev/full"));
}

TEST_P(FileSinkBothPaths, FileSizeLimitSurfacesAsIoError) {
  // A write that crosses RLIMIT_FSIZE is cut short, and the rest fails with
  // EFBIG: this drives the short-write path before the error.
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = old;
  limited.rlim_cur = 6 * kMiB + 123;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  std::string message;
  {
    FileSink sink(dir_ / "x.sql.gz", GetParam());
    try {
      sink.write(random_bytes(9 * kMiB, 5));
      sink.finish();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::io_error);
      message = e.what();
    }
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "unable to write file '", message);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "x.sql.gz.partial': File too large", message);
  EXPECT_TRUE(entries().empty());
}

TEST_F(LocalStorage, UsesIoUringUnlessForcedOff) {
  EXPECT_FALSE(FileSink(dir_ / "a", FileWriteMode::plain).uses_io_uring());
  ::setenv("DBSNAP_NO_IO_URING", "1", 1);
  FileSink disabled(dir_ / "b");
  ::unsetenv("DBSNAP_NO_IO_URING");
  EXPECT_FALSE(disabled.uses_io_uring());
  report_write_path(FileSink(dir_ / "c"));
}

TEST_F(LocalStorage, BothWritePathsProduceIdenticalFiles) {
  const std::vector<std::size_t> sizes = {
      1, 7, 4095, 4096, 65537, kMiB, 4 * kMiB - 1, 4 * kMiB, 4 * kMiB + 1, 9 * kMiB};
  // One run per write size, plus one cycling through all of them.
  std::vector<std::vector<std::size_t>> runs;
  for (std::size_t size : sizes) runs.push_back({size});
  runs.push_back(sizes);
  for (const auto& run : runs) {
    std::size_t total =
        std::clamp<std::size_t>(run.front() * 20'000, 3 * run.front(), 9 * kMiB + 5);
    if (run.size() > 1) total = 24 * kMiB + 3;  // all buffers in flight
    auto data = random_bytes(total, run.front());
    // automatic is io_uring where the ring can be created: compared with
    // pwrite(2) only then; report_write_path says which ran.
    FileSink uring(dir_ / "uring", FileWriteMode::automatic);
    FileSink plain(dir_ / "plain", FileWriteMode::plain);
    if (&run == &runs.front()) {
      ASSERT_NO_FATAL_FAILURE(report_write_path(uring));
    }
    write_in_pieces(uring, data, run);
    write_in_pieces(plain, data, run);
    uring.finish();
    plain.finish();
    SCOPED_TRACE("first write size " + std::to_string(run.front()) + ", " +
                 std::to_string(run.size()) + " sizes, " + std::to_string(total) + " bytes");
    auto written = read_file(dir_ / "uring");
    EXPECT_TRUE(written == data);
    EXPECT_TRUE(read_file(dir_ / "plain") == written);
  }
}

TEST_F(LocalStorage, PutIfAbsentWritesOnlyWhenNothingIsThere) {
  LocalVolume volume(dir_);
  EXPECT_TRUE(volume.put_if_absent("a/lock", "first"));
  EXPECT_FALSE(volume.put_if_absent("a/lock", "second"));
  EXPECT_EQ(volume.get("a/lock"), "first");
  EXPECT_EQ(entries(), (std::vector<std::string>{"a", "a/lock"})) << "no temp file stays";
}

TEST_F(LocalStorage, PutReplacesAtomically) {
  LocalVolume volume(dir_);
  volume.put("srv/db/x.manifest.json", "old");
  // A reader that opened the old version keeps it: put renames, never rewrites.
  std::ifstream old_reader(dir_ / "srv/db/x.manifest.json");
  volume.put("srv/db/x.manifest.json", "new version");
  EXPECT_EQ(volume.get("srv/db/x.manifest.json"), "new version");
  std::string old_content;
  std::getline(old_reader, old_content);
  EXPECT_EQ(old_content, "old");
  EXPECT_EQ(entries(), (std::vector<std::string>{"srv", "srv/db", "srv/db/x.manifest.json"}));

  // Concurrent readers only ever see one whole version.
  const std::string a(256 * 1024, 'a'), b(300 * 1024, 'b');
  volume.put("k", a);
  std::atomic<bool> stop = false;
  std::atomic<int> torn = 0;
  std::thread reader([&] {
    while (!stop) {
      std::string seen = volume.get("k");
      if (seen != a && seen != b) ++torn;
    }
  });
  for (int i = 0; i < 20; ++i) volume.put("k", i % 2 == 0 ? b : a);
  stop = true;
  reader.join();
  EXPECT_EQ(torn, 0);
}

TEST_F(LocalStorage, ListFindsKeysRecursivelyAndSkipsTempFiles) {
  LocalVolume volume(dir_ / "root");
  EXPECT_TRUE(volume.list("").empty());  // root does not exist yet
  for (const char* key : {"srv/db/2026-1.sql.gz", "srv/db/2026-1.manifest.json",
                          "srv/db/2025-9.sql.gz", "srv/other/x.sql.gz", "top"})
    volume.put(key, key);
  auto unfinished = volume.create("srv/db/2026-2.sql.gz");
  unfinished->write(random_bytes(10, 6));
  ASSERT_TRUE(fs::exists(dir_ / "root/srv/db/2026-2.sql.gz.partial"));

  auto sorted = [](std::vector<std::string> keys) {
    std::sort(keys.begin(), keys.end());
    return keys;
  };
  EXPECT_EQ(sorted(volume.list("")),
            (std::vector<std::string>{"srv/db/2025-9.sql.gz", "srv/db/2026-1.manifest.json",
                                      "srv/db/2026-1.sql.gz", "srv/other/x.sql.gz", "top"}));
  EXPECT_EQ(sorted(volume.list("srv/db/")),
            (std::vector<std::string>{"srv/db/2025-9.sql.gz", "srv/db/2026-1.manifest.json",
                                      "srv/db/2026-1.sql.gz"}));
  EXPECT_EQ(sorted(volume.list("srv/db/2026")),
            (std::vector<std::string>{"srv/db/2026-1.manifest.json", "srv/db/2026-1.sql.gz"}));
  EXPECT_EQ(sorted(volume.list("s")),
            (std::vector<std::string>{"srv/db/2025-9.sql.gz", "srv/db/2026-1.manifest.json",
                                      "srv/db/2026-1.sql.gz", "srv/other/x.sql.gz"}));
  EXPECT_TRUE(volume.list("nothing/here/").empty());
  EXPECT_TRUE(volume.list("top/").empty());  // a file, not a directory
}

TEST_F(LocalStorage, RemoveDeletesTheFileAndAMissingOneIsFine) {
  LocalVolume volume(dir_);
  volume.put("srv/db/a.manifest.json", "{}");
  volume.put("srv/db/b.sql.gz", "data");
  volume.remove("srv/db/a.manifest.json");
  EXPECT_EQ(volume.list(""), std::vector<std::string>{"srv/db/b.sql.gz"});
  EXPECT_FALSE(fs::exists(dir_ / "srv/db/a.manifest.json"));
  EXPECT_NO_THROW(volume.remove("srv/db/a.manifest.json"));
  EXPECT_NO_THROW(volume.remove("never/there"));
  EXPECT_THROW(volume.remove("../outside"), Error);
}

TEST_F(LocalStorage, GetOfMissingKeyThrowsIoErrorNamingThePath) {
  LocalVolume volume(dir_);
  try {
    volume.get("srv/db/missing.manifest.json");
    FAIL() << "get of a missing key succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::io_error);
    EXPECT_EQ(std::string(e.what()), "unable to open missing file '" +
                                         (dir_ / "srv/db/missing.manifest.json").string() +
                                         "' for read");
  }
}

TEST_F(LocalStorage, UncreatableDirectorySurfacesAsIoError) {
  std::ofstream(dir_ / "file") << "not a directory";
  LocalVolume volume(dir_ / "file/root");
  try {
    volume.create("srv/x.sql.gz");
    FAIL() << "a volume under a regular file accepted a sink";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::io_error);
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, "unable to create path '" + dir_.string(),
                        std::string(e.what()));
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, "': Not a directory", std::string(e.what()));
  }
  EXPECT_THROW(volume.put("x", "y"), Error);
}

TEST_F(LocalStorage, KeysThatLeaveTheRootOrNameTempFilesAreRejected) {
  LocalVolume volume(dir_ / "root");
  for (const char* key :
       {"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/", "x.sql.gz.partial"}) {
    SCOPED_TRACE(key);
    try {
      volume.put(key, "y");
      FAIL() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      EXPECT_PRED_FORMAT2(::testing::IsSubstring, "invalid key '", std::string(e.what()));
    }
  }
  EXPECT_THROW(volume.list("../"), Error);
  EXPECT_FALSE(fs::exists(dir_ / "root"));
  EXPECT_FALSE(fs::exists(dir_ / "x"));
}

TEST_F(LocalStorage, DescribeIsTheRoot) { EXPECT_EQ(LocalVolume(dir_).describe(), dir_.string()); }

}  // namespace
}  // namespace dbsnap
