#include "worker/egress/egress_stats.h"

namespace wsup::worker::egress {

void LatencyHistogram::observe(std::chrono::steady_clock::duration elapsed) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  size_t bucket = 0;
  while (bucket < kBoundsMs.size() && us > static_cast<int64_t>(kBoundsMs[bucket]) * 1000) ++bucket;
  ++buckets[bucket];
  ++count;
  sum_us += static_cast<uint64_t>(us);
}

static_assert(EgressStats::kErrorKinds == WorkerEgress::kErrorKinds.size(),
              "WorkerEgress::kErrorKinds names every FetchError::Kind, in order");
static_assert(static_cast<size_t>(FetchError::Kind::refused) == 0 &&
              static_cast<size_t>(FetchError::Kind::tls) == 4 &&
              static_cast<size_t>(FetchError::Kind::decode) == 9);

WorkerEgress EgressStats::report() const {
  WorkerEgress out;
  out.subrequests = started;
  out.responses = responses;
  out.completed = completed;
  out.aborted = aborted;
  out.errors = errors;
  out.redirects = redirects;
  out.connections_opened = connections_opened;
  out.connections_reused = connections_reused;
  out.sent_body_bytes = sent_body_bytes;
  out.received_body_bytes = body_bytes;
  out.passed_through = passed_through;
  out.head_latency_buckets = head_latency.buckets;
  out.head_latency_sum_us = head_latency.sum_us;
  return out;
}

}  // namespace wsup::worker::egress
