#include "worker/worker_platform.h"

namespace wsup::worker {
namespace {

// V8's regular heap page (kPageSize in V8 10.2's globals.h: 1 << 18). Large objects and code
// get other sizes and are not recycled.
constexpr size_t kHeapPageBytes = size_t{256} << 10;
// 64 pages, 16 MiB per worker process: more than the old space a worker frees between two
// mark-sweeps at its default heap size (~12 MiB, --trace-gc), so most frees are recycled.
constexpr size_t kParkedPages = 64;

// Per thread: V8 reads the clock on whichever thread runs the JavaScript that asks.
thread_local bool t_clock_frozen = false;

// Forwards every task to V8's own runner for the isolate (which PumpMessageLoop drains) and
// then tells the platform, which tells the isolate's listener.
class NotifyingTaskRunner final : public v8::TaskRunner {
 public:
  NotifyingTaskRunner(std::shared_ptr<v8::TaskRunner> inner, WorkerPlatform& platform,
                      v8::Isolate* isolate)
      : inner_(std::move(inner)), platform_(platform), isolate_(isolate) {}

  void PostTask(std::unique_ptr<v8::Task> task) override {
    inner_->PostTask(std::move(task));
    platform_.tasks_posted(isolate_, 0);
  }
  void PostNonNestableTask(std::unique_ptr<v8::Task> task) override {
    inner_->PostNonNestableTask(std::move(task));
    platform_.tasks_posted(isolate_, 0);
  }
  void PostDelayedTask(std::unique_ptr<v8::Task> task, double delay_s) override {
    inner_->PostDelayedTask(std::move(task), delay_s);
    platform_.tasks_posted(isolate_, delay_s);
  }
  void PostNonNestableDelayedTask(std::unique_ptr<v8::Task> task, double delay_s) override {
    inner_->PostNonNestableDelayedTask(std::move(task), delay_s);
    platform_.tasks_posted(isolate_, delay_s);
  }
  void PostIdleTask(std::unique_ptr<v8::IdleTask> task) override {
    inner_->PostIdleTask(std::move(task));
  }
  bool IdleTasksEnabled() override { return inner_->IdleTasksEnabled(); }
  bool NonNestableTasksEnabled() const override { return inner_->NonNestableTasksEnabled(); }
  bool NonNestableDelayedTasksEnabled() const override {
    return inner_->NonNestableDelayedTasksEnabled();
  }

 private:
  std::shared_ptr<v8::TaskRunner> inner_;
  WorkerPlatform& platform_;
  v8::Isolate* const isolate_;
};

}  // namespace

std::shared_ptr<v8::TaskRunner> WorkerPlatform::GetForegroundTaskRunner(v8::Isolate* isolate) {
  return std::make_shared<NotifyingTaskRunner>(default_->GetForegroundTaskRunner(isolate), *this,
                                               isolate);
}

void WorkerPlatform::listen_for_tasks(v8::Isolate* isolate, TaskListener listener) {
  std::lock_guard lock(listeners_mutex_);
  if (listener) {
    listeners_[isolate] = std::move(listener);
  } else {
    listeners_.erase(isolate);
  }
}

void WorkerPlatform::tasks_posted(v8::Isolate* isolate, double delay_s) {
  std::lock_guard lock(listeners_mutex_);
  auto it = listeners_.find(isolate);
  if (it != listeners_.end()) it->second(delay_s);
}

WorkerPlatform::WorkerPlatform(std::unique_ptr<v8::Platform> default_platform)
    : default_(std::move(default_platform)),
      pages_(std::make_unique<RecyclingPageAllocator>(*default_->GetPageAllocator(), kHeapPageBytes,
                                                      kParkedPages)),
      wasm_pages_(std::make_unique<WasmMemoryPageAllocator>(*pages_)) {}

WorkerPlatform::~WorkerPlatform() = default;

ClockFreeze::ClockFreeze() : was_active_(t_clock_frozen) {
  t_clock_frozen = true;
}

ClockFreeze::~ClockFreeze() {
  t_clock_frozen = was_active_;
}

bool ClockFreeze::active() {
  return t_clock_frozen;
}

double WorkerPlatform::CurrentClockTimeMillis() {
  return t_clock_frozen ? 0 : default_->CurrentClockTimeMillis();
}

}  // namespace wsup::worker
