// What an operator reads, through the real wsup and wsup-worker: the log in JSON valid in every
// byte (jq reads every line), SIGUSR1 reopening the log files under load with no line lost or
// torn, and /metrics parsed by the Prometheus Python client with restarts counted by reason.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "tests/support/json.h"

using namespace wsup::e2e;
using namespace std::chrono_literals;

namespace {

// One console line per request, with a character a JS string can hold but UTF-8 cannot (a lone
// surrogate), and the path as the script saw it.
const char* kScript = R"(export default {
  fetch(request) {
    console.log("seen " + new URL(request.url).pathname + " \ud800");
    return new Response("ok\n");
  }
};
)";

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The JSON object of each line; a line that is not one fails the test (torn or invalid).
std::vector<boost::json::object> json_lines(const std::string& path) {
  std::vector<boost::json::object> objects;
  for (const std::string& line : lines_of(path)) {
    std::string error;
    auto value = wsup::testing::parse_json(line, &error);
    EXPECT_TRUE(value && value->is_object()) << path << ": " << error << ": " << line;
    if (value && value->is_object()) objects.push_back(value->as_object());
  }
  return objects;
}

std::string text(const boost::json::object& line, const char* key) {
  auto* v = line.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

TEST(Observability, JsonLogOfSupervisorAndWorkersIsValidInEveryByteAndCarriesWorkerAndRequest) {
  OneScriptCluster c(kScript, "workers: 1\nlogging:\n  format: json\n  destination: wsup.log",
                     WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  const std::string log_path = (c.dir.path() / "wsup.log").string();
  // A raw invalid-UTF-8 path on the wire (bytes >= 0x80 are allowed in a target).
  std::string reply =
      send_raw(c.port, "GET /caf\xff\xfe/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(reply.starts_with("HTTP/1.1 200 ")) << reply;
  boost::json::object access, console;
  ASSERT_TRUE(eventually([&] {
    for (const boost::json::object& line : json_lines(log_path)) {
      if (text(line, "msg") == "request" && text(line, "path").starts_with("/caf")) access = line;
      if (text(line, "msg").starts_with("seen /caf")) console = line;
    }
    return !access.empty() && !console.empty();
  })) << read_file(log_path);
  EXPECT_EQ(text(access, "path"), "/caf\xef\xbf\xbd\xef\xbf\xbd/x");  // each bad byte: U+FFFD
  EXPECT_EQ(access.at("status").as_int64(), 200);
  // The worker's line: its worker id and the request id of the access line.
  EXPECT_EQ(console.at("worker").as_int64(), 0);
  EXPECT_EQ(console.at("req").as_int64(), access.at("req").as_int64());
  EXPECT_EQ(text(console, "script"), "w");
  // jq, as an operator would run it, reads every line.
  CommandResult jq = run_command({WSUP_JQ, "-c", ".level", log_path});
  EXPECT_EQ(jq.exit_code, 0) << jq.output;
}

TEST(Observability, Sigusr1ReopensTheLogFilesUnderLoadWithNoLineLostOrTorn) {
  OneScriptCluster c(kScript,
                     "workers: 2\nlogging:\n  format: json\n  destination: wsup.log\n"
                     "  access_file: access.log",
                     WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  const std::string log_path = (c.dir.path() / "wsup.log").string();
  const std::string access_path = (c.dir.path() / "access.log").string();

  // A bounded load: 4 clients, 150 requests each, every path distinct.
  constexpr int kClients = 4, kEach = 150;
  std::atomic<int> answered{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t)
    clients.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        HttpResult r = http_get(c.port, "/r/" + std::to_string(t) + "/" + std::to_string(i));
        (r.status == 200 ? answered : failed).fetch_add(1, std::memory_order_relaxed);
      }
    });
  // What logrotate does: rename the files while they are written, then postrotate's SIGUSR1.
  EXPECT_TRUE(eventually([&] { return answered.load(std::memory_order_relaxed) >= 100; }));
  std::filesystem::rename(access_path, access_path + ".1");
  std::filesystem::rename(log_path, log_path + ".1");
  c.supervisor->signal(SIGUSR1);
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  // A few more once every process has had time to reopen: these must land in the new files.
  ASSERT_TRUE(eventually([&] {
    return read_file(log_path).find("log files reopened") != std::string::npos;
  })) << read_file(log_path + ".1");
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(http_get(c.port, "/after/" + std::to_string(i)).status, 200);

  const int expected = kClients * kEach + 10;
  std::multiset<std::string> access_paths, console_paths;
  std::map<std::string, int> new_file_lines;
  ASSERT_TRUE(eventually([&] {
    access_paths.clear();
    console_paths.clear();
    new_file_lines.clear();
    for (const std::string& file : {access_path + ".1", access_path, log_path + ".1", log_path})
      for (const boost::json::object& line : json_lines(file)) {
        // The harness's readiness probe ("/") aside: the load's paths and the ones after it.
        if (text(line, "msg") == "request" && text(line, "path") != "/") {
          access_paths.insert(text(line, "path"));
          if (file == access_path) ++new_file_lines["access"];
        } else if (text(line, "msg").starts_with("seen /r/") ||
                   text(line, "msg").starts_with("seen /after/")) {
          console_paths.insert(text(line, "msg"));
          if (file == log_path && text(line, "msg").starts_with("seen /after/"))
            ++new_file_lines["console after"];
        }
      }
    return static_cast<int>(access_paths.size()) >= expected &&
           static_cast<int>(console_paths.size()) >= expected;
  })) << access_paths.size()
      << " access lines, " << console_paths.size() << " console lines";
  // Every request once in the access log and once in the workers' log, across the two files.
  EXPECT_EQ(static_cast<int>(access_paths.size()), expected);
  EXPECT_EQ(static_cast<int>(console_paths.size()), expected);
  EXPECT_EQ(std::set<std::string>(access_paths.begin(), access_paths.end()).size(),
            access_paths.size());
  // The access lines never went into the log, nor the log's into the access file.
  for (const std::string& file : {access_path, access_path + ".1"})
    for (const boost::json::object& line : json_lines(file))
      EXPECT_EQ(text(line, "msg"), "request");
  for (const std::string& file : {log_path, log_path + ".1"})
    for (const boost::json::object& line : json_lines(file))
      EXPECT_NE(text(line, "msg"), "request") << file;
  EXPECT_GE(new_file_lines["access"], 10);
  EXPECT_EQ(new_file_lines["console after"], 10);  // both workers write to the new file
}

TEST(Observability, MetricsParseWithThePrometheusClientAndRestartsAreCountedByReason) {
  const uint16_t admin = free_port();
  OneScriptCluster c(kScript,
                     "workers: 2\nadmin:\n  http: 127.0.0.1:" + std::to_string(admin) +
                         "\nlogging:\n  destination: wsup.log",
                     WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(http_get(c.port, "/").status, 200);
  // One restart, one reload (both workers), one crash (worker 1).
  ASSERT_EQ(c.supervisor->control({"restart-worker", "0"}).exit_code, 0);
  ASSERT_EQ(c.supervisor->control({"reload"}).exit_code, 0);
  const int killed = worker_pids(*c.supervisor)[1];
  ASSERT_GT(killed, 0);
  ::kill(killed, SIGKILL);
  ASSERT_TRUE(eventually([&] {
    for (const WorkerStatus& w : worker_status(*c.supervisor))
      if (w.id == 1) return w.state == "ready" && w.pid != killed;
    return false;
  }));

  const std::string metrics_path = (c.dir.path() / "metrics.txt").string();
  c.dir.write("metrics.txt", http_get(admin, "/metrics").body);
  CommandResult parsed = run_command({WSUP_DEBIAN_PYTHON3, WSUP_PARSE_METRICS, metrics_path});
  ASSERT_EQ(parsed.exit_code, 0) << parsed.output << read_file(metrics_path);
  std::string error;
  auto document = wsup::testing::parse_json(parsed.output, &error);
  ASSERT_TRUE(document) << error << ": " << parsed.output;

  // name{label=value,...} (labels sorted) -> value, for every sample the client read.
  std::map<std::string, double> sample;
  for (const auto& s : document->at("samples").as_array()) {
    std::string key = std::string(s.at("name").as_string()) + "{";
    std::map<std::string, std::string> labels;  // sorted by name
    for (const auto& [label, value] : s.at("labels").as_object())
      labels[std::string(label)] = std::string(value.as_string());
    for (const auto& [label, value] : labels) key += label + "=" + value + ",";
    sample[key + "}"] = s.at("value").to_number<double>();
  }
  auto value = [&](const std::string& key) {
    auto it = sample.find(key);
    EXPECT_NE(it, sample.end()) << key << " not in\n" << read_file(metrics_path);
    return it == sample.end() ? -1.0 : it->second;
  };
  EXPECT_EQ(value("wsup_worker_restarts_total{reason=restart,worker=0,}"), 1);
  EXPECT_EQ(value("wsup_worker_restarts_total{reason=reload,worker=0,}"), 1);
  EXPECT_EQ(value("wsup_worker_restarts_total{reason=reload,worker=1,}"), 1);
  EXPECT_EQ(value("wsup_worker_restarts_total{reason=crash,worker=1,}"), 1);
  EXPECT_EQ(value("wsup_worker_restarts_total{reason=crash,worker=0,}"), 0);
  EXPECT_EQ(value("wsup_worker_restarts_total{reason=recycle,worker=1,}"), 0);
  double answered = 0;  // over the workers that served them
  for (const auto& [key, count] : sample)
    if (key.starts_with("wsup_requests_total{script=w,status=200,")) answered += count;
  EXPECT_EQ(answered, 6);  // the five, and the harness's readiness probe
  for (const char* who : {"process=supervisor,", "worker=0,", "worker=1,"}) {
    EXPECT_GT(value(std::string("wsup_process_resident_memory_bytes{") + who + "}"), 1 << 20)
        << who;
    EXPECT_GT(value(std::string("wsup_process_open_fds{") + who + "}"), 2) << who;
    EXPECT_GE(value(std::string("wsup_process_cpu_seconds_total{") + who + "}"), 0) << who;
    EXPECT_EQ(value(std::string("wsup_log_write_failures_total{") + who + "}"), 0) << who;
  }
  EXPECT_EQ(document->at("types").at("wsup_worker_restarts").as_string(), "counter");
  EXPECT_EQ(document->at("types").at("wsup_process_resident_memory_bytes").as_string(), "gauge");
  // Build info: one sample, 1, with the version and the V8 the workers run.
  bool build_info = false;
  for (const auto& s : document->at("samples").as_array()) {
    if (s.at("name").as_string() != "wsup_build_info") continue;
    build_info = true;
    EXPECT_EQ(s.at("value").to_number<double>(), 1);
    EXPECT_EQ(s.at("labels").at("version").as_string(), WSUP_PROJECT_VERSION);
    EXPECT_TRUE(std::string(s.at("labels").at("v8").as_string()).starts_with("10.2."))
        << s.at("labels");
  }
  EXPECT_TRUE(build_info) << read_file(metrics_path);
}

TEST(Observability, ResponsesAboveMaxResponseBytesAre502OrCutAndLogged) {
  const char* script = R"(export default {
  fetch(request) {
    const [, kind, n] = new URL(request.url).pathname.split("/");
    let left = Number(n);
    if (kind === "whole") return new Response("x".repeat(left));
    if (kind !== "stream") return new Response("ok\n");  // the harness's readiness probe
    // A stream of unknown length, 10 KiB a chunk.
    return new Response(new ReadableStream({
      pull(controller) {
        if (left <= 0) return controller.close();
        const size = Math.min(left, 10240);
        left -= size;
        controller.enqueue(new TextEncoder().encode("y".repeat(size)));
      }
    }));
  }
};
)";
  OneScriptCluster c(script,
                     "workers: 1\nlimits:\n  max_response_bytes: 20KiB\nlogging:\n  format: json",
                     WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  EXPECT_EQ(http_get(c.port, "/whole/20480").status, 200);  // at the limit
  EXPECT_EQ(http_get(c.port, "/stream/20480").status, 200);
  // One record (fits the slot) and a declared length (streamed from the worker): 502 before
  // any of it goes out.
  for (const char* path : {"/whole/30000", "/whole/300000"}) {
    HttpResult r = http_get(c.port, path);
    EXPECT_EQ(r.status, 502) << path;
    EXPECT_NE(r.body.find("limits.max_response_bytes"), std::string::npos) << r.body;
  }
  // Unknown length: the head went out, the body breaks off (no last chunk) past the limit.
  const std::string raw = send_raw(c.port, "GET /stream/300000 HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200 ")) << raw.substr(0, 200);
  EXPECT_EQ(raw.find("\r\n0\r\n\r\n"), std::string::npos) << "the cut body looks complete";
  EXPECT_LT(raw.size(), 30000u);
  // Each logged: the warning, and the access line's status and cut.
  std::string log;
  EXPECT_TRUE(eventually([&] {
    log = c.supervisor->log();
    return log.find("\"cut\":\"response_too_large\"") != std::string::npos;
  })) << log;
  size_t warnings = 0;
  for (size_t at = log.find("response body above limits.max_response_bytes");
       at != std::string::npos;
       at = log.find("response body above limits.max_response_bytes", at + 1))
    ++warnings;
  EXPECT_EQ(warnings, 3u) << log;
  EXPECT_NE(log.find("\"outcome\":\"stream cut\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"path\":\"/whole/300000\",\"status\":502"), std::string::npos) << log;
}
