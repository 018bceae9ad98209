// The supervisor's request path and lifecycle over real HTTP, with fake-worker (V8-free, answers
// /sleep/MS, /crash, /status/N) standing in for wsup-worker so every case is deterministic.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <httplib.h>

#include "fake_cluster.h"
#include "harness.h"
#include "tests/support/json.h"

using namespace wsup::e2e;
using namespace std::chrono_literals;

namespace {

// Waits (bounded) until every worker in `status --json` is ready.
bool all_ready(const Supervisor& s, size_t workers) {
  return eventually([&] {
    std::vector<WorkerStatus> rows = worker_status(s);
    return rows.size() == workers &&
           std::all_of(rows.begin(), rows.end(), [](auto& w) { return w.state == "ready"; });
  });
}

// Waits (bounded) until worker `id` runs in a process other than `old_pid`; returns that pid.
int replaced(const Supervisor& s, int id, int old_pid) {
  int pid = old_pid;
  eventually([&] {
    pid = worker_pids(s)[id];
    return pid != old_pid && pid != 0;
  });
  return pid;
}

}  // namespace

TEST(SupervisorLifecycle, RoutesEachPathToItsScriptAnd404sTheRest) {
  Cluster c("workers: 2", R"(  - name: api
    path: a.js
    routes: ["/api/*"]
  - name: site
    path: b.js
    routes: ["/site/*", "/"]
)");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  HttpResult api = http_get(c.port, "/api/items?x=1");
  EXPECT_EQ(api.status, 200);
  EXPECT_NE(api.body.find("script=api"), std::string::npos) << api.body;
  EXPECT_NE(api.body.find("/api/items?x=1"), std::string::npos) << api.body;
  EXPECT_NE(http_get(c.port, "/site/index").body.find("script=site"), std::string::npos);
  EXPECT_EQ(http_get(c.port, "/nowhere").status, 404);
}

TEST(SupervisorLifecycle, ResponsesCarryTheScriptsStatusHeadersAndBody) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  HttpResult r = http_get(c.port, "/status/418", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 418);
  EXPECT_EQ(r.headers.count("x-fake-worker"), 1u);
  EXPECT_EQ(r.headers.count("Content-Encoding"), 0u);  // not recompressed by the front
  EXPECT_EQ(r.headers.count("x-request-id"), 0u);      // no header the script did not set
  HttpResult posted = http_post(c.port, "/echo", std::string(500, 'x'));
  EXPECT_NE(posted.body.find("POST"), std::string::npos);
  EXPECT_NE(posted.body.find("body=500"), std::string::npos);
}

TEST(SupervisorLifecycle, OversizedRequestsGet413And431) {
  Cluster c("workers: 1\nlimits:\n  max_body_bytes: 1000\n  max_header_bytes: 2048");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  EXPECT_EQ(http_post(c.port, "/x", std::string(1001, 'x')).status, 413);
  EXPECT_EQ(http_post(c.port, "/x", std::string(1000, 'x')).status, 200);
  EXPECT_EQ(http_get(c.port, "/x", {{"X-Big", std::string(3000, 'h')}}).status, 431);
}

