// The real cluster: `wsup` with real `wsup-worker` processes running the example scripts, over
// loopback HTTP. Ports are chosen at run time; every loop is bounded.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "harness.h"

using namespace wsup::e2e;
using namespace std::chrono_literals;

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// config/examples/two-scripts.yaml with its scripts, moved to a free port.
struct TwoScripts {
  TwoScripts() : port(free_port()) {
    std::filesystem::path examples = WSUP_EXAMPLES_DIR;
    for (const char* f : {"api.mjs", "site.js"}) dir.write(f, read(examples / f));
    config = dir.write("two-scripts.yaml",
                       replace(read(examples / "two-scripts.yaml"), "listen: 127.0.0.1:8081",
                               "listen: 127.0.0.1:" + std::to_string(port)));
    control = (dir.path() / "control.sock").string();
    supervisor = std::make_unique<Supervisor>(config.string(), control, WSUP_WORKER_BINARY,
                                              std::vector<std::string>{"WSUP_EXAMPLE_TOKEN=t0k3n"});
  }
  TempDir dir;
  uint16_t port;
  std::filesystem::path config;
  std::string control;
  std::unique_ptr<Supervisor> supervisor;
};

// One script on a free port, with extra top-level settings.
struct OneScript : OneScriptCluster {
  OneScript(const std::string& script, const std::string& settings)
      : OneScriptCluster(script, settings, WSUP_WORKER_BINARY) {}
};

const char* kSlowScript = R"(addEventListener('fetch', (event) => {
  const ms = Number(new URL(event.request.url).searchParams.get('ms') || 0);
  event.respondWith(new Promise((resolve) =>
      setTimeout(() => resolve(new Response('slept ' + ms)), ms)));
});
)";

}  // namespace

TEST(Cluster, TwoScriptsExampleRoutesApiToTheModuleAndTheRestToTheSite) {
  TwoScripts c;
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  HttpResult api = http_get(c.port, "/api/items");
  EXPECT_EQ(api.status, 200) << api.body;
  EXPECT_NE(api.body.find("\"script\":\"api\""), std::string::npos) << api.body;
  EXPECT_NE(api.body.find("\"echo\":\"/api/items\""), std::string::npos) << api.body;
  EXPECT_NE(api.body.find("\"tokenConfigured\":true"), std::string::npos) << api.body;
  EXPECT_EQ(api.headers.find("content-type")->second, "application/json");
  HttpResult site = http_get(c.port, "/about");
  EXPECT_EQ(site.status, 200);
  EXPECT_EQ(site.body, "site: /about\n");
}

// config/examples/hello.yaml, what scripts/run starts (docs/OPERATIONS.md, "Start"), on a free
// port.
TEST(Cluster, HelloExampleAnswersEveryPath) {
  const std::filesystem::path examples = WSUP_EXAMPLES_DIR;
  TempDir dir;
  const uint16_t port = free_port();
  dir.write("hello.js", read(examples / "hello.js"));
  const std::filesystem::path config = dir.write(
      "hello.yaml", replace(replace(read(examples / "hello.yaml"), "listen: 127.0.0.1:8080",
                                    "listen: 127.0.0.1:" + std::to_string(port)),
                            "workers: auto", "workers: 1"));
  Supervisor supervisor(config.string(), (dir.path() / "control.sock").string(),
                        WSUP_WORKER_BINARY);
  ASSERT_TRUE(supervisor.wait_serving(port)) << supervisor.log();
  for (const char* path : {"/", "/any/path?q=1"}) {
    HttpResult r = http_get(port, path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, "Hello from wsup\n") << path;
  }
}

TEST(Cluster, WallTimeOfAScriptWaitingOnATimerEndsIn504) {
  OneScript c(kSlowScript, "workers: 1\nlimits:\n  wall_ms: 500");
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  EXPECT_EQ(http_get(c.port, "/?ms=10").body, "slept 10");
  EXPECT_EQ(http_get(c.port, "/?ms=3000").status, 504);
}

