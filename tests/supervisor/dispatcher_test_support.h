// Test doubles for the dispatcher's tests: an in-memory worker ring and helpers that await a
// request's settlement.
#pragma once

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "supervisor/dispatcher.h"
#include "tests/support/eventually.h"

namespace wsup::supervisor::testing {

using namespace std::chrono_literals;

// An in-memory worker ring: holds up to `capacity` submitted requests.
class FakeChannel : public RequestChannel {
 public:
  explicit FakeChannel(size_t capacity) : capacity_(capacity) {}
  SubmitResult try_submit(const HttpRequest& r) override {
    std::lock_guard lock(mutex_);
    if (r.body.size() > 1000) return SubmitResult::too_large;
    if (queued_.size() >= capacity_) return SubmitResult::full;
    queued_.push_back(r.id);
    return SubmitResult::accepted;
  }
  bool try_cancel(uint64_t id) override {
    std::lock_guard lock(mutex_);
    ++cancel_attempts_;
    if (taken_.count(id)) return false;
    std::erase(queued_, id);
    ++cancelled_;
    return true;
  }
  bool abandon(uint64_t id) override {
    {
      std::lock_guard lock(mutex_);
      abandoned_.push_back(id);
    }
    return try_cancel(id);
  }
  void release(uint64_t id) override {
    std::lock_guard lock(mutex_);
    released_.push_back(id);
  }
  std::vector<uint64_t> abandoned() {
    std::lock_guard lock(mutex_);
    return abandoned_;
  }
  std::vector<uint64_t> released() {
    std::lock_guard lock(mutex_);
    return released_;
  }
  void take(uint64_t id) {
    std::lock_guard lock(mutex_);
    taken_.insert(id);
  }
  void answered(uint64_t id) {
    std::lock_guard lock(mutex_);
    std::erase(queued_, id);
  }
  std::vector<uint64_t> queued() {
    std::lock_guard lock(mutex_);
    return queued_;
  }
  int cancelled() {
    std::lock_guard lock(mutex_);
    return cancelled_;
  }
  // try_cancel calls, including those refused because the worker had taken the request.
  int cancel_attempts() {
    std::lock_guard lock(mutex_);
    return cancel_attempts_;
  }
  // As if the worker's thread had been running one request for a long time.
  std::chrono::nanoseconds busy_for() const override { return busy ? 10ms : 0ms; }
  std::atomic<bool> busy{false};

 private:
  std::mutex mutex_;
  size_t capacity_;
  std::vector<uint64_t> queued_;
  std::set<uint64_t> taken_;
  std::vector<uint64_t> abandoned_, released_;
  int cancelled_ = 0;
  int cancel_attempts_ = 0;
};

inline HttpRequest request(uint64_t id, size_t body = 0) {
  HttpRequest r;
  r.id = id;
  r.method = "GET";
  r.body.assign(body, 'x');
  return r;
}

inline HttpResponse response(uint64_t id, uint16_t status) {
  HttpResponse r;
  r.id = id;
  r.status = status;
  r.body = "from worker";
  return r;
}

inline auto far() {
  return std::chrono::steady_clock::now() + 10s;
}

// dispatch() with a future for its settlement, as a front would await it. A second call of
// on_done would throw std::future_error (promise already satisfied) and fail the test.
inline std::future<DispatchResult> submit(Dispatcher& d, HttpRequest r,
                                          std::chrono::steady_clock::time_point deadline) {
  auto promise = std::make_shared<std::promise<DispatchResult>>();
  std::future<DispatchResult> settled = promise->get_future();
  d.dispatch(std::move(r), deadline,
             [promise](DispatchResult result) { promise->set_value(std::move(result)); });
  return settled;
}

// Blocks until the settlement, as the blocking handle() of the threaded front did.
inline DispatchResult settle(Dispatcher& d, HttpRequest r,
                             std::chrono::steady_clock::time_point deadline) {
  return submit(d, std::move(r), deadline).get();
}

// Waits (bounded) until `channel` holds `n` requests.
inline bool wait_queued(FakeChannel& channel, size_t n) {
  return wsup::testing::eventually([&] { return channel.queued().size() >= n; });
}

}  // namespace wsup::supervisor::testing
