// Makes request contexts ahead of time on a thread of its own.
//
// Context::New costs ~200 µs. Made on the loop thread after a response, it is still running
// when a client's next request arrives ~100 µs later, and that request waits for it. Here an
// isolate whose spare was used is handed to this thread (by IsolateTurn, when the loop's turn on
// it ends), which takes the isolate's v8::Locker between two turns, makes the spare context, and
// hands it back; the loop meanwhile runs turns on other isolates, and defers those for this one
// until the maker lets go. Which thread may touch an isolate is decided by one atomic word per
// isolate (WorkerIsolate::Holder), claimed by compare-and-swap, so the two threads never block
// on each other's Locker.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace wsup::worker {

class WorkerIsolate;

class SpareContextMaker {
 public:
  // `on_done` runs on the maker's thread each time it lets go of an isolate (work the loop
  // deferred for that isolate may run now).
  explicit SpareContextMaker(std::function<void(WorkerIsolate&)> on_done);
  ~SpareContextMaker();  // finishes the context in the making, then stops
  SpareContextMaker(const SpareContextMaker&) = delete;
  SpareContextMaker& operator=(const SpareContextMaker&) = delete;

  // Queues `isolate` for a spare context: it is skipped if the loop holds it when its turn comes
  // (the loop asks again after its turn).
  void make_for(WorkerIsolate& isolate);
  // Drops `isolate` from the queue. Call while the loop holds it: afterwards this thread never
  // touches it again, so it may be destroyed.
  void forget(WorkerIsolate& isolate);
  // Wall time this thread has spent making spare contexts, in nanoseconds (any thread).
  uint64_t busy_ns() const { return busy_ns_.load(std::memory_order_relaxed); }

 private:
  void run();

  std::function<void(WorkerIsolate&)> on_done_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<WorkerIsolate*> queue_;
  bool stopping_ = false;
  std::atomic<uint64_t> busy_ns_{0};
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace wsup::worker
