#include "worker/limits/cpu_watchdog.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <v8-isolate.h>

namespace wsup::worker::limits {
namespace {

[[noreturn]] void die(const char* what, int error) {
  std::fprintf(stderr, "wsup: CpuWatchdog: %s: %s\n", what, std::strerror(error));
  std::abort();
}

std::chrono::nanoseconds read_clock(clockid_t clock) {
  timespec now{};
  if (clock_gettime(clock, &now) != 0) die("clock_gettime", errno);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

}  // namespace

std::chrono::nanoseconds this_thread_cpu_time() {
  return read_clock(CLOCK_THREAD_CPUTIME_ID);
}

CpuWatchdog::CpuWatchdog(CpuWatchdogOptions options, pthread_t watched_thread) : options_(options) {
  if (int error = pthread_getcpuclockid(watched_thread, &watched_clock_); error != 0) {
    die("pthread_getcpuclockid", error);
  }
  thread_ = std::thread([this] { run(); });
}

CpuWatchdog::~CpuWatchdog() {
  if (armed_on_worker_) {
    std::fprintf(stderr, "wsup: CpuWatchdog destroyed while armed\n");
    std::abort();
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

std::chrono::nanoseconds CpuWatchdog::watched_cpu_time() const {
  return read_clock(watched_clock_);
}

void CpuWatchdog::arm(v8::Isolate* isolate, std::chrono::nanoseconds budget,
                      std::chrono::nanoseconds hard_budget) {
  if (armed_on_worker_ || isolate == nullptr) {
    std::fprintf(stderr, "wsup: CpuWatchdog::arm while armed or without an isolate\n");
    std::abort();
  }
  armed_on_worker_ = true;
  slice_start_cpu_ = this_thread_cpu_time();
  bool notify = false;
  {
    std::lock_guard lock(mutex_);
    isolate_ = isolate;
    armed_at_cpu_ = slice_start_cpu_;
    deadline_cpu_ = slice_start_cpu_ + budget;
    hard_deadline_cpu_ = hard_budget > std::chrono::nanoseconds::zero() && options_.on_stuck
                             ? slice_start_cpu_ + hard_budget
                             : std::chrono::nanoseconds::zero();
    terminated_ = false;
    escalated_ = false;
    notify = sleeping_;
  }
  // Only a watchdog asleep without a timeout needs the (system call) wake-up; a polling one
  // sees the new slice at its next poll.
  if (notify) wake_.notify_one();
}

SliceCharge CpuWatchdog::disarm() {
  SliceCharge charge;
  {
    std::lock_guard lock(mutex_);
    isolate_ = nullptr;
    charge.terminated = terminated_;
    terminated_ = false;
  }
  charge.cpu = this_thread_cpu_time() - slice_start_cpu_;
  armed_on_worker_ = false;
  return charge;
}

void CpuWatchdog::take_over(pthread_t thread) {
  clockid_t clock{};
  if (int error = pthread_getcpuclockid(thread, &clock); error != 0) {
    die("pthread_getcpuclockid", error);
  }
  {
    std::lock_guard lock(mutex_);
    watched_clock_ = clock;
    isolate_ = nullptr;  // the stranded slice's isolate is lost: never terminate it again
    terminated_ = false;
    escalated_ = false;
  }
  armed_on_worker_ = false;
}

uint64_t CpuWatchdog::terminations() const {
  std::lock_guard lock(mutex_);
  return terminations_;
}

bool CpuWatchdog::sleeping() const {
  std::lock_guard lock(mutex_);
  return sleeping_;
}

void CpuWatchdog::run() {
  std::unique_lock lock(mutex_);
  auto last_active = std::chrono::steady_clock::now();
  while (!stopping_) {
    if (isolate_ == nullptr) {
      if (std::chrono::steady_clock::now() - last_active >= options_.idle_linger) {
        sleeping_ = true;
        wake_.wait(lock, [this] { return stopping_ || isolate_ != nullptr; });
        sleeping_ = false;
        last_active = std::chrono::steady_clock::now();
        continue;
      }
      wake_.wait_for(lock, options_.poll_interval);
      continue;
    }
    last_active = std::chrono::steady_clock::now();
    auto wait = options_.poll_interval;
    if (terminated_ && !escalated_ && hard_deadline_cpu_ > std::chrono::nanoseconds::zero()) {
      const auto used = watched_cpu_time();
      if (used >= hard_deadline_cpu_) {
        // The termination did not land: the thread is in something V8 does not interrupt.
        escalated_ = true;
        options_.on_stuck(used - armed_at_cpu_);
      }
    }
    if (!terminated_) {
      const auto remaining = deadline_cpu_ - watched_cpu_time();
      if (remaining <= std::chrono::nanoseconds::zero()) {
        // Under the lock: disarm() cannot end the slice between this check and the call.
        isolate_->TerminateExecution();
        terminated_ = true;
        ++terminations_;
      } else if (remaining < wait) {
        // CPU time advances no faster than wall time, so the deadline cannot come sooner.
        wait = std::chrono::duration_cast<std::chrono::microseconds>(remaining) +
               std::chrono::microseconds(50);
      }
    }
    wake_.wait_for(lock, wait);
  }
}

}  // namespace wsup::worker::limits
