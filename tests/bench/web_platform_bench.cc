// What install_web_platform() costs per fresh context, against a bare Context::New in the same
// run, and what a context deserialized from a snapshot with the web platform baked in costs.
//   build/release/tests/bench/web_platform_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include <v8.h>

#include "tests/worker/web/web_platform_snapshot.h"
#include "worker/v8_engine.h"
#include "worker/web/web_platform.h"

namespace {

// An isolate for the benchmark's lifetime; from `blob` when given.
class BenchIsolate {
 public:
  explicit BenchIsolate(v8::StartupData* blob = nullptr, const intptr_t* references = nullptr)
      : allocator_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()) {
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator_.get();
    params.snapshot_blob = blob;
    params.external_references = references;
    isolate_ = v8::Isolate::New(params);
  }
  ~BenchIsolate() { isolate_->Dispose(); }
  v8::Isolate* get() { return isolate_; }

 private:
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate* isolate_;
};

// Heap bytes one live context holds: the used-heap growth over kLive live contexts.
template <typename MakeContext>
double HeapPerLiveContext(v8::Isolate* isolate, MakeContext make_context) {
  constexpr int kLive = 50;
  isolate->LowMemoryNotification();
  v8::HeapStatistics before;
  isolate->GetHeapStatistics(&before);
  std::vector<v8::Global<v8::Context>> live;
  for (int i = 0; i < kLive; ++i) {
    v8::HandleScope scope(isolate);
    live.emplace_back(isolate, make_context());
  }
  isolate->LowMemoryNotification();
  v8::HeapStatistics after;
  isolate->GetHeapStatistics(&after);
  return static_cast<double>(after.used_heap_size() - before.used_heap_size()) / kLive;
}

void BM_BareContextNew(benchmark::State& state) {
  BenchIsolate isolate;
  v8::Isolate::Scope isolate_scope(isolate.get());
  for (auto _ : state) {
    v8::HandleScope scope(isolate.get());
    benchmark::DoNotOptimize(v8::Context::New(isolate.get()));
  }
  state.counters["heap_per_context"] =
      HeapPerLiveContext(isolate.get(), [&] { return v8::Context::New(isolate.get()); });
}
BENCHMARK(BM_BareContextNew)->Unit(benchmark::kMicrosecond);

void BM_ContextNewPlusInstallWebPlatform(benchmark::State& state) {
  BenchIsolate isolate;
  v8::Isolate::Scope isolate_scope(isolate.get());
  for (auto _ : state) {
    v8::HandleScope scope(isolate.get());
    v8::Local<v8::Context> context = v8::Context::New(isolate.get());
    if (!wsup::worker::web::install_web_platform(context)) state.SkipWithError("install failed");
  }
  state.counters["heap_per_context"] = HeapPerLiveContext(isolate.get(), [&] {
    v8::Local<v8::Context> context = v8::Context::New(isolate.get());
    wsup::worker::web::install_web_platform(context);
    return context;
  });
}
BENCHMARK(BM_ContextNewPlusInstallWebPlatform)->Unit(benchmark::kMicrosecond);

void BM_ContextNewFromWebPlatformSnapshot(benchmark::State& state) {
  const std::vector<intptr_t> references = wsup::test::WebPlatformReferences();
  wsup::test::StartupBlob blob;
  if (!wsup::test::MakeWebPlatformSnapshot(references, blob))
    state.SkipWithError("snapshot failed");
  state.counters["blob_bytes"] = blob.data.raw_size;
  BenchIsolate isolate(&blob.data, references.data());
  v8::Isolate::Scope isolate_scope(isolate.get());
  for (auto _ : state) {
    v8::HandleScope scope(isolate.get());
    benchmark::DoNotOptimize(v8::Context::New(isolate.get()));
  }
  state.counters["heap_per_context"] =
      HeapPerLiveContext(isolate.get(), [&] { return v8::Context::New(isolate.get()); });
}
BENCHMARK(BM_ContextNewFromWebPlatformSnapshot)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  wsup::worker::V8Engine engine(argv[0]);  // before any other thread (worker/v8_engine.h)
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
