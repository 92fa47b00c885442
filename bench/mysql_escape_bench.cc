// The MySQL row path without a server: value escaping (append_quoted,
// append_hex) and whole rows formatted into extended INSERTs by InsertWriter,
// on synthetic rows. bytes_per_second counts the SQL text produced.
//
//   BM_Quoted/0     strings without specials (sysbench's c/pad columns)
//   BM_Quoted/1     strings with a special every ~16 bytes (quotes, newlines)
//   BM_Hex          a 4 KiB BLOB as 0x hex
//   BM_SysbenchRows rows like sysbench's sbtest (int, int, char(120), char(60))
//   BM_MixedRows    int, bigint, decimal, NULL, escaped text, blob
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dialect.h"
#include "protocols/mysql/rows.h"
#include "protocols/mysql/sql_text.h"

namespace dbsnap::mysql {
namespace {

// Rows held as text, as the text protocol delivers them; nullopt is NULL.
struct SyntheticRows {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<bool>> nulls;
  std::size_t current = 0;
  bool is_null(unsigned i) const { return nulls[current][i]; }
  std::string_view get(unsigned i) const { return rows[current][i]; }
};

// Counts bytes; drops the chunk (compression is measured by gzip_bench).
class NullSink final : public ChunkSink {
 public:
  void emit(Section, std::string_view, std::string_view sql, std::uint64_t,
            std::uint64_t) override {
    bytes += sql.size();
  }
  std::size_t chunk_bytes() const override { return 4 << 20; }
  std::uint64_t bytes = 0;
};

std::string random_text(std::mt19937_64& rng, std::size_t n, bool specials) {
  static constexpr char kSpecials[] = {'\'', '"', '\\', '\n', '\r', '\0', '\032'};
  std::string s(n, ' ');
  for (auto& c : s) {
    c = static_cast<char>('0' + rng() % 10);
    if (specials && rng() % 16 == 0) c = kSpecials[rng() % sizeof kSpecials];
  }
  return s;
}

MyTable table() {
  MyTable t;
  t.name = "sbtest1";
  t.quoted = "`sbtest1`";
  t.insert = "INSERT INTO `sbtest1` VALUES ";
  return t;
}

void BM_Quoted(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::vector<std::string> values(1024);
  for (auto& v : values) v = random_text(rng, 120, state.range(0) != 0);
  std::string out;
  std::uint64_t bytes = 0;
  for ([[maybe_unused]] auto _ : state) {
    out.clear();
    for (const auto& v : values) append_quoted(out, v);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_Quoted)->Arg(0)->Arg(1);

void BM_Hex(benchmark::State& state) {
  std::mt19937_64 rng(2);
  std::string blob(4096, '\0');
  for (auto& c : blob) c = static_cast<char>(rng());
  std::string out;
  std::uint64_t bytes = 0;
  for ([[maybe_unused]] auto _ : state) {
    out.clear();
    append_hex(out, blob);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_Hex);

void run_rows(benchmark::State& state, SyntheticRows& rows, const std::vector<Literal>& kinds) {
  MyTable t = table();
  NullSink sink;
  for ([[maybe_unused]] auto _ : state) {
    InsertWriter writer(t, 1 << 20, sink);
    for (rows.current = 0; rows.current < rows.rows.size(); ++rows.current) writer.add(rows, kinds);
    writer.finish();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(sink.bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows.rows.size()));
}

void BM_SysbenchRows(benchmark::State& state) {
  std::mt19937_64 rng(3);
  SyntheticRows rows;
  for (int i = 0; i < 20000; ++i) {
    rows.rows.push_back({std::to_string(i + 1), std::to_string(rng() % 1000000),
                         random_text(rng, 119, false), random_text(rng, 59, false)});
    rows.nulls.push_back({false, false, false, false});
  }
  run_rows(state, rows, {Literal::number, Literal::number, Literal::string, Literal::string});
}
BENCHMARK(BM_SysbenchRows);

void BM_MixedRows(benchmark::State& state) {
  std::mt19937_64 rng(4);
  SyntheticRows rows;
  for (int i = 0; i < 20000; ++i) {
    std::string blob(64, '\0');
    for (auto& c : blob) c = static_cast<char>(rng());
    rows.rows.push_back({std::to_string(i), std::to_string(rng()), "12345.67", "",
                         random_text(rng, 80, true), blob});
    rows.nulls.push_back({false, false, false, true, false, false});
  }
  run_rows(state, rows,
           {Literal::number, Literal::number, Literal::number, Literal::string, Literal::string,
            Literal::hex});
}
BENCHMARK(BM_MixedRows);

}  // namespace
}  // namespace dbsnap::mysql
