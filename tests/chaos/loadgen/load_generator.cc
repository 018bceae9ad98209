#include "tests/chaos/loadgen/load_generator.h"

#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "tests/chaos/loadgen/http_exchange.h"

namespace wsup::chaos {
namespace {

using Clock = std::chrono::steady_clock;

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

struct LogLine {
  double start_ms;
  double latency_ms;
  Outcome outcome;
  int status;
};

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::answered:
      return "answered";
    case Outcome::connect_error:
      return "connect_error";
    case Outcome::lost:
      return "lost";
  }
  return "?";
}

class ConnectionLoop {
 public:
  ConnectionLoop(const LoadOptions& options, unsigned index, std::atomic<uint64_t>& budget,
                 const std::atomic<bool>& stop, Clock::time_point start)
      : options_(options),
        index_(index),
        budget_(budget),
        stop_(stop),
        start_(start),
        connection_(options.port, options.timeout),
        random_(std::random_device{}() ^ index) {}

  void run() {
    const auto end = start_ + options_.duration;
    const bool paced = options_.rate > 0;
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(paced ? options_.connections / options_.rate : 0));
    // Stagger connections so a paced load is spread evenly over each interval.
    auto next = start_ + interval * index_ / std::max(1u, options_.connections);
    uint64_t sequence = 0;
    for (;;) {
      // relaxed: the stop flag and the budget carry no data; only their own value matters.
      if (stop_.load(std::memory_order_relaxed)) break;
      if (paced) {
        if (next >= end) break;
        std::this_thread::sleep_until(next);  // sleep-ok: pacing to the requested rate
        next += interval;
      }
      if (Clock::now() >= end) break;
      if (options_.max_requests > 0) {
        uint64_t left = budget_.load(std::memory_order_relaxed);
        do {
          if (left == 0) return;
        } while (!budget_.compare_exchange_weak(left, left - 1, std::memory_order_relaxed));
      }
      one_request(sequence++);
    }
  }

  LoadReport report;
  std::vector<LogLine> log;

 private:
  void one_request(uint64_t sequence) {
    std::string secret;
    if (!options_.expect_body.empty()) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "c%u-n%llu-%016llx", index_,
                    static_cast<unsigned long long>(sequence),
                    static_cast<unsigned long long>(random_()));
      secret = buf;
    }
    const std::string request = build_request(options_, secret);
    auto began = Clock::now();
    Exchange ex = connection_.round_trip(request);
    auto took = Clock::now() - began;
    auto took_us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
    report.attempted++;
    switch (ex.outcome) {
      case Outcome::connect_error:
        report.connect_errors++;
        report.errors[ex.error]++;
        break;
      case Outcome::lost:
        report.sent++;
        report.lost++;
        report.errors[ex.error]++;
        break;
      case Outcome::answered:
        report.sent++;
        report.answered++;
        report.by_status[ex.status]++;
        report.latencies_us.push_back(static_cast<uint32_t>(took_us));
        if (ex.status >= 200 && ex.status < 300) {
          report.latencies_2xx_us.push_back(static_cast<uint32_t>(took_us));
        }
        if (!options_.expect_body.empty() && ex.status == 200) check_body(ex.body, secret);
        break;
    }
    if (!options_.request_log.empty()) {
      log.push_back({std::chrono::duration<double, std::milli>(began - start_).count(),
                     took_us / 1000.0, ex.outcome, ex.status});
    }
    if (ex.outcome == Outcome::connect_error) {
      // sleep-ok: back-off, so a connect error against a dead port does not spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  void check_body(const std::string& body, const std::string& secret) {
    std::string expected = replace_all(options_.expect_body, "{secret}", secret);
    if (body == expected) return;
    report.mismatched++;
    if (report.mismatch_examples.size() < 5) {
      report.mismatch_examples.push_back("expected [" + expected + "] got [" + body.substr(0, 300) +
                                         "]");
    }
  }

  const LoadOptions& options_;
  unsigned index_;
  std::atomic<uint64_t>& budget_;
  const std::atomic<bool>& stop_;
  Clock::time_point start_;
  HttpConnection connection_;
  std::mt19937_64 random_;
};

void write_log(const std::string& path, const std::vector<std::unique_ptr<ConnectionLoop>>& loops) {
  std::ofstream out(path);
  out << "start_ms,latency_ms,outcome,status\n";
  for (auto& loop : loops) {
    for (auto& line : loop->log) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "%.3f,%.3f,%s,%d\n", line.start_ms, line.latency_ms,
                    outcome_name(line.outcome), line.status);
      out << buf;
    }
  }
}

}  // namespace

std::string build_request(const LoadOptions& options, const std::string& secret) {
  std::string path = options.path;
  std::string body = options.body;
  std::string request;
  if (!secret.empty()) {
    path += (path.find('?') == std::string::npos ? "?secret=" : "&secret=") + secret;
    body = secret;
  }
  request = options.method + " " + path +
            " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(options.port) + "\r\n";
  for (auto& header : options.headers) request += header + "\r\n";
  if (!secret.empty()) request += "x-chaos-secret: " + secret + "\r\n";
  if (!body.empty() || options.method == "POST" || options.method == "PUT") {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  return request;
}

LoadReport run_load(const LoadOptions& options, const std::atomic<bool>& stop) {
  std::atomic<uint64_t> budget{options.max_requests};
  const auto start = Clock::now();
  std::vector<std::unique_ptr<ConnectionLoop>> loops;
  for (unsigned i = 0; i < options.connections; ++i) {
    loops.push_back(std::make_unique<ConnectionLoop>(options, i, budget, stop, start));
  }
  {
    std::vector<std::jthread> threads;
    for (auto& loop : loops) threads.emplace_back([&loop] { loop->run(); });
  }
  LoadReport total;
  for (auto& loop : loops) total.merge(loop->report);
  total.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (!options.request_log.empty()) write_log(options.request_log, loops);
  return total;
}

}  // namespace wsup::chaos
