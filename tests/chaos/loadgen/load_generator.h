// Steady HTTP load against 127.0.0.1, bounded by request count and by time, counting the outcome
// of every request (see load_report.h). One thread per keep-alive connection.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/chaos/loadgen/load_report.h"

namespace wsup::chaos {

struct LoadOptions {
  uint16_t port = 0;  // on 127.0.0.1, always
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  unsigned connections = 4;
  uint64_t max_requests = 0;  // 0: bounded by duration only
  std::chrono::milliseconds duration{5'000};
  double rate = 0;  // requests per second over all connections; 0: as fast as answers come
  std::chrono::milliseconds timeout{10'000};  // per request; past it the request is lost
  // When it holds "{secret}", every request carries a fresh secret (header x-chaos-secret, query
  // ?secret=, and the body) and a 200's body must equal this text with {secret} replaced.
  std::string expect_body;
  std::string request_log;  // CSV "start_ms,latency_ms,outcome,status" per request, when set
};

// Runs until max_requests were attempted, duration passed, or *stop turned true (checked between
// requests; a request in flight finishes or times out).
LoadReport run_load(const LoadOptions& options, const std::atomic<bool>& stop);

// The bytes of one request (exposed for tests).
std::string build_request(const LoadOptions& options, const std::string& secret);

}  // namespace wsup::chaos
