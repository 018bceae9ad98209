// Cron triggers and `wsup trigger` with the real wsup and wsup-worker: a tick runs the scheduled
// handler on exactly one of two workers, module and service-worker scripts both get their event,
// a run has the request limits, failures are logged and counted, and `wsup trigger`'s exit status
// follows the run.
//
// Ticks without waiting minutes: WSUP_TEST_CRON_SPEEDUP=30 makes the supervisor's cron clock run
// 30 times faster (supervisor/cron_scheduler.h), so "* * * * *" ticks every 2 s of real time.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "harness.h"

namespace wsup::e2e {
namespace {

using namespace std::chrono_literals;

const char* kModule = R"(
export default {
  async fetch(request) {
    return new Response('fetch ' + new URL(request.url).pathname);
  },
  async scheduled(controller, env, ctx) {
    controller.noRetry();
    ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 1)));
    console.log(`module-tick cron=[${controller.cron}] at=${controller.scheduledTime} ` +
                `env=${env.WHO}`);
  },
};
)";

const char* kServiceWorker = R"(
addEventListener('fetch', (event) => event.respondWith(new Response('sw')));
addEventListener('scheduled', (event) => {
  event.waitUntil((async () => {
    console.log(`sw-tick cron=[${event.cron}] at=${event.scheduledTime} ` +
                `${event instanceof ScheduledEvent}`);
  })());
});
)";

const char* kThrows = R"(
export default {
  fetch() { return new Response('x'); },
  async scheduled(controller) {
    throw new Error('cleanup failed for ' + controller.cron);
  },
};
)";

const char* kSpins = R"(
export default {
  fetch() { return new Response('x'); },
  scheduled() { for (;;) {} },
};
)";

const char* kFetchOnly = R"(
export default { fetch() { return new Response('only fetch'); } };
)";

// cluster.yaml serving kModule (`mod`, on /mod/*) and kServiceWorker (`sw`, on /*), each with its
// extra lines (vars, crons), on `port` with the admin listener on `admin`.
std::filesystem::path write_mod_and_sw(const TempDir& dir, uint16_t port, uint16_t admin,
                                       int workers, const std::string& mod_extra,
                                       const std::string& sw_extra) {
  dir.write("mod.mjs", kModule);
  dir.write("sw.js", kServiceWorker);
  return dir.write(
      "cluster.yaml",
      "listen: 127.0.0.1:" + std::to_string(port) + "\nworkers: " + std::to_string(workers) +
          "\nadmin:\n  http: 127.0.0.1:" + std::to_string(admin) +
          "\nscripts:\n"
          "  - name: mod\n    path: mod.mjs\n    routes: [\"/mod/*\"]\n" +
          mod_extra + "  - name: sw\n    path: sw.js\n    routes: [\"/*\"]\n" + sw_extra);
}

// The values of `at=` on the log lines starting with `marker`, in order.
std::vector<std::string> tick_times(const std::string& log, const std::string& marker) {
  std::vector<std::string> times;
  std::regex line(marker + R"( cron=\[\* \* \* \* \*\] at=(\d+))");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
       ++it)
    times.push_back((*it)[1].str());
  return times;
}

// wsup_scheduled_runs_total{script="NAME",outcome="OUTCOME"}, 0 when absent.
int runs_counted(const std::string& metrics, const std::string& script,
                 const std::string& outcome) {
  std::smatch m;
  std::regex sample("wsup_scheduled_runs_total\\{script=\"" + script + "\",outcome=\"" + outcome +
                    "\"\\} (\\d+)");
  return std::regex_search(metrics, m, sample) ? std::stoi(m[1].str()) : 0;
}