TEST(SupervisorLifecycle, WallTimeRunsOutWith504) {
  Cluster c("workers: 1\nlimits:\n  wall_ms: 300");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(http_get(c.port, "/sleep/3000").status, 504);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(SupervisorLifecycle, ClientThatGivesUpIsNoticedAndLoggedAs499) {
  Cluster c("workers: 1\nlogging:\n  format: json");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  {
    httplib::Client impatient("127.0.0.1", c.port);
    impatient.set_read_timeout(0, 300'000);
    EXPECT_FALSE(impatient.Get("/sleep/5000"));
  }  // closes the connection
  std::string log;
  eventually([&] {
    log = c.supervisor->log();
    return log.find("\"status\":499") != std::string::npos;
  });
  size_t at = log.find("\"status\":499");
  ASSERT_NE(at, std::string::npos) << log;
  // Noticed within a check interval or two of the hang-up, long before the worker's 5 s.
  double ms = std::stod(log.substr(log.find("\"ms\":", at) + 5));
  EXPECT_LT(ms, 1500) << log;
}

TEST(SupervisorLifecycle, AccessLogLineOfAPathWithRawInvalidUtf8IsValidJson) {
  Cluster c("workers: 1\nlogging:\n  format: json");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  // Bytes >= 0x80 are allowed in a request target on the wire; these are not all UTF-8.
  std::string reply = send_raw(c.port,
                               "GET /caf\xc3\xa9/\xff\xfe?q=\xe2\x82 HTTP/1.1\r\nHost: t\r\n"
                               "Connection: close\r\n\r\n");
  ASSERT_TRUE(reply.starts_with("HTTP/1.1 200 ")) << reply;
  // Every line is JSON (fake-worker's own prints aside): take the one whose path starts /caf.
  std::optional<boost::json::value> record;
  std::string error, seen;
  ASSERT_TRUE(eventually([&] {
    std::istringstream lines(c.supervisor->log());
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("{") || line.find("\"path\":\"/caf") == std::string::npos) continue;
      seen = line;
      record = wsup::testing::parse_json(line, &error);
      return true;
    }
    return false;
  })) << c.supervisor->log();
  ASSERT_TRUE(record) << error << ": " << seen;
  EXPECT_EQ(record->at("path").as_string(), "/caf\xc3\xa9/\xef\xbf\xbd\xef\xbf\xbd?q=\xef\xbf\xbd");
  EXPECT_EQ(record->at("status").as_int64(), 200);
}

TEST(SupervisorLifecycle, FullQueuesAnswer503WithRetryAfter) {
  // One worker, two ring slots, two overflow places: of 10 concurrent slow requests some must
  // wait and the rest be refused at once with 503.
  Cluster c("workers: 1\nring_slots: 2\nhttp_threads: 16\nlimits:\n  max_connections: 2");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  ConcurrentRequests clients(c.port);
  for (int i = 0; i < 10; ++i) clients.get("/sleep/400");
  clients.join();
  EXPECT_GE(clients.count(200), 2);
  EXPECT_GE(clients.count(503), 1);
  EXPECT_EQ(clients.count(200) + clients.count(503), 10);
  for (const HttpResult& r : clients.results()) {
    if (r.status == 503) {
      EXPECT_EQ(r.headers.count("Retry-After"), 1u);
    }
  }
}

TEST(SupervisorLifecycle, WorkerCrashGives502ForItsRequestAndTheWorkerComesBack) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  int before = worker_pids(*c.supervisor)[0];
  EXPECT_EQ(http_get(c.port, "/crash").status, 502);
  ASSERT_TRUE(all_ready(*c.supervisor, 1));
  EXPECT_NE(worker_pids(*c.supervisor)[0], before);
  EXPECT_EQ(http_get(c.port, "/ok").status, 200);
  EXPECT_NE(c.supervisor->control({"status"}).output.find("ready"), std::string::npos);
}

TEST(SupervisorLifecycle, KillNineUnderLoadFailsOnlyTheRequestsTheWorkerHeld) {
  Cluster c("workers: 2");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  ASSERT_TRUE(all_ready(*c.supervisor, 2));
  // Six requests of 3 s each, spread over both workers (least outstanding alternates), far
  // longer than it takes to see them all taken.
  ConcurrentRequests clients(c.port);
  for (int i = 0; i < 6; ++i) clients.get("/sleep/3000");
  // Killed once every request is taken (none left in a ring to be re-dispatched elsewhere).
  std::optional<WorkerStatus> busiest = busiest_once_all_taken(*c.supervisor, 6);
  ASSERT_TRUE(busiest) << c.supervisor->control({"status"}).output;
  ::kill(busiest->pid, SIGKILL);
  clients.join();
  EXPECT_EQ(clients.count(502), busiest->in_flight);  // exactly the ones that worker held
  EXPECT_EQ(clients.count(200), 6 - busiest->in_flight);
  ASSERT_TRUE(all_ready(*c.supervisor, 2));
  EXPECT_NE(worker_pids(*c.supervisor)[busiest->id], busiest->pid);
  EXPECT_EQ(http_get(c.port, "/after").status, 200);
}

