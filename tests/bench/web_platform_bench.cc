// What install_web_platform() costs per fresh context, against a bare Context::New in the same
// run, and what a context deserialized from a snapshot with the web platform baked in costs;
// what the crypto families cost on first use in such a context (getRandomValues alone, then
// SubtleCrypto), and SubtleCrypto's calls: HMAC-SHA-256 of 1 KiB and ECDSA P-256 verification.
//   build/release/tests/bench/web_platform_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
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

// A context from the web platform snapshot, then `source` run in it: the first use of what the
// source touches. The source yields a promise only where it must settle (microtasks run).
void RunFirstUse(benchmark::State& state, const char* source) {
  const std::vector<intptr_t> references = wsup::test::WebPlatformReferences();
  wsup::test::StartupBlob blob;
  if (!wsup::test::MakeWebPlatformSnapshot(references, blob))
    state.SkipWithError("snapshot failed");
  BenchIsolate isolate(&blob.data, references.data());
  v8::Isolate::Scope isolate_scope(isolate.get());
  for (auto _ : state) {
    v8::HandleScope scope(isolate.get());
    v8::Local<v8::Context> context = v8::Context::New(isolate.get());
    v8::Context::Scope context_scope(context);
    v8::Local<v8::Script> script;
    if (!v8::Script::Compile(context,
                             v8::String::NewFromUtf8(isolate.get(), source).ToLocalChecked())
             .ToLocal(&script) ||
        script->Run(context).IsEmpty()) {
      state.SkipWithError("the script failed");
      break;
    }
    isolate.get()->PerformMicrotaskCheckpoint();
  }
}

void BM_ContextThenGetRandomValues(benchmark::State& state) {
  RunFirstUse(state, "crypto.getRandomValues(new Uint8Array(16));");
}
BENCHMARK(BM_ContextThenGetRandomValues)->Unit(benchmark::kMicrosecond);

void BM_ContextThenSubtleDigest(benchmark::State& state) {
  RunFirstUse(state, "crypto.subtle.digest('SHA-256', new Uint8Array(16));");
}
BENCHMARK(BM_ContextThenSubtleDigest)->Unit(benchmark::kMicrosecond);

void BM_ContextThenHmacImportAndSign(benchmark::State& state) {
  RunFirstUse(state,
              "crypto.subtle.importKey('raw', new Uint8Array(32), {name: 'HMAC', hash: "
              "'SHA-256'}, false, ['sign']).then((key) => crypto.subtle.sign('HMAC', key, new "
              "Uint8Array(1024)));");
}
BENCHMARK(BM_ContextThenHmacImportAndSign)->Unit(benchmark::kMicrosecond);

// One SubtleCrypto call per iteration in a prepared context: `setup` (run once, its promise
// settled) leaves what `call` needs in globals; `call` is run as a function each iteration, and
// its promise must resolve to a truthy value.
void RunSubtleCall(benchmark::State& state, const std::string& setup, const std::string& call) {
  BenchIsolate isolate;
  v8::Isolate* raw = isolate.get();
  v8::Isolate::Scope isolate_scope(raw);
  v8::HandleScope scope(raw);
  v8::Local<v8::Context> context = v8::Context::New(raw);
  v8::Context::Scope context_scope(context);
  auto run = [&](const std::string& source) {
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> result;
    if (!v8::Script::Compile(context, v8::String::NewFromUtf8(raw, source.c_str()).ToLocalChecked())
             .ToLocal(&script) ||
        !script->Run(context).ToLocal(&result)) {
      return v8::Local<v8::Value>();
    }
    raw->PerformMicrotaskCheckpoint();
    return result;
  };
  v8::Local<v8::Value> ready;
  if (!wsup::worker::web::install_web_platform(context) ||
      run("globalThis.ready = false; (async () => {" + setup + "})().then(() => ready = true);")
          .IsEmpty() ||
      !(ready = run("ready"))->IsTrue()) {
    state.SkipWithError("set-up failed");
    return;
  }
  v8::Local<v8::Value> function = run("(function () { return " + call + "; })");
  if (function.IsEmpty() || !function->IsFunction()) {
    state.SkipWithError("the call does not compile");
    return;
  }
  for (auto _ : state) {
    v8::HandleScope iteration(raw);
    v8::Local<v8::Value> promise;
    if (!function.As<v8::Function>()
             ->Call(context, context->Global(), 0, nullptr)
             .ToLocal(&promise) ||
        !promise->IsPromise() || promise.As<v8::Promise>()->State() != v8::Promise::kFulfilled ||
        !promise.As<v8::Promise>()->Result()->BooleanValue(raw)) {
      state.SkipWithError("the call failed");
      break;
    }
  }
}

void BM_SubtleHmacSha256Sign1KiB(benchmark::State& state) {
  RunSubtleCall(state,
                "globalThis.data = new Uint8Array(1024).fill(7);"
                "globalThis.key = await crypto.subtle.importKey('raw', new Uint8Array(32),"
                "  {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']);",
                "crypto.subtle.sign('HMAC', key, data)");
}
BENCHMARK(BM_SubtleHmacSha256Sign1KiB)->Unit(benchmark::kMicrosecond);

void BM_SubtleEcdsaP256Verify(benchmark::State& state) {
  RunSubtleCall(
      state,
      "globalThis.data = new Uint8Array(1024).fill(7);"
      "const pair = await crypto.subtle.generateKey({name: 'ECDSA', namedCurve: 'P-256'},"
      "  false, ['sign', 'verify']);"
      "globalThis.key = pair.publicKey;"
      "globalThis.algorithm = {name: 'ECDSA', hash: 'SHA-256'};"
      "globalThis.signature = await crypto.subtle.sign(algorithm, pair.privateKey, data);",
      "crypto.subtle.verify(algorithm, key, signature, data)");
}
BENCHMARK(BM_SubtleEcdsaP256Verify)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  wsup::worker::V8Engine engine(argv[0]);  // before any other thread (worker/v8_engine.h)
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
