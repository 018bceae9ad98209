#include "supervisor/status_report.h"

#include <gtest/gtest.h>

#include <chrono>

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

TEST(StatusReport, ScriptsSayWhichIsolationAndSnapshotTheyRunWith) {
  std::vector<ScriptMode> scripts(2);
  scripts[0].name = "api";
  scripts[0].isolate = true;
  scripts[0].warm_up = 2;
  scripts[0].recycle_requests = 1000;
  scripts[0].recycle_heap_mib = 64;
  scripts[1].name = "site";
  scripts[1].snapshot = false;
  std::string table = render_status_table(two_workers(), scripts);
  EXPECT_NE(table.find("SCRIPT"), std::string::npos) << table;
  EXPECT_NE(table.find("api                  isolate   on             2 1000 requests, 64 MiB"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("site                 request   off            0 -"), std::string::npos)
      << table;
  std::string json = render_status_json(two_workers(), scripts);
  EXPECT_NE(json.find("\"scripts\":[{\"name\":\"api\",\"isolation\":\"isolate\",\"snapshot\":true,"
                      "\"warm_up\":2,\"recycle_requests\":1000,\"recycle_heap_mib\":64,"
                      "\"crons\":[]}"),
            std::string::npos)
      << json;
}

TEST(StatusReport, CronsShowOneLinePerScriptWithEachExpressionsNextTickInUtc) {
  std::vector<ScriptMode> scripts(3);
  scripts[0].name = "jobs";
  scripts[0].crons = {{"*/5 * * * *", {}}, {"0 3 * * mon-fri", {}}};
  scripts[1].name = "site";  // no crons: no line
  scripts[2].name = "weekly";
  scripts[2].crons = {{"30 12 * * SAT", {}}};
  // Monday 2026-12-07 21:58:30 UTC.
  set_next_cron_ticks(scripts, std::chrono::sys_days{std::chrono::year{2026} / 12 / 7} +
                                   std::chrono::hours{21} + std::chrono::minutes{58} +
                                   std::chrono::seconds{30});
  const std::string table = render_status_table(two_workers(), scripts);
  EXPECT_NE(table.find("\nSCRIPT               CRONS (UTC)\n"
                       "jobs                 \"*/5 * * * *\" next 2026-12-07T22:00:00Z, "
                       "\"0 3 * * mon-fri\" next 2026-12-08T03:00:00Z\n"
                       "weekly               \"30 12 * * SAT\" next 2026-12-12T12:30:00Z\n"),
            std::string::npos)
      << table;
  EXPECT_EQ(table.find("site                 \""), std::string::npos) << table;
  const std::string json = render_status_json(two_workers(), scripts);
  EXPECT_NE(json.find("\"crons\":[{\"cron\":\"*/5 * * * *\",\"next\":\"2026-12-07T22:00:00Z\"},"
                      "{\"cron\":\"0 3 * * mon-fri\",\"next\":\"2026-12-08T03:00:00Z\"}]"),
            std::string::npos)
      << json;
  // `wsup check` shows the expressions alone: nothing computed, no "next".
  scripts[0].crons[0].next.reset();
  scripts[0].crons[1].next.reset();
  EXPECT_EQ(render_crons(scripts[0]), "\"*/5 * * * *\", \"0 3 * * mon-fri\"");
}

TEST(StatusReport, NoCronsNoCronSection) {
  std::vector<ScriptMode> scripts(1);
  scripts[0].name = "site";
  EXPECT_EQ(render_status_table(two_workers(), scripts).find("CRONS"), std::string::npos);
}

TEST(StatusReport, TheSupervisorLineComesFirstWithPidVersionUptimeAndAddresses) {
  SupervisorInfo info;
  info.pid = 99;
  info.version = "1.2.3";
  info.uptime_seconds = 3725;
  info.listen = {"127.0.0.1:8080", "[::1]:8080"};
  std::string table = render_status_table(two_workers(), {}, info);
  EXPECT_EQ(table.rfind("supervisor pid 99  version 1.2.3  uptime 1h02m  listen "
                        "127.0.0.1:8080,[::1]:8080  admin off\n\nID",
                        0),
            0u)
      << table;
  info.admin = "127.0.0.1:9090";
  std::string json = render_status_json(two_workers(), {}, info);
  EXPECT_EQ(
      json.rfind("{\"supervisor\":{\"pid\":99,\"version\":\"1.2.3\",\"uptime_s\":3725.000,"
                 "\"listen\":[\"127.0.0.1:8080\",\"[::1]:8080\"],\"admin\":\"127.0.0.1:9090\"},"
                 "\"workers\":[{\"id\":0,",
                 0),
      0u)
      << json;
  // Without it (the admin listener's /status before), the JSON starts with the workers.
  EXPECT_EQ(render_status_json(two_workers()).rfind("{\"workers\":[", 0), 0u);
}