TEST(SupervisorLifecycle, RestartWorkerUnderLoadHasNoFailedRequest) {
  Cluster c("workers: 2");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  int before = worker_pids(*c.supervisor)[1];
  LoadGenerator load(c.port, "/sleep/5", 4);
  ASSERT_TRUE(eventually([&] { return load.total() >= 10; })) << "the load never got going";
  CommandResult r = c.supervisor->control({"restart-worker", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // The command returns once the replacement serves: let some load reach it.
  const int after_restart = load.total();
  EXPECT_TRUE(eventually([&] { return load.total() >= after_restart + 10; }));
  load.stop();
  EXPECT_EQ(load.failed(), 0);
  EXPECT_NE(worker_pids(*c.supervisor)[1], before);
}

TEST(SupervisorLifecycle, ReloadUnderLoadReplacesEveryWorkerWithNoFailedRequest) {
  Cluster c("workers: 2");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  auto before = worker_pids(*c.supervisor);
  LoadGenerator load(c.port, "/sleep/5", 4);
  ASSERT_TRUE(eventually([&] { return load.total() >= 10; })) << "the load never got going";
  CommandResult r = c.supervisor->control({"reload"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const int after_reload = load.total();
  EXPECT_TRUE(eventually([&] { return load.total() >= after_reload + 10; }));
  load.stop();
  EXPECT_EQ(load.failed(), 0) << c.supervisor->log();
  auto after = worker_pids(*c.supervisor);
  EXPECT_NE(after[0], before[0]);
  EXPECT_NE(after[1], before[1]);
}

TEST(SupervisorLifecycle, SighupReloadsLikeTheReloadCommand) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  int before = worker_pids(*c.supervisor)[0];
  c.supervisor->signal(SIGHUP);
  int after = replaced(*c.supervisor, 0, before);
  EXPECT_NE(after, before);
  EXPECT_EQ(http_get(c.port, "/").status, 200);
}

TEST(SupervisorLifecycle, ReloadOfABrokenConfigIsRefusedAndWorkersKeepServing) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  int before = worker_pids(*c.supervisor)[0];
  std::string good = c.dir.write("unused", "").string();
  // fake-worker's --check fails on this marker, like wsup-worker on a script syntax error.
  std::ofstream(c.config, std::ios::app) << "# fake-check-fails\n";
  CommandResult r = c.supervisor->control({"reload"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("reload refused"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cluster.yaml:1:1"), std::string::npos) << r.output;
  // A config error names file:line:column too.
  std::ofstream(c.config, std::ios::app) << "workerz: 3\n";
  r = c.supervisor->control({"reload"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("cluster.yaml:"), std::string::npos) << r.output;
  EXPECT_EQ(worker_pids(*c.supervisor)[0], before);
  EXPECT_EQ(http_get(c.port, "/").status, 200);
}

TEST(SupervisorLifecycle, SigtermFinishesInFlightRequestsThenExitsAndRemovesSegments) {
  Cluster c("workers: 2\ndrain_timeout: 5s");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  // Requests of 2 s: the supervisor is seen holding all four long before any is answered.
  ConcurrentRequests clients(c.port);
  for (int i = 0; i < 4; ++i) clients.get("/sleep/2000");
  ASSERT_TRUE(eventually([&] { return in_flight_total(*c.supervisor) == 4; }));
  c.supervisor->signal(SIGTERM);
  clients.join();
  EXPECT_EQ(clients.count(200), 4);
  EXPECT_EQ(c.supervisor->wait_exit(10s), 0);
  std::string prefix = "-" + std::to_string(c.supervisor->pid()) + "-w";
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm"))
    EXPECT_EQ(entry.path().filename().string().find(prefix), std::string::npos) << entry.path();
  EXPECT_FALSE(std::filesystem::exists(c.control));
}

// Ctrl-C in a terminal, or kill -TERM -PGID, reaches the workers as well as the supervisor: a
// worker that drains and exits while the supervisor drains is not a crash and is not restarted.
TEST(SupervisorLifecycle, WorkersSignalledWithTheSupervisorDrainAndNoneIsRestarted) {
  constexpr auto npos = std::string::npos;
  Cluster c("workers: 2\ndrain_timeout: 5s");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  const std::map<int, int> workers = worker_pids(*c.supervisor);
  ConcurrentRequests clients(c.port);
  for (int i = 0; i < 4; ++i) clients.get("/sleep/1500");
  ASSERT_TRUE(eventually([&] { return in_flight_total(*c.supervisor) == 4; }));
  c.supervisor->signal(SIGTERM);
  ASSERT_TRUE(eventually([&] { return c.supervisor->log().find("stopping: draining") != npos; }));
  for (const auto& [id, pid] : workers) EXPECT_EQ(::kill(pid, SIGTERM), 0) << "worker " << id;
  clients.join();
  EXPECT_EQ(clients.count(200), 4);
  EXPECT_EQ(c.supervisor->wait_exit(10s), 0);
  const std::string log = c.supervisor->log();
  EXPECT_EQ(log.find("; restarting"), npos) << log;  // "worker exited; restarting"
  EXPECT_NE(log.find("worker exited while the supervisor drains"), npos) << log;
  size_t started = 0;
  for (size_t at = log.find("\"worker started\""); at != npos;
       at = log.find("\"worker started\"", at + 1))
    ++started;
  EXPECT_EQ(started, 2u) << log;
}

TEST(SupervisorLifecycle, StopCommandStopsTheSupervisor) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  CommandResult r = c.supervisor->control({"stop"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(c.supervisor->wait_exit(10s), 0);
}

TEST(SupervisorLifecycle, WorkersThatNeverGetReadyFailTheStartWithTheirExitReason) {
  Cluster c("workers: 1", "", {"FAKE_WORKER_EXIT_AT_START=1"});
  auto code = c.supervisor->wait_exit(20s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  std::string log = c.supervisor->log();
  EXPECT_NE(log.find("no worker became ready"), std::string::npos) << log;
  EXPECT_NE(log.find("exit status 3"), std::string::npos) << log;
  EXPECT_NE(log.find("crashed too often"), std::string::npos) << log;
}

TEST(SupervisorLifecycle, AdminListenerServesMetricsAndHealth) {
  uint16_t admin = free_port();
  Cluster c("workers: 1\nadmin:\n  http: 127.0.0.1:" + std::to_string(admin));
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  http_get(c.port, "/");
  EXPECT_EQ(http_get(admin, "/healthz").status, 200);
  std::string metrics = http_get(admin, "/metrics").body;
  EXPECT_NE(metrics.find("wsup_requests_total{script=\"a\",worker=\"0\",status=\"200\"}"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("wsup_worker_up{worker=\"0\"} 1"), std::string::npos);
  // The per-stage split is rendered (its sums are filled once a response has been logged).
  EXPECT_NE(metrics.find("wsup_request_stage_seconds_total{stage=\"worker\"} "), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("wsup_request_stage_requests_total "), std::string::npos) << metrics;
}

TEST(SupervisorCli, DevServesOneScriptAndReplacesWorkersWhenItChanges) {
  TempDir dir;
  auto script = dir.write("hello.js", "// fake-worker does not read scripts\n");
  uint16_t port = free_port();
  Supervisor dev({"dev", script.string(), "--port", std::to_string(port), "--worker-binary",
                  FAKE_WORKER_BINARY},
                 "", (dir.path() / "dev.log").string());
  ASSERT_TRUE(dev.wait_serving(port)) << dev.log();
  std::string dev_dir = "/tmp/wsup-dev-" + std::to_string(dev.pid());
  dev.set_control_path(dev_dir + "/control.sock");
  EXPECT_NE(http_get(port, "/x").body.find("script=hello"), std::string::npos);
  // Loopback is open to fetch() in dev, and the banner says so.
  EXPECT_NE(dev.log().find("fetch() may reach loopback addresses"), std::string::npos) << dev.log();
  std::ifstream generated(dev_dir + "/cluster.yaml");
  std::string yaml((std::istreambuf_iterator<char>(generated)), std::istreambuf_iterator<char>());
  EXPECT_NE(yaml.find("allow: [loopback]"), std::string::npos) << yaml;
  int before = worker_pids(dev)[0];
  ASSERT_GT(before, 0);
  auto later = std::filesystem::last_write_time(script) + std::chrono::seconds(2);
  std::filesystem::last_write_time(script, later);
  int after = replaced(dev, 0, before);
  EXPECT_NE(after, before) << dev.log();
  EXPECT_EQ(http_get(port, "/y").status, 200);
  dev.signal(SIGINT);
  EXPECT_EQ(dev.wait_exit(10s), 0);
  EXPECT_FALSE(std::filesystem::exists(dev_dir));
}

TEST(SupervisorCli, ControlCommandWithoutASupervisorSaysSo) {
  CommandResult r = run_command({WSUP_BINARY, "status", "--control", "/tmp/wsup-nobody.sock"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("no wsup supervisor is running on control socket /tmp/wsup-nobody.sock"),
            std::string::npos)
      << r.output;
}

TEST(SupervisorCli, CheckRefusesABadConfigWithFileLineColumn) {
  TempDir dir;
  dir.write("a.js", "");
  auto bad = dir.write("bad.yaml",
                       "listen: 127.0.0.1:1\nworkerz: 2\nscripts:\n  - name: a\n    path: a.js\n   "
                       " routes: [\"/*\"]\n");
  CommandResult r =
      run_command({WSUP_BINARY, "check", bad.string(), "--worker-binary", FAKE_WORKER_BINARY});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("bad.yaml:2:1"), std::string::npos) << r.output;
  // And `start` refuses it the same way, starting nothing.
  r = run_command({WSUP_BINARY, "start", bad.string(), "--worker-binary", FAKE_WORKER_BINARY});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("bad.yaml:2:1"), std::string::npos) << r.output;
}

TEST(SupervisorCli, CheckReportsScriptCompileErrorsFromTheWorker) {
  TempDir dir;
  dir.write("a.js", "");
  auto cfg = dir.write(
      "c.yaml",
      "# fake-check-fails\nscripts:\n  - name: a\n    path: a.js\n    routes: [\"/*\"]\n");
  CommandResult r =
      run_command({WSUP_BINARY, "check", cfg.string(), "--worker-binary", FAKE_WORKER_BINARY});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("c.yaml:1:1: SyntaxError"), std::string::npos) << r.output;
  std::ofstream(cfg, std::ios::trunc)
      << "scripts:\n  - name: a\n    path: a.js\n    routes: [\"/*\"]\n";
  r = run_command({WSUP_BINARY, "check", cfg.string(), "--worker-binary", FAKE_WORKER_BINARY});
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(SupervisorLifecycle, ClientsDribblingTheirHeadersAreCutAfterTheReadTimeout) {
  Cluster c("workers: 1");
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  // Half a request line, then nothing: cpp-httplib's per-recv timeout alone would wait forever
  // if a byte came every few seconds; the front cuts it 10 s after it connected.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(c.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 16 && !closed; ++i) {
    if (::send(fd, "G", 1, MSG_NOSIGNAL) != 1) closed = true;  // a byte a second
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 1000) > 0) {
      char buf[64];
      closed = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0;
    }
  }
  auto held = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_GE(held, 9s);
  EXPECT_LT(held, 14s);
  EXPECT_EQ(http_get(c.port, "/").status, 200);  // everyone else is still served
}
