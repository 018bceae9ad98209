// A worker's health as the supervisor sees it (issue #18), through the real binaries: a worker
// that asks to be replaced (it lost every isolate it runs) is, by a fresh process beside it; a
// worker whose loop stops turning (SIGSTOP stands in for anything no limit interrupts) is
// reported unresponsive by /healthz and `wsup status`, then killed and replaced, and requests it
// had not taken are served by the other worker.
#include <signal.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "tests/support/eventually.h"

using namespace wsup::e2e;
using wsup::testing::eventually;
constexpr auto npos = std::string::npos;

namespace {

constexpr const char* kScript =
    "addEventListener('fetch', (e) => {\n"
    "  const path = new URL(e.request.url).pathname;\n"
    "  if (path === '/fill') new Array(1e9).fill(0);\n"
    // ICU's normalization runs in C++ without a check for termination: ~18 M characters out.
    "  if (path === '/normalize') '\\uFDFA'.repeat(1 << 20).normalize('NFKD');\n"
    "  e.respondWith(new Response('hello'));\n"
    "});\n";

}  // namespace

// One isolate: losing it to V8's heap limit is losing all of them, so the worker asks for a
// replacement; the supervisor starts one, routes to it once ready and retires the old process.
TEST(WorkerHealth, AWorkerThatLostEveryIsolateIsReplacedByAFreshProcess) {
  OneScriptCluster c(kScript, "workers: 1\nisolates_per_worker: 1\nlimits:\n  cpu_ms: 10s\n",
                     WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  const int before = worker_pids(*c.supervisor).at(0);
  ASSERT_NE(before, 0);
  EXPECT_EQ(http_get(c.port, "/fill").status, 503) << c.supervisor->log();
  EXPECT_TRUE(eventually([&] {
    const int now = worker_pids(*c.supervisor).at(0);
    return now != 0 && now != before;
  })) << c.supervisor->log();
  EXPECT_TRUE(eventually([&] { return c.supervisor->log().find("worker retired") != npos; }))
      << c.supervisor->log();
  const std::string log = c.supervisor->log();
  EXPECT_NE(log.find("worker asks to be replaced"), npos) << log;
  EXPECT_EQ(log.find("worker exited; restarting"), npos) << log;
  HttpResult control = http_get(c.port, "/");
  EXPECT_EQ(control.status, 200);
  EXPECT_EQ(control.body, "hello");
}

// Unresponsive after 2 s (cpu_hard_ms auto 1 s, plus 1 s), killed after 6 s.
TEST(WorkerHealth, AStoppedWorkerIsReportedUnresponsiveThenReplacedAndNothingIsLost) {
  const uint16_t admin = free_port();
  OneScriptCluster c(kScript,
                     "workers: 2\nisolates_per_worker: 1\nstuck_worker_timeout: 6s\n"
                     "admin:\n  http: 127.0.0.1:" +
                         std::to_string(admin) + "\n",
                     WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  const int stopped = worker_pids(*c.supervisor).at(0);
  ASSERT_NE(stopped, 0);
  EXPECT_EQ(http_get(admin, "/healthz").body, "ok\n");
  ASSERT_EQ(::kill(stopped, SIGSTOP), 0);

  // Requests sent meanwhile: the stopped worker may be given some; it never takes them, and they
  // are served by worker 1 (stolen, or re-dispatched once worker 0 is killed).
  std::vector<int> statuses(6, 0);
  std::vector<std::thread> clients;
  for (size_t i = 0; i < statuses.size(); ++i)
    clients.emplace_back([&, i] { statuses[i] = http_get(c.port, "/").status; });

  HttpResult health;
  EXPECT_TRUE(eventually([&] {
    health = http_get(admin, "/healthz");
    return health.body.find("worker 0: no heartbeat for") != npos;
  })) << health.body;
  EXPECT_EQ(health.status, 200) << health.body;  // worker 1 still serves
  EXPECT_NE(health.body.find("degraded"), npos) << health.body;
  EXPECT_NE(health.body.find("(unresponsive)"), npos) << health.body;

  EXPECT_TRUE(eventually([&] {
    const int now = worker_pids(*c.supervisor).at(0);
    return now != 0 && now != stopped;
  })) << c.supervisor->log();
  for (std::thread& t : clients) t.join();
  for (int status : statuses) EXPECT_EQ(status, 200) << c.supervisor->log();
  const std::string log = c.supervisor->log();
  EXPECT_NE(log.find("worker stuck: its loop has not turned"), npos) << log;
  EXPECT_NE(log.find("stuck, no heartbeat for"), npos) << log;  // the exit's description
  EXPECT_TRUE(eventually([&] { return http_get(admin, "/healthz").body == "ok\n"; }));
  EXPECT_EQ(http_get(c.port, "/").status, 200);
}

// What the CPU limit cannot interrupt ends the worker at limits.cpu_hard_ms (here as low as it
// may be, cpu_ms): 502 for the request, the worker exits with status 75 and comes back at once.
// Not a crash: more of them than the 5 that mark a crashing worker failed leave it serving.
TEST(WorkerHealth, ABuiltinPastTheHardCpuLimitEndsTheWorkerWhichComesBackNotFailed) {
  OneScriptCluster c(kScript, "workers: 1\nlimits:\n  cpu_ms: 20\n  cpu_hard_ms: 20\n",
                     WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  for (int i = 0; i < 6; ++i) {
    const int before = worker_pids(*c.supervisor).at(0);
    ASSERT_NE(before, 0);
    EXPECT_EQ(http_get(c.port, "/normalize").status, 502) << c.supervisor->log();
    ASSERT_TRUE(eventually([&] {
      const int now = worker_pids(*c.supervisor).at(0);
      return now != 0 && now != before && http_get(c.port, "/").status == 200;
    })) << c.supervisor->log();
  }
  const std::string log = c.supervisor->log();
  EXPECT_NE(log.find("stuck past its hard CPU limit"), npos) << log;
  EXPECT_NE(log.find("worker ended a request past the hard CPU limit; restarting"), npos) << log;
  EXPECT_NE(log.find("exit status 75"), npos) << log;
  EXPECT_EQ(log.find("worker failed"), npos) << log;
  EXPECT_EQ(http_get(c.port, "/").body, "hello");
}
