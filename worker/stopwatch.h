// Wall time of one stretch of work, for the counters that split a worker's time (context
// creation, spare contexts, JavaScript): steady_clock reads cost ~20 ns, cheap per request.
#pragma once

#include <chrono>
#include <cstdint>

namespace wsup::worker {

class Stopwatch {
 public:
  uint64_t elapsed_ns() const {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now() - began_)
                                     .count());
  }

 private:
  std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
};

}  // namespace wsup::worker
