#include "tools/daemon/render.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <array>
#include <ctime>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "storage/s3/xml.h"

namespace dbsnap::daemon {
namespace {

// ---- The status page ----

constexpr std::string_view kStyle =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin-bottom:1.5em}"
    "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
    "th{background:#eee}time{white-space:nowrap}"
    ".failed,.interrupted{color:#b00020}.completed{color:#1b5e20}"
    ".running,.pending{color:#0d47a1}";

// RFC 3339 UTC, "-" for 0 (not yet).
std::string time_text(std::int64_t t) {
  if (t == 0) return "-";
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(t)));
}

std::string td(std::string_view text, std::string_view css_class = "") {
  if (css_class.empty()) return fmt::format("<td>{}</td>", xml_escape(text));
  return fmt::format("<td class=\"{}\">{}</td>", xml_escape(css_class), xml_escape(text));
}

// A time cell: <time> keeps the RFC 3339 text on one line.
std::string time_td(std::int64_t t) {
  if (t == 0) return td("-");
  return fmt::format("<td><time datetime=\"{0}\">{0}</time></td>", time_text(t));
}

// A titled table; rows are "<tr>...</tr>" already escaped; none shows `empty`.
std::string table(std::string_view id, std::string_view title,
                  std::initializer_list<std::string_view> headings, const std::string& rows,
                  std::string_view empty) {
  std::string head;
  for (std::string_view h : headings) head += fmt::format("<th>{}</th>", h);
  std::string body = rows.empty() ? fmt::format("<tr><td colspan=\"{}\">{}</td></tr>",
                                                headings.size(), xml_escape(empty))
                                  : rows;
  return fmt::format(
      "<h2>{}</h2>\n<table id=\"{}\"><thead><tr>{}</tr></thead><tbody>\n{}</tbody></table>\n",
      title, id, head, body);
}

// "failed #12 at 2026-12-04T02:31:02Z: billing: ..." in its status's colour.
std::string last_run_cell(const std::optional<RunRecord>& run) {
  if (!run) return td("never");
  std::string text =
      fmt::format("{} #{} at {}", status_name(run->status), run->id, time_text(run->finished_at));
  if (!run->error.empty()) text += ": " + run->error;
  return td(text, status_name(run->status));
}

std::string job_rows(const std::vector<JobView>& jobs) {
  std::string rows;
  for (const JobView& j : jobs)
    rows += "<tr>" + td(j.name) + td(j.server) + td(j.schedule.empty() ? "by hand" : j.schedule) +
            time_td(j.next_run) + td(j.running ? "running" : "idle", j.running ? "running" : "") +
            last_run_cell(j.last_run) + "</tr>\n";
  return rows;
}

// "app: completed, billing: failed".
std::string databases_text(const std::vector<DatabaseRun>& databases) {
  std::string text;
  for (const DatabaseRun& d : databases)
    text += fmt::format("{}{}: {}", text.empty() ? "" : ", ", d.database,
                        d.completed ? "completed" : "failed");
  return text;
}

std::string run_rows(const std::vector<RunRecord>& runs) {
  std::string rows;
  for (const RunRecord& r : runs)
    rows += "<tr>" + td(fmt::format("{}", r.id)) + td(r.job) + td(trigger_name(r.trigger)) +
            td(status_name(r.status), status_name(r.status)) + time_td(r.queued_at) +
            time_td(r.started_at) + time_td(r.finished_at) + td(databases_text(r.databases)) +
            td(r.error, r.error.empty() ? "" : "failed") + "</tr>\n";
  return rows;
}

std::string verify_cell(const SnapshotView& s) {
  if (!s.verified) return td("never");
  if (*s.verified) return td("ok at " + time_text(s.verified_at), "completed");
  return td(fmt::format("failed at {}: {}", time_text(s.verified_at), s.verify_error), "failed");
}

std::string snapshot_rows(const std::vector<SnapshotView>& snapshots) {
  std::string rows;
  for (const SnapshotView& s : snapshots)
    rows += "<tr>" + td(s.job) + td(s.name) + td(s.status, s.status) + time_td(s.started_at) +
            td(fmt::format("{}", s.bytes)) + td(fmt::format("{}", s.rows)) +
            td(fmt::format("{}", s.tables)) + verify_cell(s) + "</tr>\n";
  return rows;
}

// ---- /metrics ----

// A label value in the exposition format: \ " and newline escaped.
std::string label_escape(std::string_view s) {
  std::string out;
  for (char c : s) switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  return out;
}

struct JobRow {
  const JobView* job;
  JobCounters counters;
};

std::string labels(const JobRow& r) {
  return fmt::format("{{job=\"{}\"}}", label_escape(r.job->name));
}
std::string labels(const DatabaseStats& d) {
  return fmt::format("{{job=\"{}\",database=\"{}\"}}", label_escape(d.job),
                     label_escape(d.database));
}

