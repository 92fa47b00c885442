// The two human- and machine-facing renderings of a StatusView (model.h):
// the status page and the Prometheus metrics. Pure functions.
#pragma once

#include <string>

#include "tools/daemon/model.h"

namespace dbsnap::daemon {

// The status page: one self-contained HTML5 document (inline stylesheet, no
// script, readable without JavaScript): the jobs (server, schedule, next
// run, last run and its status, a failure's reason), recent runs, recent
// snapshots with their verify result. Every text from the view is
// HTML-escaped (& < > " '). Times shown as RFC 3339 UTC.
std::string render_status_page(const StatusView& view);

// GET /metrics: the Prometheus text exposition format 0.0.4 (Prometheus docs,
// "Exposition formats": # HELP / # TYPE lines, label values escaped as
// \\, \", \n). Families:
//   dbsnap_job_runs_total{job}                          counter
//   dbsnap_job_failures_total{job}                      counter
//   dbsnap_job_running{job}                             gauge 0/1
//   dbsnap_job_next_run_timestamp_seconds{job}          gauge (jobs with a schedule)
//   dbsnap_last_success_timestamp_seconds{job,database} gauge (0 when never)
//   dbsnap_last_run_duration_seconds{job,database}      gauge
//   dbsnap_last_run_bytes{job,database}                 gauge
//   dbsnap_last_run_rows{job,database}                  gauge
//   dbsnap_last_run_success{job,database}               gauge 0/1
//   dbsnap_last_verify_success{job,database}            gauge 0/1 (databases ever verified)
//   dbsnap_build_info{version}                          gauge 1
std::string render_metrics(const StatusView& view);

}  // namespace dbsnap::daemon
