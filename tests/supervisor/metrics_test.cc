#include "supervisor/metrics.h"

#include <gtest/gtest.h>

using namespace wsup::supervisor;
using namespace std::chrono_literals;

TEST(Metrics, RequestsAreCountedByScriptWorkerAndStatus) {
  Metrics m;
  m.record_request("hello", 0, 200, 2ms);
  m.record_request("hello", 0, 200, 3ms);
  m.record_request("api", 1, 502, 1ms);
  m.record_request("", -1, 404, 10us);
  std::string text = m.render({}, 0);
  EXPECT_NE(text.find("wsup_requests_total{script=\"hello\",worker=\"0\",status=\"200\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_requests_total{script=\"api\",worker=\"1\",status=\"502\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_requests_total{script=\"\",worker=\"none\",status=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(m.served_by(0), 2u);
  EXPECT_EQ(m.served_by(1), 0u);  // a 502 is not a served request
}

TEST(Metrics, LatencyHistogramIsCumulative) {
  Metrics m;
  m.record_request("s", 0, 200, 500us);  // <= 0.001
  m.record_request("s", 0, 200, 20ms);   // <= 0.025
  m.record_request("s", 0, 200, 30s);    // only +Inf
  std::string text = m.render({}, 0);
  EXPECT_NE(text.find("wsup_request_duration_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_request_duration_seconds_bucket{le=\"0.025\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_request_duration_seconds_bucket{le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_request_duration_seconds_count 3\n"), std::string::npos);
}

TEST(Metrics, StageTimesAreSummedPerStageInOrder) {
  Metrics m;
  m.record_stages({1us, 2us, 300us, 4us, 5us});
  m.record_stages({1us, 2us, 100us, 4us, 5us});
  m.record_stages({-1us, 0us, 0us, 0us, 0us});  // a clock step back counts as zero, not negative
  std::string text = m.render({}, 0);
  EXPECT_NE(text.find("wsup_request_stage_seconds_total{stage=\"front_in\"} 0.000002\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wsup_request_stage_seconds_total{stage=\"worker\"} 0.0004\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wsup_request_stage_seconds_total{stage=\"write_out\"} 0.00001\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wsup_request_stage_requests_total 3\n"), std::string::npos) << text;
}

TEST(Metrics, WorkerGaugesAreRenderedPerWorker) {
  Metrics m;
  WorkerSnapshot w;
  w.id = 3;
  w.state = "ready";
  w.in_flight = 5;
  w.restarts = 2;
  w.restarts_by_reason = RestartCounts{1, 0, 1, 0, 0, 0};
  w.heap_bytes = 1234;
  w.times = wsup::WorkerTimes{2'000'000'000, 500'000'000, 250'000'000, 9};
  w.egress.subrequests = 41;
  w.egress.errors[0] = 2;  // refused
  w.egress.errors[4] = 1;  // tls
  std::string text = m.render({&w, 1}, 7);
  EXPECT_NE(text.find("wsup_worker_context_seconds_total{worker=\"3\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("wsup_worker_spare_context_seconds_total{worker=\"3\"} 0.5\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_worker_script_seconds_total{worker=\"3\"} 0.25\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_spare_context_hits_total{worker=\"3\"} 9\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_subrequests_total{worker=\"3\"} 41\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_subrequest_errors_total{worker=\"3\",kind=\"refused\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wsup_worker_subrequest_errors_total{worker=\"3\",kind=\"tls\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_overflow_queue_depth 7\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_up{worker=\"3\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_in_flight{worker=\"3\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_heap_bytes{worker=\"3\"} 1234\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE wsup_worker_restarts_total counter\n"), std::string::npos);
}

TEST(Metrics, EveryEgressFigureReachesItsFamily) {
  Metrics m;
  WorkerSnapshot w;
  w.id = 1;
  w.egress.responses = 5;
  w.egress.completed = 4;
  w.egress.aborted = 1;
  w.egress.redirects = 2;
  w.egress.connections_opened = 3;
  w.egress.connections_reused = 97;
  w.egress.sent_body_bytes = 1000;
  w.egress.received_body_bytes = 2000;
  w.egress.passed_through = 8;
  w.egress.errors[5] = 6;                    // timeout
  w.egress.head_latency_buckets[0] = 7;      // <= 1 ms
  w.egress.head_latency_buckets[3] = 2;      // (5, 10] ms
  w.egress.head_latency_buckets.back() = 1;  // above 30 s
  w.egress.head_latency_sum_us = 31'250'000;
  const std::string text = m.render({&w, 1}, 0);
  for (const char* line : {
           "wsup_worker_subrequest_responses_total{worker=\"1\"} 5\n",
           "wsup_worker_subrequest_completed_total{worker=\"1\"} 4\n",
           "wsup_worker_subrequest_aborted_total{worker=\"1\"} 1\n",
           "wsup_worker_subrequest_redirects_total{worker=\"1\"} 2\n",
           "wsup_worker_subrequest_connections_opened_total{worker=\"1\"} 3\n",
           "wsup_worker_subrequest_connections_reused_total{worker=\"1\"} 97\n",
           "wsup_worker_subrequest_sent_bytes_total{worker=\"1\"} 1000\n",
           "wsup_worker_subrequest_received_bytes_total{worker=\"1\"} 2000\n",
           "wsup_worker_subrequest_passthrough_total{worker=\"1\"} 8\n",
           "wsup_worker_subrequest_errors_total{worker=\"1\",kind=\"timeout\"} 6\n",
           "wsup_worker_subrequest_errors_total{worker=\"1\",kind=\"dns\"} 0\n",
           "# TYPE wsup_worker_subrequest_head_seconds histogram\n",
           "wsup_worker_subrequest_head_seconds_bucket{worker=\"1\",le=\"0.001\"} 7\n",
           "wsup_worker_subrequest_head_seconds_bucket{worker=\"1\",le=\"0.005\"} 7\n",
           "wsup_worker_subrequest_head_seconds_bucket{worker=\"1\",le=\"0.01\"} 9\n",
           "wsup_worker_subrequest_head_seconds_bucket{worker=\"1\",le=\"2.5\"} 9\n",
           "wsup_worker_subrequest_head_seconds_bucket{worker=\"1\",le=\"30\"} 9\n",
           "wsup_worker_subrequest_head_seconds_bucket{worker=\"1\",le=\"+Inf\"} 10\n",
           "wsup_worker_subrequest_head_seconds_sum{worker=\"1\"} 31.25\n",
           "wsup_worker_subrequest_head_seconds_count{worker=\"1\"} 10\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;
  }
}

TEST(Metrics, RestartsAreCountedPerReasonWithEveryReasonShown) {
  Metrics m;
  WorkerSnapshot w;
  w.id = 1;
  w.restarts_by_reason = RestartCounts{3, 1, 0, 0, 2, 1};
  std::string text = m.render({&w, 1}, 0);
  EXPECT_NE(text.find("wsup_worker_restarts_total{worker=\"1\",reason=\"crash\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wsup_worker_restarts_total{worker=\"1\",reason=\"reload\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_worker_restarts_total{worker=\"1\",reason=\"restart\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_worker_restarts_total{worker=\"1\",reason=\"recycle\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_worker_restarts_total{worker=\"1\",reason=\"cpu_hard_limit\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_worker_restarts_total{worker=\"1\",reason=\"unresponsive\"} 1\n"),
            std::string::npos);
}

TEST(Metrics, ProcessFiguresKeepEveryDigitForTheSupervisorAndEachWorker) {
  Metrics m;
  WorkerSnapshot w;
  w.id = 3;
  w.process = ProcessStats{.rss_bytes = 123'456'789'012, .cpu_seconds = 123456.79, .open_fds = 17};
  w.log_write_failures = 4;
  SupervisorFigures self{ProcessStats{.rss_bytes = 1'048'576, .cpu_seconds = 0.25, .open_fds = 9},
                         1};
  std::string text = m.render({&w, 1}, 0, self);
  // %.6g would have printed 1.23457e+11 and 123457.
  EXPECT_NE(text.find("wsup_process_resident_memory_bytes{worker=\"3\"} 123456789012\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wsup_process_cpu_seconds_total{worker=\"3\"} 123456.79\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_process_open_fds{worker=\"3\"} 17\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_process_resident_memory_bytes{process=\"supervisor\"} 1048576\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_process_cpu_seconds_total{process=\"supervisor\"} 0.25\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_process_open_fds{process=\"supervisor\"} 9\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_log_write_failures_total{process=\"supervisor\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_log_write_failures_total{worker=\"3\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_build_info{version=\""), std::string::npos);
}

TEST(Metrics, LatencySumAndStageSecondsAreExactDecimals) {
  Metrics m;
  for (int i = 0; i < 3; ++i) m.record_request("s", 0, 200, 123'456'789us);
  std::string text = m.render({}, 0);
  EXPECT_NE(text.find("wsup_request_duration_seconds_sum 370.370367\n"), std::string::npos) << text;
  EXPECT_EQ(exact_decimal(1'234'567'890'123, 9), "1234.567890123");
  EXPECT_EQ(exact_decimal(2'000'000'000, 9), "2");
  EXPECT_EQ(exact_decimal(5, 9), "0.000000005");
  EXPECT_EQ(full_precision(123456.789012), "123456.789012");
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(prometheus_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}
