#include "engine/manifest.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <limits>
#include <nlohmann/json.hpp>

#include "engine/error.h"

namespace dbsnap {

std::string_view section_name(Section s) {
  switch (s) {
    case Section::pre_data:
      return "pre-data";
    case Section::data:
      return "data";
    case Section::post_data:
      return "post-data";
  }
  return "data";
}

std::string_view status_name(SnapshotStatus s) {
  switch (s) {
    case SnapshotStatus::running:
      return "running";
    case SnapshotStatus::completed:
      return "completed";
    case SnapshotStatus::failed:
      return "failed";
    case SnapshotStatus::interrupted:
      return "interrupted";
    case SnapshotStatus::data_missing:
      return "data-missing";
  }
  return "running";
}

namespace {

SnapshotStatus parse_status(const std::string& s) {
  for (auto v : {SnapshotStatus::running, SnapshotStatus::completed, SnapshotStatus::failed})
    if (status_name(v) == s) return v;
  throw Error(ExitCode::verify_failed, fmt::format("manifest has unknown status '{}'", s));
}

ServerKind parse_server_kind(const std::string& s) {
  if (auto k = parse_kind(s)) return *k;
  throw Error(ExitCode::verify_failed, fmt::format("manifest has unknown server kind '{}'", s));
}

Section parse_section(const std::string& s) {
  if (s == "pre-data") return Section::pre_data;
  if (s == "data") return Section::data;
  if (s == "post-data") return Section::post_data;
  throw Error(ExitCode::verify_failed, fmt::format("manifest has unknown chunk section '{}'", s));
}

Codec parse_codec(const std::string& s) {
  for (auto c : {Codec::gzip, Codec::zstd})
    if (codec_name(c) == s) return c;
  throw Error(ExitCode::verify_failed,
              fmt::format("manifest codec '{}' is not gzip or zstd; use a newer dbsnap", s));
}

// A non-negative integer field up to max. nlohmann's get<> casts a float or a
// negative number without a check (1e300 to an integer is undefined behaviour).
std::uint64_t uint_field(const nlohmann::json& v, std::string_view name,
                         std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) {
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() > max)
    throw Error(ExitCode::verify_failed,
                fmt::format("manifest field \"{}\" is not an integer in 0..{}", name, max));
  return v.get<std::uint64_t>();
}

std::uint64_t optional_uint_field(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? 0 : uint_field(*it, name);
}

// A checksum: 16 hex digits.
std::uint64_t hex_field(const std::string& text, std::string_view name) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
  if (text.size() != 16 || ec != std::errc() || end != text.data() + text.size())
    throw Error(ExitCode::verify_failed,
                fmt::format("manifest field \"{}\" holds a value that is not 16 hex digits", name));
  return v;
}

}  // namespace

std::string to_json(const Manifest& m) {
  nlohmann::ordered_json j;
  j["format"] = "dbsnap-manifest";
  bool chained = std::any_of(m.chunks.begin(), m.chunks.end(),
                             [](const ChunkEntry& c) { return c.after.has_value(); });
  j["format_version"] = chained ? Manifest::kFormatVersion : 1;
  j["tool_version"] = DBSNAP_VERSION;
  j["status"] = status_name(m.status);
  if (!m.failure.empty()) j["failure"] = m.failure;
  if (!m.job.empty()) j["job"] = m.job;
  j["server"] = {{"kind", kind_name(m.server_kind)},
                 {"version", m.server_version},
                 {"name", m.server_name},
                 {"url", m.server_url}};
  j["database"] = m.database;
  j["data_object"] = m.data_object;
  j["codec"] = codec_name(m.codec);
  j["position"] = m.position;
  j["started_at"] = m.started_at;
  j["finished_at"] = m.finished_at;
  if (!m.host.empty()) j["host"] = m.host;
  if (m.pid != 0) j["pid"] = m.pid;
  if (!m.heartbeat_at.empty()) j["heartbeat_at"] = m.heartbeat_at;
  j["options"] = m.options;
  auto& chunks = j["chunks"] = nlohmann::ordered_json::array();
  for (const auto& c : m.chunks) {
    chunks.push_back({{"section", section_name(c.section)},
                      {"table", c.table},
                      {"offset", c.offset},
                      {"length", c.length},
                      {"raw_bytes", c.raw_bytes},
                      {"rows", c.rows},
                      {"crc32", c.crc32}});
    if (c.after) chunks.back()["after"] = *c.after;
  }
  j["tables"] = m.tables;
  auto& checksums = j["checksums"] = nlohmann::ordered_json::object();
  for (const auto& [table, sum] : m.checksums) checksums[table] = fmt::format("{:016x}", sum);
  j["size"] = m.size;
  j["sha256"] = m.sha256;
  if (m.encryption.encrypted())
    j["encryption"] = {{"format", m.encryption.format},
                       {"header_length", m.encryption.header_length},
                       {"chunk_size", m.encryption.chunk_size}};
  return j.dump(1) + "\n";
}

namespace {

// A chunk's "after": the index of an earlier data chunk of the same table.
std::size_t chain_field(const nlohmann::json& v, const ChunkEntry& e,
                        const std::vector<ChunkEntry>& earlier) {
  std::uint64_t after = uint_field(v, "after");
  if (after >= earlier.size() || e.section != Section::data ||
      earlier[after].section != Section::data || earlier[after].table != e.table)
    throw Error(ExitCode::verify_failed,
                fmt::format("manifest chunk {} continues chunk {}, which is not an earlier data "
                            "chunk of table '{}'",
                            earlier.size(), after, e.table));
  return after;
}

}  // namespace