TEST(CronTriggers, EveryMinuteCronFiresOncePerTickOnOneOfTwoWorkers) {
  TempDir dir;
  const uint16_t port = free_port();
  const uint16_t admin = free_port();
  auto config =
      write_mod_and_sw(dir, port, admin, 2, "    vars: {WHO: cron}\n    crons: [\"* * * * *\"]\n",
                       "    crons: [\"* * * * *\"]\n");
  Supervisor wsup(config.string(), (dir.path() / "control.sock").string(), WSUP_WORKER_BINARY,
                  {"WSUP_TEST_CRON_SPEEDUP=30"});
  ASSERT_TRUE(wsup.wait_serving(port)) << wsup.log();
  EXPECT_NE(wsup.log().find("FOR TESTS ONLY"), std::string::npos);
  // Three runs of each counted (a run is counted once its answer is back, after the script's own
  // log line); 2 s apart at this speed, so well within the bound on a loaded box.
  std::string metrics;
  ASSERT_TRUE(eventually(
      [&] {
        metrics = http_get(admin, "/metrics").body;
        return runs_counted(metrics, "mod", "ok") >= 3 && runs_counted(metrics, "sw", "ok") >= 3;
      },
      std::chrono::seconds(60)))
      << metrics << wsup.log();
  const std::string log = wsup.log();
  for (const char* marker : {"module-tick", "sw-tick"}) {
    std::vector<std::string> times = tick_times(log, marker);
    std::set<std::string> distinct(times.begin(), times.end());
    // Once per tick: two workers, yet no tick ran twice.
    EXPECT_EQ(distinct.size(), times.size()) << marker << "\n" << log;
    for (const std::string& t : times) EXPECT_EQ(std::stoll(t) % 60'000, 0) << t;
  }
  EXPECT_NE(log.find("env=cron"), std::string::npos);  // env reaches scheduled()
  EXPECT_NE(log.find(" true"), std::string::npos);     // event instanceof ScheduledEvent
  // Each run logged by the supervisor with its worker and outcome, and counted.
  EXPECT_TRUE(std::regex_search(
      log, std::regex(R"(scheduled run.*script=mod.*worker=[01].*outcome=ok.*duration_ms=)")))
      << log;
  EXPECT_EQ(log.find("scheduled run failed"), std::string::npos) << log;
  EXPECT_GE(tick_times(log, "module-tick").size(), 3u) << log;
  EXPECT_GE(tick_times(log, "sw-tick").size(), 3u) << log;
  // Requests still go to fetch: a client's request is never a scheduled run.
  HttpResult r = http_get(port, "/mod/__scheduled?cron=*+*+*+*+*");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "fetch /mod/__scheduled");
}

