// What the worker's HTTP client counts, for /metrics. Single-threaded (the worker's loop), so
// plain counters. The worker copies all of them (WorkerEgress, shared/channel.h) into its segment
// header with the heap figures (WorkerService::report_usage) and the supervisor's /metrics
// renders them (supervisor/egress_metrics.cc).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "shared/channel.h"
#include "worker/egress/subrequest.h"

namespace wsup::worker::egress {

// Time from fetch() to the response head. Each bucket counts the observations above the previous
// bound and up to its own (a Prometheus exporter sums them into cumulative buckets).
struct LatencyHistogram {
  // The bounds /metrics labels the buckets with.
  static constexpr auto kBoundsMs = WorkerEgress::kHeadLatencyBoundsMs;
  std::array<uint64_t, kBoundsMs.size() + 1> buckets{};  // the last one: above every bound
  uint64_t count = 0;
  uint64_t sum_us = 0;

  void observe(std::chrono::steady_clock::duration elapsed);
};

struct EgressStats {
  static constexpr size_t kErrorKinds = static_cast<size_t>(FetchError::Kind::decode) + 1;

  uint64_t started = 0;                        // fetch() calls
  uint64_t responses = 0;                      // response heads delivered
  uint64_t completed = 0;                      // bodies read to their end
  uint64_t aborted = 0;                        // by the caller
  std::array<uint64_t, kErrorKinds> errors{};  // by FetchError::Kind
  uint64_t redirects = 0;                      // hops followed
  uint64_t connections_opened = 0;             // established (TLS handshake done), not attempts
  uint64_t connections_reused = 0;             // exchanges on a kept-alive connection
  uint64_t body_bytes = 0;                     // response body bytes delivered (decoded)
  uint64_t sent_body_bytes = 0;  // request body bytes handed to the upstream's connection
  uint64_t passed_through = 0;   // response bodies the runtime sent on to its client in C++
  LatencyHistogram head_latency;

  WorkerEgress report() const;  // what the worker copies into its segment header
};

}  // namespace wsup::worker::egress
