// When to restart a crashed worker: exponential backoff, and "failed" after repeated crashes.
//
// A worker that crashes `max_crashes` times within `window` is marked failed and left down (an
// operator's `wsup restart-worker N` or `wsup reload` clears it), so a script that dies at start-up
// cannot make the supervisor fork in a tight loop. A worker that stayed up for `window` starts
// again from the shortest delay.
#pragma once

#include <chrono>
#include <deque>

namespace wsup::supervisor {

class RestartPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::milliseconds initial_delay{100};
    std::chrono::milliseconds max_delay{10'000};
    unsigned max_crashes = 5;
    std::chrono::milliseconds window{60'000};
  };

  RestartPolicy() = default;
  explicit RestartPolicy(Options options) : options_(options) {}

  struct Decision {
    bool give_up = false;                // mark the worker failed
    std::chrono::milliseconds delay{0};  // wait this long before restarting
  };
  // Records a crash at `now` and says what to do about it.
  Decision on_crash(Clock::time_point now);
  // Forgets the crash history (operator asked for a restart).
  void reset() { crashes_.clear(); }
  unsigned recent_crashes() const { return static_cast<unsigned>(crashes_.size()); }

 private:
  Options options_;
  std::deque<Clock::time_point> crashes_;  // crash times within the window, oldest first
};

}  // namespace wsup::supervisor
