#include "tools/daemon/model.h"

#include <array>
#include <utility>

namespace dbsnap::daemon {
namespace {

constexpr std::array<std::pair<RunStatus, std::string_view>, 5> kStatuses{{
    {RunStatus::pending, "pending"},
    {RunStatus::running, "running"},
    {RunStatus::completed, "completed"},
    {RunStatus::failed, "failed"},
    {RunStatus::interrupted, "interrupted"},
}};
constexpr std::array<std::pair<RunTrigger, std::string_view>, 4> kTriggers{{
    {RunTrigger::schedule, "schedule"},
    {RunTrigger::catch_up, "catch_up"},
    {RunTrigger::api, "api"},
    {RunTrigger::once, "once"},
}};

template <typename T, std::size_t N>
std::string_view name_of(const std::array<std::pair<T, std::string_view>, N>& names, T value) {
  for (const auto& [v, n] : names)
    if (v == value) return n;
  return "";
}

template <typename T, std::size_t N>
std::optional<T> value_of(const std::array<std::pair<T, std::string_view>, N>& names,
                          std::string_view name) {
  for (const auto& [v, n] : names)
    if (n == name) return v;
  return std::nullopt;
}

}  // namespace

std::string_view status_name(RunStatus s) { return name_of(kStatuses, s); }
std::optional<RunStatus> parse_status(std::string_view name) { return value_of(kStatuses, name); }
std::string_view trigger_name(RunTrigger t) { return name_of(kTriggers, t); }
std::optional<RunTrigger> parse_trigger(std::string_view name) { return value_of(kTriggers, name); }

}  // namespace dbsnap::daemon
