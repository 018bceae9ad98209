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
  EXPECT_NE(text.find("wsup_request_stage_seconds_total{stage=\"front_in\"} 2e-06\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wsup_request_stage_seconds_total{stage=\"worker\"} 0.0004\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wsup_request_stage_seconds_total{stage=\"write_out\"} 1e-05\n"),
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
  w.heap_bytes = 1234;
  w.cpu_seconds = 1.5;
  w.times = wsup::WorkerTimes{2'000'000'000, 500'000'000, 250'000'000, 9};
  w.egress = wsup::WorkerEgress{41, 3};
  std::string text = m.render({&w, 1}, 7);
  EXPECT_NE(text.find("wsup_worker_context_seconds_total{worker=\"3\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("wsup_worker_spare_context_seconds_total{worker=\"3\"} 0.5\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsup_worker_script_seconds_total{worker=\"3\"} 0.25\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_spare_context_hits_total{worker=\"3\"} 9\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_subrequests_total{worker=\"3\"} 41\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_subrequest_errors_total{worker=\"3\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_overflow_queue_depth 7\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_up{worker=\"3\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_in_flight{worker=\"3\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_restarts_total{worker=\"3\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_heap_bytes{worker=\"3\"} 1234\n"), std::string::npos);
  EXPECT_NE(text.find("wsup_worker_cpu_seconds_total{worker=\"3\"} 1.5\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE wsup_worker_restarts_total counter\n"), std::string::npos);
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(prometheus_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}
