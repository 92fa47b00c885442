#include "engine/verify_record.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "engine/error.h"

namespace dbsnap {

std::string to_json(const VerifyRecord& r) {
  nlohmann::ordered_json j = {{"format", "dbsnap-verification"},
                              {"verified_at", r.verified_at},
                              {"status", r.ok ? "ok" : "failed"},
                              {"error", r.error},
                              {"into", r.into},
                              {"tables", r.tables},
                              {"rows", r.rows},
                              {"checksums", r.checksums}};
  return j.dump(1) + "\n";
}

VerifyRecord parse_verify_record(std::string_view json) {
  try {
    auto j = nlohmann::json::parse(json);
    if (j.at("format") != "dbsnap-verification")
      throw Error(ExitCode::verify_failed, "verification record has another format");
    return {j.at("verified_at").get<std::string>(), j.at("status") == "ok",
            j.at("error").get<std::string>(),       j.at("into").get<std::string>(),
            j.at("tables").get<std::size_t>(),      j.at("rows").get<std::uint64_t>(),
            j.value("checksums", std::size_t{0})};
  } catch (const nlohmann::json::exception& e) {
    throw Error(ExitCode::verify_failed,
                fmt::format("verification record is malformed: {}", e.what()));
  }
}

CalendarDuration parse_verify_cadence(std::string_view text) {
  if (text == "always") return {};
  if (text == "daily") return {.days = 1};
  if (text == "weekly") return {.days = 7};
  if (text == "monthly") return {.months = 1};
  int days = 0;
  const char* end = text.data() + text.size() - 1;
  if (text.size() >= 2 && text.back() == 'd' &&
      std::from_chars(text.data(), end, days).ptr == end && days >= 1)
    return {.days = days};
  throw Error(ExitCode::usage,
              fmt::format("verify \"{}\" is not \"always\", \"daily\", \"weekly\", "
                          "\"monthly\" or \"<N>d\" (every N days)",
                          text));
}

bool verify_due(std::span<const std::int64_t> verified_ok, const CalendarDuration& every,
                std::int64_t now) {
  if (every.zero()) return true;
  const std::int64_t after = calendar_minus(now, every);
  return std::none_of(verified_ok.begin(), verified_ok.end(),
                      [after](std::int64_t t) { return t > after; });
}

}  // namespace dbsnap
