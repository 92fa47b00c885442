// The status page and /metrics rendered from one StatusView: the metrics pass
// the real `promtool check metrics` (parser and lint) and carry the view's
// values; the page escapes every text and, loaded in headless Chromium, shows
// the jobs and a failure's reason.
#include "tools/daemon/render.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/common.h"

namespace dbsnap::daemon {
namespace {

constexpr std::int64_t kNow = 1'796'000'000;  // 2026-11-30T00:53:20Z

RunRecord failed_run() {
  return {.id = 7,
          .job = "nightly",
          .server = "prod",
          .trigger = RunTrigger::schedule,
          .status = RunStatus::failed,
          .queued_at = kNow - 120,
          .started_at = kNow - 119,
          .finished_at = kNow - 60,
          .error = "1 of 2 databases failed: billing: connection lost",
          .databases = {{.database = "app",
                         .completed = true,
                         .error = "",
                         .bytes = 4096,
                         .rows = 500,
                         .duration_ms = 1500,
                         .snapshot = "prod/app/x",
                         .verified = true},
                        {.database = "billing",
                         .completed = false,
                         .error = "connection lost",
                         .bytes = 0,
                         .rows = 0,
                         .duration_ms = 250,
                         .snapshot = "",
                         .verified = std::nullopt}}};
}

StatusView sample_view() {
  StatusView v;
  v.now = kNow;
  v.version = "0.1.0";
  v.jobs = {{.name = "hourly",
             .server = "prod",
             .schedule = "0 * * * * (UTC)",
             .next_run = kNow + 3600,
             .last_run = std::nullopt,
             .running = true},
            {.name = "nightly",
             .server = "prod",
             .schedule = "",
             .next_run = 0,
             .last_run = failed_run(),
             .running = false}};
  v.recent_runs = {failed_run()};
  v.snapshots = {{.job = "nightly",
                  .name = "prod/app/20261130T005220Z",
                  .database = "app",
                  .status = "completed",
                  .started_at = kNow - 119,
                  .bytes = 4096,
                  .rows = 500,
                  .tables = 3,
                  .verified = true,
                  .verified_at = kNow - 61,
                  .verify_error = ""}};
  v.databases = {{.job = "nightly",
                  .database = "app",
                  .last_success_at = kNow - 60,
                  .last_duration_ms = 1500,
                  .last_bytes = 4096,
                  .last_rows = 500,
                  .last_ok = true,
                  .last_verified = true},
                 {.job = "nightly",
                  .database = "billing",
                  .last_duration_ms = 250,
                  .last_verified = std::nullopt}};
  v.counters = {{"nightly", {.runs = 5, .failures = 2}}};
  return v;
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// `promtool check metrics` of text: parse errors and lint problems fail it.
test::CommandResult promtool(const std::string& text) {
  test::ScratchDir dir;
  write(dir.path() / "metrics.txt", text);
  return test::run_shell("promtool check metrics < " +
                         test::shell_quote((dir.path() / "metrics.txt").string()));
}

// The value of the sample whose name and labels are exactly series, if any.
std::optional<std::string> sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
  return std::nullopt;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(RenderMetrics, PassesPromtoolCheckMetrics) {
  std::string text = render_metrics(sample_view());
  test::CommandResult r = promtool(text);
  EXPECT_EQ(r.exit_code, 0) << r.describe() << "\n" << text;
  EXPECT_EQ(r.out + r.err, "") << text;
}

TEST(RenderMetrics, SamplesCarryTheViewsValues) {
  std::string text = render_metrics(sample_view());
  using S = std::optional<std::string>;
  EXPECT_EQ(sample(text, R"(dbsnap_job_runs_total{job="nightly"})"), S("5"));
  EXPECT_EQ(sample(text, R"(dbsnap_job_failures_total{job="nightly"})"), S("2"));
  EXPECT_EQ(sample(text, R"(dbsnap_job_runs_total{job="hourly"})"), S("0"));
  EXPECT_EQ(sample(text, R"(dbsnap_job_running{job="hourly"})"), S("1"));
  EXPECT_EQ(sample(text, R"(dbsnap_job_running{job="nightly"})"), S("0"));
  EXPECT_EQ(sample(text, R"(dbsnap_job_next_run_timestamp_seconds{job="hourly"})"),
            S(std::to_string(kNow + 3600)));
  EXPECT_EQ(sample(text, R"(dbsnap_job_next_run_timestamp_seconds{job="nightly"})"), std::nullopt);
  const std::string app = R"({job="nightly",database="app"})";
  const std::string billing = R"({job="nightly",database="billing"})";
  EXPECT_EQ(sample(text, "dbsnap_last_success_timestamp_seconds" + app),
            S(std::to_string(kNow - 60)));
  EXPECT_EQ(sample(text, "dbsnap_last_success_timestamp_seconds" + billing), S("0"));
  EXPECT_EQ(sample(text, "dbsnap_last_run_duration_seconds" + app), S("1.5"));
  EXPECT_EQ(sample(text, "dbsnap_last_run_duration_seconds" + billing), S("0.25"));
  EXPECT_EQ(sample(text, "dbsnap_last_run_bytes" + app), S("4096"));
  EXPECT_EQ(sample(text, "dbsnap_last_run_rows" + app), S("500"));
  EXPECT_EQ(sample(text, "dbsnap_last_run_success" + app), S("1"));
  EXPECT_EQ(sample(text, "dbsnap_last_run_success" + billing), S("0"));
  EXPECT_EQ(sample(text, "dbsnap_last_verify_success" + app), S("1"));
  EXPECT_EQ(sample(text, "dbsnap_last_verify_success" + billing), std::nullopt);
  EXPECT_EQ(sample(text, R"(dbsnap_build_info{version="0.1.0"})"), S("1"));
}

TEST(RenderMetrics, EachFamilyHasOneHelpAndOneTypeLine) {
  std::string text = render_metrics(sample_view());
  for (const char* family :
       {"dbsnap_job_runs_total", "dbsnap_job_failures_total", "dbsnap_job_running",
        "dbsnap_job_next_run_timestamp_seconds", "dbsnap_last_success_timestamp_seconds",
        "dbsnap_last_run_duration_seconds", "dbsnap_last_run_bytes", "dbsnap_last_run_rows",
        "dbsnap_last_run_success", "dbsnap_last_verify_success", "dbsnap_build_info"}) {
    EXPECT_EQ(count(text, fmt::format("# HELP {} ", family)), 1u) << family;
    EXPECT_EQ(count(text, fmt::format("# TYPE {} ", family)), 1u) << family;
  }
}

TEST(RenderMetrics, EmptyViewStillPassesPromtool) {
  StatusView empty;
  empty.version = "0.1.0";
  std::string text = render_metrics(empty);
  EXPECT_EQ(count(text, "# TYPE "), 1u) << text;
  test::CommandResult r = promtool(text);
  EXPECT_EQ(r.exit_code, 0) << r.describe() << "\n" << text;
}

TEST(RenderMetrics, LabelValuesEscapeQuoteBackslashAndNewline) {
  StatusView v = sample_view();
  std::string odd = "we\"ird\\job\nname";
  v.jobs[0].name = odd;
  v.databases[0].database = odd;
  std::string text = render_metrics(v);
  const std::string escaped = R"(we\"ird\\job\nname)";
  EXPECT_EQ(sample(text, "dbsnap_job_running{job=\"" + escaped + "\"}"), "1") << text;
  EXPECT_EQ(sample(text, "dbsnap_last_run_bytes{job=\"nightly\",database=\"" + escaped + "\"}"),
            "4096")
      << text;
  test::CommandResult r = promtool(text);
  EXPECT_EQ(r.exit_code, 0) << r.describe() << "\n" << text;
}

// ---- The status page ----

StatusView hostile_view() {
  StatusView v = sample_view();
  v.jobs[1].name = "<script>alert('job')</script>";
  v.jobs[1].last_run->error = "bad <b>\"quoted\"</b> & more";
  v.recent_runs[0].error = "<script>alert(1)</script>";
  return v;
}

TEST(RenderStatusPage, EscapesEveryTextFromTheView) {
  std::string page = render_status_page(hostile_view());
  EXPECT_EQ(page.find("<script"), std::string::npos) << page;
  EXPECT_EQ(page.find("<b>"), std::string::npos) << page;
  EXPECT_NE(page.find("<td>&lt;script&gt;alert(&apos;job&apos;)&lt;/script&gt;</td>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("bad &lt;b&gt;&quot;quoted&quot;&lt;/b&gt; &amp; more"), std::string::npos)
      << page;
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << page;
}

TEST(RenderStatusPage, IsOneDocumentWithoutScriptAndWithRfc3339Times) {
  std::string page = render_status_page(sample_view());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(count(page, "<html"), 1u);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_NE(page.find("<style>"), std::string::npos);
  EXPECT_NE(page.find("2026-11-30T00:52:20Z"), std::string::npos) << page;  // finished_at
  EXPECT_NE(page.find("2026-11-30T01:53:20Z"), std::string::npos) << page;  // next run
}

// A directory for files a person looks at after the run.
std::filesystem::path artefact_dir(const test::ScratchDir& scratch) {
  const char* dir = std::getenv("DBSNAP_TEST_ARTEFACTS");
  if (dir == nullptr || *dir == '\0') return scratch.path();
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs headless Chromium on file with extra arguments, in its own profile
// under scratch, killed after 60 s.
test::CommandResult chromium(const test::ScratchDir& scratch, const std::filesystem::path& file,
                             std::vector<std::string> extra) {
  std::vector<std::string> argv{
      "timeout",        "60",
      "chromium",       "--headless",
      "--disable-gpu",  "--no-sandbox",
      "--no-first-run", "--user-data-dir=" + (scratch.path() / "chromium").string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("file://" + file.string());
  return test::run(argv);
}

// The element <table id="id"> ... </table> of html; "" when absent.
std::string table(const std::string& html, const std::string& id) {
  auto begin = html.find("<table id=\"" + id + "\">");
  if (begin == std::string::npos) return "";
  return html.substr(begin, html.find("</table>", begin) - begin);
}

TEST(RenderStatusPage, ChromiumShowsTheJobsAndTheFailureReason) {
  test::ScratchDir scratch;
  std::filesystem::path page = scratch.path() / "status.html";
  write(page, render_status_page(hostile_view()));
  test::CommandResult r = chromium(scratch, page, {"--dump-dom"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const std::string& dom = r.out;
  EXPECT_EQ(dom.find("<script"), std::string::npos) << dom;

  std::string jobs = table(dom, "jobs");
  ASSERT_NE(jobs, "") << dom;
  EXPECT_NE(
      jobs.find("<td>hourly</td><td>prod</td><td>0 * * * * (UTC)</td>"
                "<td><time datetime=\"2026-11-30T01:53:20Z\">2026-11-30T01:53:20Z</time></td>"),
      std::string::npos)
      << jobs;
  EXPECT_NE(jobs.find("<td>&lt;script&gt;alert('job')&lt;/script&gt;</td>"), std::string::npos)
      << jobs;
  EXPECT_NE(jobs.find("failed #7 at 2026-11-30T00:52:20Z: bad &lt;b&gt;\"quoted\"&lt;/b&gt; "
                      "&amp; more"),
            std::string::npos)
      << jobs;

  std::string runs = table(dom, "runs");
  EXPECT_NE(runs.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << runs;
  EXPECT_NE(runs.find("app: completed, billing: failed"), std::string::npos) << runs;
  EXPECT_NE(table(dom, "snapshots").find("prod/app/20261130T005220Z"), std::string::npos) << dom;
}

TEST(RenderStatusPage, ChromiumTakesAScreenshot) {
  test::ScratchDir scratch;
  std::filesystem::path page = scratch.path() / "status.html";
  write(page, render_status_page(sample_view()));
  std::filesystem::path png = artefact_dir(scratch) / "daemon-status-page.png";
  std::filesystem::remove(png);
  test::CommandResult r =
      chromium(scratch, page, {"--screenshot=" + png.string(), "--window-size=1280,900"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  ASSERT_TRUE(std::filesystem::exists(png)) << png;
  EXPECT_GT(std::filesystem::file_size(png), 0u) << png;
  EXPECT_EQ(test::read_file(png).substr(0, 8), "\x89PNG\r\n\x1a\n") << png;
}

}  // namespace
}  // namespace dbsnap::daemon