Manifest parse_manifest(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    throw Error(ExitCode::verify_failed, "manifest is not valid json");
  try {
    if (j.value("format", "") != "dbsnap-manifest")
      throw Error(ExitCode::verify_failed, "manifest lacks \"format\": \"dbsnap-manifest\"");
    auto fv = j.find("format_version");
    int version =
        fv == j.end()
            ? 0
            : static_cast<int>(uint_field(*fv, "format_version", std::numeric_limits<int>::max()));
    if (version < 1 || version > Manifest::kFormatVersion)
      throw Error(ExitCode::verify_failed,
                  fmt::format("manifest format_version {} is not supported (this dbsnap reads "
                              "{}); use a newer dbsnap",
                              version, Manifest::kFormatVersion));
    Manifest m;
    m.status = parse_status(j.at("status").get<std::string>());
    m.failure = j.value("failure", "");
    m.job = j.value("job", "");
    const auto& s = j.at("server");
    m.server_kind = parse_server_kind(s.at("kind").get<std::string>());
    m.server_version = s.value("version", "");
    m.server_name = s.value("name", "");
    m.server_url = s.value("url", "");
    m.database = j.at("database").get<std::string>();
    m.data_object = j.at("data_object").get<std::string>();
    m.codec = parse_codec(j.value("codec", "gzip"));
    m.position = j.value("position", std::map<std::string, std::string>{});
    m.started_at = j.value("started_at", "");
    m.finished_at = j.value("finished_at", "");
    m.host = j.value("host", "");
    m.pid = j.value("pid", std::uint64_t{0});
    m.heartbeat_at = j.value("heartbeat_at", "");
    m.options = j.value("options", std::map<std::string, std::string>{});
    for (const auto& c : j.at("chunks")) {
      ChunkEntry e;
      e.section = parse_section(c.at("section").get<std::string>());
      e.table = c.value("table", "");
      e.offset = uint_field(c.at("offset"), "offset");
      e.length = uint_field(c.at("length"), "length");
      e.raw_bytes = uint_field(c.at("raw_bytes"), "raw_bytes");
      e.rows = optional_uint_field(c, "rows");
      e.crc32 = static_cast<std::uint32_t>(
          uint_field(c.at("crc32"), "crc32", std::numeric_limits<std::uint32_t>::max()));
      if (auto a = c.find("after"); a != c.end()) e.after = chain_field(*a, e, m.chunks);
      m.chunks.push_back(std::move(e));
    }
    if (auto t = j.find("tables"); t != j.end()) {
      for (const auto& [table, rows] : t->get<std::map<std::string, nlohmann::json>>())
        m.tables[table] = uint_field(rows, "tables");
    }
    if (auto t = j.find("checksums"); t != j.end()) {
      for (const auto& [table, hex] : t->get<std::map<std::string, std::string>>())
        m.checksums[table] = hex_field(hex, "checksums");
    }
    m.size = optional_uint_field(j, "size");
    m.sha256 = j.value("sha256", "");
    if (auto e = j.find("encryption"); e != j.end()) {
      m.encryption.format = e->at("format").get<std::string>();
      if (m.encryption.format != kAgeFormat)
        throw Error(ExitCode::verify_failed,
                    fmt::format("manifest encryption format '{}' is not supported (this dbsnap "
                                "reads {})",
                                m.encryption.format, kAgeFormat));
      m.encryption.header_length = uint_field(e->at("header_length"), "header_length");
      m.encryption.chunk_size = uint_field(e->at("chunk_size"), "chunk_size");
      if (m.encryption.chunk_size == 0)
        throw Error(ExitCode::verify_failed, "manifest encryption chunk_size is 0");
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ExitCode::verify_failed, fmt::format("manifest is malformed: {}", e.what()));
  }
}

std::string this_host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

std::int64_t parse_utc_iso(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS then optional fraction, then Z
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' ||
      t.back() != 'Z')
    return -1;
  auto num = [&](std::size_t at, std::size_t len, int& out) {
    auto [p, ec] = std::from_chars(t.data() + at, t.data() + at + len, out);
    return ec == std::errc() && p == t.data() + at + len;
  };
  int y, mo, d, h, mi, s;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) ||
      !num(17, 2, s) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    return -1;
  // days_from_civil (Howard Hinnant), proleptic Gregorian calendar
  y -= mo <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy =
      (153 * static_cast<unsigned>(mo + (mo > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = era * 146097 + static_cast<std::int64_t>(doe) - 719468;
  return ((days * 24 + h) * 60 + mi) * 60 + s;
}

bool process_alive(std::uint64_t pid) {
  if (pid == 0 || pid > INT_MAX) return true;
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

SnapshotStatus effective_status(const Manifest& m, std::string_view this_host,
                                std::int64_t now_unix) {
  if (m.status != SnapshotStatus::running) return m.status;
  if (!m.host.empty() && m.host == this_host && m.pid != 0 && !process_alive(m.pid))
    return SnapshotStatus::interrupted;
  std::int64_t last = parse_utc_iso(m.heartbeat_at.empty() ? m.started_at : m.heartbeat_at);
  if (last >= 0 && now_unix - last > kHeartbeatStaleSeconds) return SnapshotStatus::interrupted;
  return m.status;
}

}  // namespace dbsnap