// A metric family over rows of one kind: value() gives a row's sample, or
// none when the row has none in this family.
template <typename Row>
struct Family {
  std::string_view name, type, help;
  std::optional<std::string> (*value)(const Row&);
};

template <typename T>
std::optional<std::string> number(T v) {
  return fmt::format("{}", v);
}

constexpr std::array<Family<JobRow>, 4> kJobFamilies{{
    {"dbsnap_job_runs_total", "counter", "Finished runs of the job.",
     [](const JobRow& r) { return number(r.counters.runs); }},
    {"dbsnap_job_failures_total", "counter",
     "Finished runs of the job that failed or were interrupted.",
     [](const JobRow& r) { return number(r.counters.failures); }},
    {"dbsnap_job_running", "gauge", "1 while a run of the job is pending or running, else 0.",
     [](const JobRow& r) { return number(r.job->running ? 1 : 0); }},
    {"dbsnap_job_next_run_timestamp_seconds", "gauge",
     "When the job runs next by its schedule (Unix time).",
     [](const JobRow& r) { return r.job->next_run == 0 ? std::nullopt : number(r.job->next_run); }},
}};

constexpr std::array<Family<DatabaseStats>, 6> kDatabaseFamilies{{
    {"dbsnap_last_success_timestamp_seconds", "gauge",
     "When the newest run that backed up the database completed (Unix time; 0 when never).",
     [](const DatabaseStats& d) { return number(d.last_success_at); }},
    {"dbsnap_last_run_duration_seconds", "gauge", "How long the database took in its newest run.",
     [](const DatabaseStats& d) { return number(static_cast<double>(d.last_duration_ms) / 1000); }},
    {"dbsnap_last_run_bytes", "gauge",
     "Stored (compressed) size of the database's newest snapshot.",
     [](const DatabaseStats& d) { return number(d.last_bytes); }},
    {"dbsnap_last_run_rows", "gauge", "Rows backed up in the database's newest run.",
     [](const DatabaseStats& d) { return number(d.last_rows); }},
    {"dbsnap_last_run_success", "gauge", "1 when the database's newest run backed it up, else 0.",
     [](const DatabaseStats& d) { return number(d.last_ok ? 1 : 0); }},
    {"dbsnap_last_verify_success", "gauge",
     "1 when the newest restore check of the database passed, else 0.",
     [](const DatabaseStats& d) {
       return d.last_verified ? number(*d.last_verified ? 1 : 0) : std::nullopt;
     }},
}};

// Each family with at least one sample: its HELP, TYPE and samples.
template <typename Row, std::size_t N>
void write_families(std::string& out, const std::array<Family<Row>, N>& families,
                    const std::vector<Row>& rows) {
  for (const Family<Row>& f : families) {
    std::string samples;
    for (const Row& row : rows)
      if (std::optional<std::string> v = f.value(row))
        samples += fmt::format("{}{} {}\n", f.name, labels(row), *v);
    if (!samples.empty())
      out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{3}", f.name, f.help, f.type, samples);
  }
}

}  // namespace

std::string render_status_page(const StatusView& view) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"refresh\" content=\"30\">\n<title>dbsnap status</title>\n"
      "<style>{}</style>\n</head>\n<body>\n<h1>dbsnap</h1>\n<p>Version {}, as of {}.</p>\n{}{}{}"
      "</body>\n</html>\n",
      kStyle, xml_escape(view.version), time_text(view.now),
      table("jobs", "Jobs", {"Job", "Server", "Schedule", "Next run", "State", "Last run"},
            job_rows(view.jobs), "no jobs"),
      table("runs", "Recent runs",
            {"Run", "Job", "Trigger", "Status", "Queued", "Started", "Finished", "Databases",
             "Error"},
            run_rows(view.recent_runs), "no runs yet"),
      table("snapshots", "Recent snapshots",
            {"Job", "Snapshot", "Status", "Started", "Bytes", "Rows", "Tables", "Verified"},
            snapshot_rows(view.snapshots), "no snapshots"));
}

// The per-job families cover the configured jobs (view.jobs); one without
// finished runs counts 0.
std::string render_metrics(const StatusView& view) {
  std::vector<JobRow> jobs;
  for (const JobView& j : view.jobs) {
    auto c = view.counters.find(j.name);
    jobs.push_back({&j, c == view.counters.end() ? JobCounters{} : c->second});
  }
  std::string out;
  write_families(out, kJobFamilies, jobs);
  write_families(out, kDatabaseFamilies, view.databases);
  out += fmt::format(
      "# HELP dbsnap_build_info The dbsnap version serving these metrics.\n"
      "# TYPE dbsnap_build_info gauge\ndbsnap_build_info{{version=\"{}\"}} 1\n",
      label_escape(view.version));
  return out;
}

}  // namespace dbsnap::daemon
