#include "tests/support/mysql_dump.h"

#include "protocols/mysql/driver.h"

namespace dbsnap::test {

std::vector<TextChunk> dump_mysql_database(const std::string& url, const DumpOptions& options,
                                           int jobs, std::size_t chunk_bytes) {
  CollectingSink sink(chunk_bytes);
  auto driver = mysql::make_mysql_driver();
  auto dump = driver->open_dump(ServerUrl::parse(url), options);
  auto items = dump->plan(chunk_bytes);
  auto sessions = dump->share(static_cast<std::size_t>(jobs));
  dump->pre_data(sink);
  for (std::size_t i = 0; i < items.size(); ++i)
    sessions[i % sessions.size()]->dump(items[i], sink);
  dump->post_data(sink);
  return std::move(sink.chunks);
}

std::string script_of(const std::vector<TextChunk>& chunks) {
  std::string out;
  for (const auto& c : chunks) out += c.sql;
  return out;
}

}  // namespace dbsnap::test
