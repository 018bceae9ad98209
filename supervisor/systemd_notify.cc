#include "supervisor/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdio>
#include <cstdlib>

#include "shared/log.h"

namespace wsup::supervisor {
namespace {
constexpr std::chrono::seconds kStatusInterval{1};
}  // namespace

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  // 0: keep $WATCHDOG_USEC in the environment (the reload check's `wsup-worker --check` ignores
  // it).
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
}

void SystemdNotifier::send(const std::string& message) {
  if (!enabled_) return;
  // 0: keep $NOTIFY_SOCKET; the supervisor notifies for its whole life.
  if (int rc = sd_notify(0, message.c_str()); rc < 0)
    log::warn("sd_notify failed", {{"message", message}, {"errno", static_cast<int64_t>(-rc)}});
}

std::string SystemdNotifier::status_text(const Counts& counts) const {
  char text[96];
  std::snprintf(text, sizeof text, "%zu/%zu workers ready, %.1f req/s", counts.workers_ready,
                counts.workers, rate_);
  return text;
}

void SystemdNotifier::ready(const Counts& counts) {
  last_status_ = status_text(counts);
  send("READY=1\nSTATUS=" + last_status_);
}

void SystemdNotifier::reloading() {
  send("RELOADING=1\nSTATUS=reloading");
  last_status_ = "reloading";
}

void SystemdNotifier::stopping() {
  send("STOPPING=1\nSTATUS=stopping");
  last_status_ = "stopping";
}

void SystemdNotifier::tick(Clock::time_point now, const std::function<Counts()>& counts) {
  if (!enabled_) return;
  if (watchdog_interval_.count() > 0 && now >= next_watchdog_) {
    send("WATCHDOG=1");
    next_watchdog_ = now + watchdog_interval_;
  }
  if (now < next_status_) return;
  next_status_ = now + kStatusInterval;
  const Counts c = counts();
  const uint64_t served = c.served;
  if (last_rate_at_ != Clock::time_point{}) {
    double seconds = std::chrono::duration<double>(now - last_rate_at_).count();
    if (seconds > 0 && served >= last_served_)
      rate_ = static_cast<double>(served - last_served_) / seconds;
  }
  last_rate_at_ = now;
  last_served_ = served;
  if (last_status_ == "reloading" || last_status_ == "stopping") return;  // until it ends
  std::string status = status_text(c);
  if (status == last_status_) return;
  last_status_ = status;
  send("STATUS=" + status);
}

}  // namespace wsup::supervisor
