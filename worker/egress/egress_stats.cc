#include "worker/egress/egress_stats.h"

#include <numeric>

namespace wsup::worker::egress {

void LatencyHistogram::observe(std::chrono::steady_clock::duration elapsed) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  size_t bucket = 0;
  while (bucket < kBoundsMs.size() && us > static_cast<int64_t>(kBoundsMs[bucket]) * 1000) ++bucket;
  ++buckets[bucket];
  ++count;
  sum_us += static_cast<uint64_t>(us);
}

uint64_t EgressStats::errors_total() const {
  return std::accumulate(errors.begin(), errors.end(), uint64_t{0});
}

}  // namespace wsup::worker::egress
