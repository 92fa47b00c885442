// GzipCompressor::compress and ZstdCompressor::compress throughput on 4 MiB
// chunks of controlled compressibility, at the levels a user is likely to pick.
//
// Arguments: level, then the share of each row's payload that is random
// (0..100 %): 0 gives dump text with repeating values, 100 gives rows whose
// text fields are all random. The "ratio" counter is raw / compressed bytes.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "compress/gzip.h"
#include "compress/zstd.h"

namespace dbsnap {
namespace {

constexpr std::size_t kChunkBytes = 4 << 20;

// COPY-format rows (id, name, email, created_at, amount, note) like a
// pg_dump data chunk. random_percent of the rows get random letters in their
// text fields; the rest repeat a small vocabulary.
std::string make_rows(int random_percent) {
  static constexpr const char* kWords[] = {"alpha", "bravo",   "charlie", "delta",
                                           "echo",  "foxtrot", "golf",    "hotel"};
  std::mt19937_64 rng(42);
  auto random_text = [&rng](std::size_t n) {
    std::string text(n, ' ');
    for (auto& c : text) c = static_cast<char>('a' + rng() % 26);
    return text;
  };
  std::string rows;
  rows.reserve(kChunkBytes + 256);
  for (std::uint64_t id = 1; rows.size() < kChunkBytes; ++id) {
    bool random = static_cast<int>(rng() % 100) < random_percent;
    std::string name = random ? random_text(12) : kWords[rng() % 8];
    std::string note = random ? random_text(40) : std::string(kWords[rng() % 8]) + " order";
    // Drawn last field first, as GCC evaluated the single expression this
    // replaces: the same rows as the measurements so far.
    const auto cents = 10 + rng() % 90;
    const auto amount = rng() % 100000;
    const auto minute = 10 + rng() % 50;
    const auto day = 10 + rng() % 20;
    fmt::format_to(std::back_inserter(rows),
                   "{}\t{}\t{}@example.com\t2026-11-{} 12:{}:00\t{}.{}\t{}\n", id, name, name, day,
                   minute, amount, cents, note);
  }
  rows.resize(kChunkBytes);
  return rows;
}

// One codec's compress() of a chunk, timed; range(0) is the level.
template <class Codec>
void BM_Compress(benchmark::State& state) {
  const auto level = static_cast<int>(state.range(0));
  const std::string rows = make_rows(static_cast<int>(state.range(1)));
  Codec compressor(level);
  std::vector<std::byte> out;
  for ([[maybe_unused]] auto _ : state) {
    benchmark::DoNotOptimize(compressor.compress(rows, out));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * rows.size()));
  state.counters["ratio"] = static_cast<double>(rows.size()) / static_cast<double>(out.size());
}

BENCHMARK(BM_Compress<GzipCompressor>)
    ->Name("BM_GzipCompress")
    ->ArgNames({"level", "random%"})
    ->ArgsProduct({{1, 6, 7, 12}, {0, 50, 100}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Compress<ZstdCompressor>)
    ->Name("BM_ZstdCompress")
    ->ArgNames({"level", "random%"})
    ->ArgsProduct({{1, 3, 9, 19}, {0, 50, 100}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dbsnap
