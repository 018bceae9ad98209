// The v8::Platform a worker process gives V8: V8's default platform (its worker threads, task
// queues and clock) with wsup's page allocator in front of the heap's page mappings.
#pragma once

#include <memory>

#include <v8-platform.h>

#include "worker/recycling_page_allocator.h"

namespace wsup::worker {

class WorkerPlatform final : public v8::Platform {
 public:
  // `default_platform` is what v8::platform::NewDefaultPlatform returned; its task queues must
  // still be pumped through it (v8::platform::PumpMessageLoop needs that very object).
  explicit WorkerPlatform(std::unique_ptr<v8::Platform> default_platform);
  ~WorkerPlatform() override;

  v8::Platform& default_platform() { return *default_; }
  const RecyclingPageAllocator& page_allocator() const { return *pages_; }

  v8::PageAllocator* GetPageAllocator() override { return pages_.get(); }
  void OnCriticalMemoryPressure() override { default_->OnCriticalMemoryPressure(); }
  bool OnCriticalMemoryPressure(size_t length) override {
    return default_->OnCriticalMemoryPressure(length);
  }
  int NumberOfWorkerThreads() override { return default_->NumberOfWorkerThreads(); }
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate) override {
    return default_->GetForegroundTaskRunner(isolate);
  }
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
  double CurrentClockTimeMillis() override { return default_->CurrentClockTimeMillis(); }
  StackTracePrinter GetStackTracePrinter() override { return default_->GetStackTracePrinter(); }
  v8::TracingController* GetTracingController() override {
    return default_->GetTracingController();
  }

 private:
  std::unique_ptr<v8::Platform> default_;
  std::unique_ptr<RecyclingPageAllocator> pages_;
};

}  // namespace wsup::worker
