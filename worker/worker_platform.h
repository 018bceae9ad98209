// The v8::Platform a worker process gives V8: V8's default platform (its worker threads, task
// queues and clock) with wsup's page allocators in front of the heap's page mappings (heap pages
// recycled, WebAssembly memories charged to their isolate's budget), and task
// runners that tell the worker's loop when V8 posts work for an isolate's thread (a WebAssembly
// compilation finished on a background thread, a FinalizationRegistry callback is due): the loop
// is asleep in epoll, not pumping V8's queues, so without the word such work would wait for the
// next request.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include <v8-platform.h>

#include "worker/recycling_page_allocator.h"
#include "worker/wasm_memory_budget.h"

namespace wsup::worker {

// While one lives on a thread, the wall clock V8 reads there (Date.now(), new Date()) says 0:
// 1970-01-01T00:00:00Z. The snapshot builder holds one while a script's top level runs, where
// deployed Cloudflare Workers read the clock as 0 too (worker/global_scope.h).
class ClockFreeze {
 public:
  ClockFreeze();
  ~ClockFreeze();
  ClockFreeze(const ClockFreeze&) = delete;
  ClockFreeze& operator=(const ClockFreeze&) = delete;
  static bool active();  // on the calling thread

 private:
  bool was_active_;
};

class WorkerPlatform final : public v8::Platform {
 public:
  // `default_platform` is what v8::platform::NewDefaultPlatform returned; its task queues must
  // still be pumped through it (v8::platform::PumpMessageLoop needs that very object).
  explicit WorkerPlatform(std::unique_ptr<v8::Platform> default_platform);
  ~WorkerPlatform() override;

  v8::Platform& default_platform() { return *default_; }
  const RecyclingPageAllocator& page_allocator() const { return *pages_; }

  // WebAssembly memories charged to their isolate's budget, then heap pages recycled.
  v8::PageAllocator* GetPageAllocator() override { return wasm_pages_.get(); }
  const WasmMemoryPageAllocator& wasm_page_allocator() const { return *wasm_pages_; }
  void OnCriticalMemoryPressure() override { default_->OnCriticalMemoryPressure(); }
  bool OnCriticalMemoryPressure(size_t length) override {
    return default_->OnCriticalMemoryPressure(length);
  }
  int NumberOfWorkerThreads() override { return default_->NumberOfWorkerThreads(); }
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate) override;

  // Called on whatever thread V8 posts a task for `isolate`'s thread from, with its delay in
  // seconds (0: due now). An empty listener stops the calls; once listen_for_tasks returns, the
  // previous listener is not running and will not run again.
  using TaskListener = std::function<void(double delay_s)>;
  void listen_for_tasks(v8::Isolate* isolate, TaskListener listener);
  void tasks_posted(v8::Isolate* isolate, double delay_s);
  void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    default_->CallOnWorkerThread(std::move(task));
  }
  void CallBlockingTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    default_->CallBlockingTaskOnWorkerThread(std::move(task));
  }
  void CallLowPriorityTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    default_->CallLowPriorityTaskOnWorkerThread(std::move(task));
  }
  void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay_s) override {
    default_->CallDelayedOnWorkerThread(std::move(task), delay_s);
  }
  bool IdleTasksEnabled(v8::Isolate* isolate) override {
    return default_->IdleTasksEnabled(isolate);
  }
  std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority,
                                         std::unique_ptr<v8::JobTask> job) override {
    return default_->PostJob(priority, std::move(job));
  }
  double MonotonicallyIncreasingTime() override { return default_->MonotonicallyIncreasingTime(); }
  // Date.now() and new Date(): 0 on a thread inside a ClockFreeze.
  double CurrentClockTimeMillis() override;
  StackTracePrinter GetStackTracePrinter() override { return default_->GetStackTracePrinter(); }
  v8::TracingController* GetTracingController() override {
    return default_->GetTracingController();
  }

 private:
  std::unique_ptr<v8::Platform> default_;
  std::unique_ptr<RecyclingPageAllocator> pages_;
  std::unique_ptr<WasmMemoryPageAllocator> wasm_pages_;  // in front of pages_
  // Held while a listener runs, so that removing one waits for a call in progress.
  std::mutex listeners_mutex_;
  std::map<v8::Isolate*, TaskListener> listeners_;
};

}  // namespace wsup::worker
