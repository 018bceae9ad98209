#include "worker/spare_context_maker.h"

#include <pthread.h>

#include <algorithm>

#include "worker/isolate_pool.h"
#include "worker/loop_rescue.h"
#include "worker/stopwatch.h"

namespace wsup::worker {

SpareContextMaker::SpareContextMaker(std::function<void(WorkerIsolate&)> on_done)
    : on_done_(std::move(on_done)), thread_([this] { run(); }) {}

SpareContextMaker::~SpareContextMaker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void SpareContextMaker::make_for(WorkerIsolate& isolate) {
  {
    std::lock_guard lock(mutex_);
    if (std::find(queue_.begin(), queue_.end(), &isolate) != queue_.end()) return;
    queue_.push_back(&isolate);
  }
  wake_.notify_one();
}

void SpareContextMaker::forget(WorkerIsolate& isolate) {
  std::lock_guard lock(mutex_);
  queue_.erase(std::remove(queue_.begin(), queue_.end(), &isolate), queue_.end());
}

void SpareContextMaker::run() {
  ::pthread_setname_np(::pthread_self(), "wsup-spare-ctx");  // as top -H and perf show it
  LoopRescue::mark_spare_maker_thread();  // V8 may give up on an isolate here too
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    WorkerIsolate* isolate = queue_.front();
    queue_.pop_front();
    // Claimed under mutex_: forget() then knows this thread is not between popping an isolate
    // and claiming it.
    if (!isolate->try_claim(WorkerIsolate::Holder::spare_maker)) continue;
    lock.unlock();
    const Stopwatch making;
    isolate->prepare_spare_context();
    busy_ns_.fetch_add(making.elapsed_ns(), std::memory_order_relaxed);
    isolate->unclaim();
    on_done_(*isolate);
    lock.lock();
  }
}

}  // namespace wsup::worker