// `wsup check` lists each script's crons, `wsup status` (table, JSON, the admin /status) adds each
// one's next tick in UTC, and a cron that can never fire is refused with its file:line:column.
TEST(CronTriggers, CheckAndStatusShowEachScriptsCronsAndCheckRefusesABadOne) {
  TempDir dir;
  const uint16_t port = free_port();
  const uint16_t admin = free_port();
  auto config =
      write_mod_and_sw(dir, port, admin, 1, "    crons: [\"*/5 * * * *\", \"0 3 * * *\"]\n", "");
  CommandResult check = run_command(
      {WSUP_BINARY, "check", config.string(), "--worker-binary", WSUP_WORKER_BINARY}, 60s);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("\nmod: crons \"*/5 * * * *\", \"0 3 * * *\" (UTC)\n"),
            std::string::npos)
      << check.output;
  EXPECT_EQ(check.output.find("sw: crons"), std::string::npos) << check.output;

  auto bad = dir.write("bad.yaml",
                       "scripts:\n  - name: sw\n    path: sw.js\n    routes: [\"/*\"]\n"
                       "    crons: [\"0 0 30 2 *\"]\n");
  CommandResult refused =
      run_command({WSUP_BINARY, "check", bad.string(), "--worker-binary", WSUP_WORKER_BINARY}, 60s);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("bad.yaml:5:18: scripts[0].crons[0]: cron \"0 0 30 2 *\": never "
                                "fires"),
            std::string::npos)
      << refused.output;

  Supervisor wsup(config.string(), (dir.path() / "control.sock").string(), WSUP_WORKER_BINARY);
  ASSERT_TRUE(wsup.wait_serving(port)) << wsup.log();
  CommandResult table = wsup.control({"status"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  // The next */5 tick is a whole multiple of 5 minutes; the next "0 3 * * *" is 03:00, today or
  // tomorrow: true whatever the time the test runs.
  EXPECT_TRUE(std::regex_search(
      table.output,
      std::regex(
          R"(\nSCRIPT +CRONS \(UTC\)\nmod +"\*/5 \* \* \* \*" next \d{4}-\d\d-\d\dT\d\d:\d[05])"
          R"(:00Z, "0 3 \* \* \*" next \d{4}-\d\d-\d\dT03:00:00Z\n)")))
      << table.output;
  EXPECT_EQ(table.output.find("\nsw   "), table.output.rfind("\nsw   ")) << "one row: the scripts'";
  const std::regex json_crons(
      R"("name":"mod",.*"crons":\[\{"cron":"\*/5 \* \* \* \*","next":"\d{4}-\d\d-\d\dT\d\d:\d[05]:00Z"\},)"
      R"(\{"cron":"0 3 \* \* \*","next":"\d{4}-\d\d-\d\dT03:00:00Z"\}\]\})");
  CommandResult json = wsup.control({"status", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_TRUE(std::regex_search(json.output, json_crons)) << json.output;
  EXPECT_NE(json.output.find("\"name\":\"sw\",\"isolation\":\"request\",\"snapshot\":true,"
                             "\"warm_up\":0,\"recycle_requests\":0,\"recycle_heap_mib\":0,"
                             "\"crons\":[]}"),
            std::string::npos)
      << json.output;
  EXPECT_TRUE(std::regex_search(http_get(admin, "/status").body, json_crons));
}

TEST(CronTriggers, WsupTriggerRunsOneAndExitsWithItsOutcome) {
  TempDir dir;
  dir.write("mod.mjs", kModule);
  dir.write("sw.js", kServiceWorker);
  dir.write("throws.mjs", kThrows);
  dir.write("fetch-only.mjs", kFetchOnly);
  dir.write("spins.mjs", kSpins);
  const uint16_t port = free_port();
  const uint16_t admin = free_port();
  auto config = dir.write(
      "cluster.yaml", "listen: 127.0.0.1:" + std::to_string(port) +
                          "\nworkers: 2\nadmin:\n  http: 127.0.0.1:" + std::to_string(admin) +
                          "\nscripts:\n"
                          "  - name: mod\n    path: mod.mjs\n    routes: [\"/mod/*\"]\n"
                          "    vars: {WHO: hand}\n"
                          "  - name: sw\n    path: sw.js\n    routes: [\"/sw/*\"]\n"
                          "  - name: throws\n    path: throws.mjs\n    routes: [\"/t/*\"]\n"
                          "  - name: spins\n    path: spins.mjs\n    routes: [\"/s/*\"]\n"
                          "  - name: fetch-only\n    path: fetch-only.mjs\n    routes: [\"/*\"]\n");
  Supervisor wsup(config.string(), (dir.path() / "control.sock").string(), WSUP_WORKER_BINARY);
  ASSERT_TRUE(wsup.wait_serving(port)) << wsup.log();

  CommandResult ok = wsup.control({"trigger", "mod", "--cron", "5 4 * * *"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_TRUE(std::regex_search(ok.output, std::regex(R"(^ok: script mod, worker [01], \d+ ms)")))
      << ok.output;
  EXPECT_TRUE(eventually([&] {
    return wsup.log().find("module-tick cron=[5 4 * * *]") != std::string::npos;
  })) << wsup.log();
  EXPECT_NE(wsup.log().find("env=hand"), std::string::npos);

  CommandResult sw = wsup.control({"trigger", "sw"});  // no --cron: controller.cron is ""
  EXPECT_EQ(sw.exit_code, 0) << sw.output;
  EXPECT_TRUE(eventually([&] { return wsup.log().find("sw-tick cron=[]") != std::string::npos; }))
      << wsup.log();

  CommandResult thrown = wsup.control({"trigger", "throws", "--cron", "0 3 * * *"});
  EXPECT_EQ(thrown.exit_code, 1) << thrown.output;
  EXPECT_EQ(thrown.output.rfind("exception: script throws, worker ", 0), 0u) << thrown.output;
  EXPECT_TRUE(eventually([&] {
    std::string log = wsup.log();
    return log.find("cleanup failed for 0 3 * * *") != std::string::npos &&
           log.find("scheduled run failed") != std::string::npos;
  })) << wsup.log();

  // A run has the request's limits: the CPU watchdog stops it (limits.cpu_ms, 50 ms).
  CommandResult spun = wsup.control({"trigger", "spins"});
  EXPECT_EQ(spun.exit_code, 1) << spun.output;
  EXPECT_EQ(spun.output.rfind("exceeded_cpu: script spins, worker ", 0), 0u) << spun.output;
  // The worker that stopped it goes on serving.
  EXPECT_EQ(http_get(port, "/s/after").status, 200);

  CommandResult missing = wsup.control({"trigger", "fetch-only"});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_EQ(missing.output.rfind("exception: ", 0), 0u) << missing.output;
  EXPECT_TRUE(eventually([&] {
    return wsup.log().find("no default export with a scheduled() method") != std::string::npos;
  })) << wsup.log();

  CommandResult unknown = wsup.control({"trigger", "nope"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_NE(unknown.output.find("no script named 'nope'"), std::string::npos) << unknown.output;

  std::string metrics = http_get(admin, "/metrics").body;
  EXPECT_EQ(runs_counted(metrics, "mod", "ok"), 1) << metrics;
  EXPECT_EQ(runs_counted(metrics, "sw", "ok"), 1) << metrics;
  EXPECT_EQ(runs_counted(metrics, "throws", "exception"), 1) << metrics;
  EXPECT_EQ(runs_counted(metrics, "fetch-only", "exception"), 1) << metrics;
  EXPECT_EQ(runs_counted(metrics, "spins", "exceeded_cpu"), 1) << metrics;
}

}  // namespace
}  // namespace wsup::e2e
