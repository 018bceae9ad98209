// wsup-loadgen: steady, bounded HTTP load against 127.0.0.1 that accounts for every request.
//
//   wsup-loadgen --port 8080 --path /hello --connections 8 --rate 400 --duration 5 --out r.json
//
// Prints (or writes) a JSON report: attempted, sent, answered, status counts, connect_errors,
// lost (sent, never answered), mismatched, latency p50/p99. Exit 0 unless the arguments are bad;
// the chaos scenarios assert on the figures. SIGINT/SIGTERM end the run early, report included.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "tests/chaos/loadgen/http_exchange.h"
#include "tests/chaos/loadgen/load_generator.h"

namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

// relaxed: the flag carries no data, the load threads only need to see it eventually.
extern "C" void on_stop_signal(int) {
  g_stop.store(true, std::memory_order_relaxed);
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "wsup-loadgen: %s\n"
               "usage: wsup-loadgen (--port P | --url http://127.0.0.1:P/path) [--path /p]\n"
               "  [--method GET] [-H 'Name: value']... [--body TEXT] [--connections 4]\n"
               "  [--requests N] [--duration SECONDS] [--rate REQ_PER_S] [--timeout-ms 10000]\n"
               "  [--expect-body 'text with {secret}'] [--log requests.csv] [--out report.json]\n",
               why);
  std::exit(2);
}

bool parse_url(const std::string& url, wsup::chaos::LoadOptions& options) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  options.path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  if (colon == std::string::npos) return false;
  if (!wsup::chaos::is_loopback_host(authority.substr(0, colon))) {
    usage("only 127.0.0.1 may be loaded (the chaos suite never sends traffic elsewhere)");
  }
  options.port = static_cast<uint16_t>(std::atoi(authority.substr(colon + 1).c_str()));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  wsup::chaos::LoadOptions options;
  std::string out_path;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value after an option");
      return argv[++i];
    };
    if (arg == "--port") {
      options.port = static_cast<uint16_t>(std::atoi(value().c_str()));
    } else if (arg == "--url") {
      if (!parse_url(value(), options)) usage("--url must look like http://127.0.0.1:PORT/path");
    } else if (arg == "--path") {
      options.path = value();
    } else if (arg == "--method") {
      options.method = value();
    } else if (arg == "-H" || arg == "--header") {
      options.headers.push_back(value());
    } else if (arg == "--body") {
      options.body = value();
    } else if (arg == "--connections") {
      options.connections = static_cast<unsigned>(std::atoi(value().c_str()));
    } else if (arg == "--requests") {
      options.max_requests = std::strtoull(value().c_str(), nullptr, 10);
    } else if (arg == "--duration") {
      options.duration =
          std::chrono::milliseconds(static_cast<long long>(std::atof(value().c_str()) * 1000.0));
    } else if (arg == "--rate") {
      options.rate = std::atof(value().c_str());
    } else if (arg == "--timeout-ms") {
      options.timeout = std::chrono::milliseconds(std::atoll(value().c_str()));
    } else if (arg == "--expect-body") {
      options.expect_body = value();
    } else if (arg == "--log") {
      options.request_log = value();
    } else if (arg == "--out") {
      out_path = value();
    } else {
      usage("unknown option");
    }
  }
  if (options.port == 0) usage("--port or --url is required");
  if (options.connections == 0 || options.connections > 2000) usage("--connections: 1..2000");
  // Bounded in time always: at most ten minutes, whatever was asked.
  if (options.duration.count() <= 0 || options.duration > std::chrono::minutes(10)) {
    usage("--duration: more than 0 and at most 600 seconds");
  }
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGPIPE, SIG_IGN);

  wsup::chaos::LoadReport report = wsup::chaos::run_load(options, g_stop);
  std::string json = report.to_json();
  if (out_path.empty()) {
    std::fputs(json.c_str(), stdout);
  } else {
    std::ofstream(out_path) << json;
  }
  return 0;
}