TEST(Cluster, BodiesInsideAndOutsideTheRingSlotComeBackWhole) {
  // 100 KiB fits the default 128 KiB slot; 300 KiB and 3 MiB request bodies travel in the slot's
  // own shared-memory object, and the responses past one record are streamed back in chunks
  // (with their length declared: Content-Length). Copying 3 MiB in and out of V8 takes ~12 ms of
  // CPU in a release build and several times the 50 ms default under the sanitizers, so the CPU
  // limit is raised: this test is about transport, not the limit.
  OneScript c(
      "addEventListener('fetch', (e) => e.respondWith(e.request.arrayBuffer().then((body) =>\n"
      "    new Response(body, {headers: {'x-length': String(body.byteLength)}}))));\n",
      "workers: 1\nlimits:\n  cpu_ms: 5000");
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  for (size_t size : {size_t{100} * 1024, size_t{300} * 1024, size_t{3} << 20}) {
    std::string body(size, '\0');
    for (size_t i = 0; i < size; ++i) body[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    HttpResult r = http_post(c.port, "/echo", body);
    EXPECT_EQ(r.status, 200) << size;
    EXPECT_EQ(r.body.size(), size);
    auto length = r.headers.find("Content-Length");
    ASSERT_NE(length, r.headers.end()) << size;
    EXPECT_EQ(length->second, std::to_string(size));
    EXPECT_TRUE(r.body == body) << "the " << size << "-byte body came back changed";
  }
}

TEST(Cluster, MetricsSplitAWorkersTimeBetweenContextsAndJavaScript) {
  const uint16_t admin = free_port();
  OneScript c("addEventListener('fetch', (e) => e.respondWith(new Response('hi')));\n",
              "workers: 1\nadmin:\n  http: 127.0.0.1:" + std::to_string(admin));
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(http_get(c.port, "/").status, 200);
  // The worker reports at its heartbeat rate: wait (bounded) for a report covering them.
  auto value = [](const std::string& metrics, const std::string& name) {
    std::smatch match;
    const std::regex line(name + R"(\{worker="0"\} ([0-9.e+-]+))");
    return std::regex_search(metrics, match, line) ? std::stod(match[1]) : -1.0;
  };
  std::string metrics;
  EXPECT_TRUE(eventually([&] {
    metrics = http_get(admin, "/metrics").body;
    return value(metrics, "wsup_worker_script_seconds_total") > 0;
  }));
  EXPECT_GT(value(metrics, "wsup_worker_script_seconds_total"), 0) << metrics;
  EXPECT_GT(value(metrics, "wsup_worker_context_seconds_total") +
                value(metrics, "wsup_worker_spare_context_seconds_total"),
            0)
      << metrics;
  EXPECT_GE(value(metrics, "wsup_worker_spare_context_hits_total"), 0) << metrics;
}

TEST(Cluster, BenchNoJsAnswersAFixed200WithoutRunningTheScript) {
  OneScript c("addEventListener('fetch', (e) => e.respondWith(new Response('from js')));\n",
              "workers: 1\nbench_no_js: true");
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  HttpResult r = http_get(c.port, "/anything");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Hello from wsup\n");
  EXPECT_NE(c.supervisor->log().find("BENCHMARK ONLY"), std::string::npos) << c.supervisor->log();
}

TEST(Cluster, ReloadAndRestartWorkerUnderLoadFailNoRequest) {
  OneScript c(kSlowScript, "workers: 2");
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  auto before = worker_pids(*c.supervisor);
  LoadGenerator load(c.port, "/?ms=2", 4);
  ASSERT_TRUE(eventually([&] { return load.total() >= 25; })) << "the load never got going";
  CommandResult restart = c.supervisor->control({"restart-worker", "0"});
  EXPECT_EQ(restart.exit_code, 0) << restart.output;
  CommandResult reload = c.supervisor->control({"reload"});
  EXPECT_EQ(reload.exit_code, 0) << reload.output;
  // The commands return once every replacement serves: let some load reach the new workers.
  const int after_reload = load.total();
  EXPECT_TRUE(eventually([&] { return load.total() >= after_reload + 25; }));
  load.stop();
  EXPECT_EQ(load.failed(), 0) << c.supervisor->log();
  auto after = worker_pids(*c.supervisor);
  EXPECT_NE(after[0], before[0]);
  EXPECT_NE(after[1], before[1]);
}

TEST(Cluster, KillNineOfAWorkerFailsOnlyItsRequestsAndTheWorkerComesBack) {
  OneScript c(kSlowScript, "workers: 2");
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  // Four requests that each take 3 s, far longer than it takes to see them all taken.
  ConcurrentRequests clients(c.port);
  for (int i = 0; i < 4; ++i) clients.get("/?ms=3000");
  // Kill a worker only once every request has been taken (none left queued in a ring), so the
  // number it holds is known: exactly those must fail, with 502.
  std::optional<WorkerStatus> busiest = busiest_once_all_taken(*c.supervisor, 4);
  ASSERT_TRUE(busiest) << c.supervisor->control({"status"}).output;
  const int id = busiest->id;
  const int victim = busiest->pid;
  ASSERT_GT(victim, 0);
  ::kill(victim, SIGKILL);
  clients.join();
  EXPECT_EQ(clients.count(502), busiest->in_flight);
  EXPECT_EQ(clients.count(200), 4 - busiest->in_flight);
  int back = 0;
  EXPECT_TRUE(eventually([&] {
    std::vector<WorkerStatus> rows = worker_status(*c.supervisor);
    const bool settled = rows.size() == 2 && std::all_of(rows.begin(), rows.end(), [](auto& w) {
                           return w.state == "ready";
                         });
    back = settled ? worker_pids(*c.supervisor)[id] : 0;
    return back != 0 && back != victim;
  })) << c.supervisor->control({"status"}).output;
  EXPECT_NE(back, victim);
  EXPECT_EQ(http_get(c.port, "/?ms=1").status, 200);
}

TEST(Cluster, SigtermLetsInFlightRequestsFinish) {
  OneScript c(kSlowScript, "workers: 1\ndrain_timeout: 5s");
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  // Requests of 2 s: the supervisor is seen holding all three long before any is answered.
  ConcurrentRequests clients(c.port);
  for (int i = 0; i < 3; ++i) clients.get("/?ms=2000");
  ASSERT_TRUE(eventually([&] { return in_flight_total(*c.supervisor) == 3; }));
  c.supervisor->signal(SIGTERM);
  clients.join();
  EXPECT_EQ(clients.count(200), 3);
  EXPECT_EQ(c.supervisor->wait_exit(10s), 0);
}

TEST(Cluster, ScriptSyntaxErrorIsRefusedWithItsFileLineAndColumn) {
  TempDir dir;
  dir.write(
      "broken.js",
      "addEventListener('fetch', (event) => {\n  event.respondWith(new Response('x');\n});\n");
  auto cfg =
      dir.write("c.yaml", "scripts:\n  - name: b\n    path: broken.js\n    routes: [\"/*\"]\n");
  CommandResult r =
      run_command({WSUP_BINARY, "check", cfg.string(), "--worker-binary", WSUP_WORKER_BINARY});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("broken.js:2:"), std::string::npos) << r.output;
}
