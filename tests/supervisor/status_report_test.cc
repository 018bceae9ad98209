#include "supervisor/status_report.h"

#include <gtest/gtest.h>

using namespace wsup::supervisor;

namespace {
std::vector<WorkerSnapshot> two_workers() {
  WorkerSnapshot a;
  a.id = 0;
  a.pid = 4711;
  a.state = "ready";
  a.uptime_seconds = 125;
  a.requests_served = 42;
  a.in_flight = 2;
  a.restarts = 1;
  a.heartbeat_age_ms = 3200;
  WorkerSnapshot b;
  b.id = 1;
  b.state = "failed";
  return {a, b};
}
}  // namespace

TEST(StatusReport, TableHasOneRowPerWorkerWithEveryColumn) {
  std::string table = render_status_table(two_workers());
  EXPECT_NE(table.find("ID"), std::string::npos);
  EXPECT_NE(table.find("RESTARTS"), std::string::npos);
  EXPECT_NE(table.find("4711"), std::string::npos);
  EXPECT_NE(table.find("2m05s"), std::string::npos);
  EXPECT_NE(table.find("failed"), std::string::npos);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 3);
}

TEST(StatusReport, JsonListsWorkersWithNumbers) {
  std::string json = render_status_json(two_workers());
  EXPECT_NE(json.find("{\"id\":0,\"pid\":4711,\"state\":\"ready\",\"uptime_s\":125.000,"
                      "\"requests_served\":42,\"in_flight\":2"),
            std::string::npos);
  EXPECT_NE(json.find("{\"id\":1,\"pid\":0,\"state\":\"failed\""), std::string::npos);
  EXPECT_NE(json.find("\"heartbeat_age_ms\":3200}"), std::string::npos);
}
