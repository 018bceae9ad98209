// Tells systemd what the supervisor is doing, for a `Type=notify` unit (packaging/wsup.service),
// through libsystemd's sd_notify. Without $NOTIFY_SOCKET (not started by systemd, `wsup dev`)
// every call does nothing.
//
//   READY=1       every worker is ready or failed and the listeners are open (start), and again
//                 once a reload ends, replaced or refused
//   RELOADING=1   a reload began (its check runs)
//   STOPPING=1    a stop began (drain)
//   STATUS=...    "2/2 workers ready, 153.2 req/s", at most once a second and only when changed
//   WATCHDOG=1    at half of WatchdogSec ($WATCHDOG_USEC), from the main loop: a loop that hangs
//                 stops feeding it and systemd restarts the service
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace wsup::supervisor {

class SystemdNotifier {
 public:
  using Clock = std::chrono::steady_clock;
  struct Counts {
    size_t workers_ready = 0;
    size_t workers = 0;
    uint64_t served = 0;  // requests answered so far, for req/s
  };

  SystemdNotifier();

  // False when the process was not started by a notify-aware manager.
  bool enabled() const { return enabled_; }

  void ready(const Counts& counts);
  void reloading();
  void stopping();
  // On every turn of the supervisor's loops; `counts` is called only when a STATUS is due.
  void tick(Clock::time_point now, const std::function<Counts()>& counts);

 private:
  void send(const std::string& message);
  std::string status_text(const Counts& counts) const;

  bool enabled_ = false;
  std::chrono::microseconds watchdog_interval_{0};  // 0: no watchdog asked for
  Clock::time_point next_watchdog_{};
  Clock::time_point next_status_{};
  Clock::time_point last_rate_at_{};
  uint64_t last_served_ = 0;
  double rate_ = 0;
  std::string last_status_;
};

}  // namespace wsup::supervisor
