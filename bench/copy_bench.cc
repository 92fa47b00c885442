// The PostgreSQL COPY passthrough without a server: rows appended into a
// reused chunk buffer and cut into data chunks by pg::CopyChunker, as
// dump_copy does with the rows PQgetCopyData returns. The sink only counts.
//
// Argument: the row size in bytes (sysbench-style sbtest rows are ~196 bytes,
// pgbench_accounts rows ~100). Variants:
//   BM_CopyChunker           rows from one pre-built block (our cost alone)
//   BM_CopyChunker_LibpqLike plus one malloc + memcpy + free per row, which is
//                            what libpq's PQgetCopyData costs on top of ours
//   BM_CopyChunker_Callback  rows passed through a std::function per row, as the
//                            former PgConnection::copy_out did
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dialect.h"
#include "protocols/postgres/copy.h"

namespace dbsnap::pg {
namespace {

constexpr std::size_t kChunkBytes = 4 << 20;  // kDefaultChunkBytes
constexpr std::size_t kBlockBytes = 32 << 20;

// Counts what it is given, compresses nothing.
class CountingSink final : public ChunkSink {
 public:
  void emit(Section, std::string_view, std::string_view sql, std::uint64_t rows,
            std::uint64_t) override {
    bytes += sql.size();
    this->rows += rows;
    ++chunks;
  }
  std::size_t chunk_bytes() const override { return kChunkBytes; }
  std::uint64_t bytes = 0, rows = 0, chunks = 0;
};

// Rows of row_bytes each (with their '\n'): "id\tk\tdigits-...\n".
struct Rows {
  std::string text;
  std::vector<std::string_view> rows;
};

const Rows& make_rows(std::size_t row_bytes) {
  static std::map<std::size_t, Rows> cache;
  Rows& r = cache[row_bytes];
  if (!r.rows.empty()) return r;
  std::mt19937_64 rng(42);
  r.text.reserve(kBlockBytes + row_bytes);
  std::vector<std::size_t> ends;
  for (std::uint64_t id = 1; r.text.size() < kBlockBytes; ++id) {
    std::size_t start = r.text.size();
    r.text += std::to_string(id) + '\t' + std::to_string(rng() % 1000000) + '\t';
    while (r.text.size() - start + 1 < row_bytes) r.text += static_cast<char>('0' + rng() % 10);
    r.text += '\n';
    ends.push_back(r.text.size());
  }
  std::size_t start = 0;
  for (std::size_t end : ends) {
    r.rows.emplace_back(r.text.data() + start, end - start);
    start = end;
  }
  return r;
}

PgTable sbtest() {
  PgTable t;
  t.schema = "public";
  t.name = "sbtest1";
  t.owner = "postgres";
  t.qualified = "public.sbtest1";
  t.columns = "(id, k, c, pad)";
  return t;
}

void report(benchmark::State& state, const CountingSink& sink, const Rows& rows) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * rows.text.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows.rows.size()));
  state.counters["chunks"] = static_cast<double>(sink.chunks) / state.iterations();
}

// Feeds the rows of state.range(0) bytes to a fresh CopyChunker of sbtest1
// each iteration, with feed(chunker, rows).
template <class Feed>
void run_chunker(benchmark::State& state, Feed feed) {
  const Rows& rows = make_rows(static_cast<std::size_t>(state.range(0)));
  const PgTable table = sbtest();
  std::string buffer;
  CountingSink sink;
  for ([[maybe_unused]] auto _ : state) {
    CopyChunker chunker(copy_block_header(table, false), table.qualified, buffer, sink);
    feed(chunker, rows.rows);
    benchmark::DoNotOptimize(chunker.finish());
  }
  report(state, sink, rows);
}

void BM_CopyChunker(benchmark::State& state) {
  run_chunker(state, [](CopyChunker& chunker, const auto& rows) {
    for (std::string_view row : rows) chunker.add(row);
  });
}
BENCHMARK(BM_CopyChunker)->Arg(100)->Arg(196)->Arg(1000);

void BM_CopyChunker_LibpqLike(benchmark::State& state) {
  run_chunker(state, [](CopyChunker& chunker, const auto& rows) {
    for (std::string_view row : rows) {
      char* copy = static_cast<char*>(std::malloc(row.size() + 1));  // PQgetCopyData
      std::memcpy(copy, row.data(), row.size());
      benchmark::DoNotOptimize(copy);
      chunker.add({copy, row.size()});
      std::free(copy);  // PQfreemem
    }
  });
}
BENCHMARK(BM_CopyChunker_LibpqLike)->Arg(100)->Arg(196)->Arg(1000);

void BM_CopyChunker_Callback(benchmark::State& state) {
  run_chunker(state, [](CopyChunker& chunker, const auto& rows) {
    std::function<void(std::string_view)> on_row = [&](std::string_view row) { chunker.add(row); };
    benchmark::DoNotOptimize(on_row);
    for (std::string_view row : rows) on_row(row);
  });
}
BENCHMARK(BM_CopyChunker_Callback)->Arg(196);

}  // namespace
}  // namespace dbsnap::pg
