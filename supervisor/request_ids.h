// Request ids, unique per supervisor run. The HTTP front's requests and the cron triggers' runs
// draw from one counter: the dispatcher keys everything it holds by id.
#pragma once

#include <atomic>
#include <cstdint>

namespace wsup::supervisor {

inline uint64_t next_request_id() {
  static std::atomic<uint64_t> next{1};  // relaxed: only uniqueness matters
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace wsup::supervisor
