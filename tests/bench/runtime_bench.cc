// Per-request cost of the worker runtime, all in one run so the figures compare:
//   bare Context::New (V8's own snapshot), a context with wsup's globals (from the runtime's
//   startup snapshot, and installed by running the API code without one), a full hello-world
//   request through Runtime (no IPC), the same with a 20-field JSON response, one using the lazy
//   URL and TextEncoder (their first use in a context), one signing with crypto.subtle's HMAC,
//   the real apps of bench/apps by how their requests start (per request, snapshot, warm-up,
//   isolate), isolate creation, and heap held per live context.
//
//   build/release/tests/bench/runtime_bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <v8.h>
#include <boost/asio/io_context.hpp>

#include "shared/log.h"
#include "tests/worker/runtime_harness.h"
#include "worker/isolate_pool.h"
#include "worker/runtime.h"
#include "worker/startup_snapshot.h"
#include "worker/v8_engine.h"

namespace {

using wsup::worker::StartupSnapshot;

struct IsolateDeleter {
  void operator()(v8::Isolate* isolate) const { isolate->Dispose(); }
};
using IsolatePtr = std::unique_ptr<v8::Isolate, IsolateDeleter>;

IsolatePtr new_isolate(bool wsup_snapshot, v8::ArrayBuffer::Allocator* allocator) {
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator;
  if (wsup_snapshot) {
    params.snapshot_blob = StartupSnapshot::instance().blob();
    params.external_references = StartupSnapshot::instance().external_references();
  }
  return IsolatePtr(v8::Isolate::New(params));
}

// A fresh context per iteration: the plain way, or the way the runtime makes one (on a pool
// isolate from the wsup snapshot, own MicrotaskQueue, retired to the isolate when dropped).
void run_context_loop(benchmark::State& state, bool wsup_snapshot, bool install_by_script) {
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(
      v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  std::vector<wsup::worker::LoadedScript> no_scripts;
  std::optional<wsup::worker::WorkerIsolate> pool_isolate;
  IsolatePtr plain_isolate;
  v8::Isolate* isolate = nullptr;
  if (wsup_snapshot) {
    pool_isolate.emplace(no_scripts, wsup::worker::IsolateSettings{});
    isolate = pool_isolate->isolate();
  } else {
    plain_isolate = new_isolate(false, allocator.get());
    isolate = plain_isolate.get();
  }
  v8::Locker lock(isolate);  // pool isolates are always used under their Locker
  v8::Isolate::Scope isolate_scope(isolate);
  for (auto _ : state) {
    v8::HandleScope scope(isolate);
    if (wsup_snapshot) {
      auto queue = v8::MicrotaskQueue::New(isolate, v8::MicrotasksPolicy::kExplicit);
      v8::Local<v8::Context> context = v8::Context::New(isolate, nullptr, {}, {}, {}, queue.get());
      benchmark::DoNotOptimize(context);
      pool_isolate->retire_microtask_queue(context, std::move(queue));
    } else {
      v8::Local<v8::Context> context = v8::Context::New(isolate);
      if (install_by_script) {
        v8::Context::Scope context_scope(context);
        wsup::worker::install_wsup_globals(context);
      }
      benchmark::DoNotOptimize(context);
    }
  }
}

void BM_BareContextNew(benchmark::State& state) {
  run_context_loop(state, false, false);
}
void BM_ContextWithWsupGlobalsFromSnapshot(benchmark::State& state) {
  run_context_loop(state, true, false);
}
void BM_ContextWithWsupGlobalsInstalledWithoutSnapshot(benchmark::State& state) {
  run_context_loop(state, false, true);
}

void run_requests(benchmark::State& state, const std::string& source,
                  const std::string& url = "http://example.com/",
                  std::optional<wsup::worker::BakedContext> baked = std::nullopt) {
  auto harness = wsup::worker::testing::Harness::single(source, false, 1, {}, baked);
  wsup::worker::Runtime& runtime = harness->runtime();
  boost::asio::io_context& loop = harness->loop();
  size_t bytes = 0;
  for (auto _ : state) {
    runtime.handle(wsup::worker::testing::make_request("main", url),
                   wsup::worker::testing::sink_to(
                       [&bytes](wsup::HttpResponse response) { bytes += response.body.size(); }));
    loop.restart();
    loop.run();
  }
  state.counters["body_bytes"] =
      static_cast<double>(bytes) / static_cast<double>(state.iterations());
}

void BM_HelloWorldRequest(benchmark::State& state) {
  run_requests(state,
               "addEventListener('fetch', (e) => e.respondWith(new Response('Hello world')));");
}

// Latency of one request (handle() to done), when the maker had time before it to make the
// isolate's spare context: what a client sees on a lightly loaded worker.
void measure_latency_with_spare(benchmark::State& state, const std::string& source,
                                const std::string& url = "http://example.com/") {
  auto harness = wsup::worker::testing::Harness::single(source, false, 1);
  for (auto _ : state) {
    state.PauseTiming();
    if (!wsup::testing::eventually(
            [&] { return harness->runtime().stats().spare_contexts != 0; })) {
      state.SkipWithError("the spare-context maker made no spare within 10 s");
      break;
    }
    state.ResumeTiming();
    const auto begin = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point end;
    harness->runtime().handle(wsup::worker::testing::make_request("main", url),
                              wsup::worker::testing::sink_to([&end](wsup::HttpResponse) {
                                end = std::chrono::steady_clock::now();
                              }));
    harness->loop().restart();
    harness->loop().run();
    state.SetIterationTime(std::chrono::duration<double>(end - begin).count());
  }
}

void BM_HelloWorldRequestLatencyWithSpareContext(benchmark::State& state) {
  measure_latency_with_spare(
      state, "addEventListener('fetch', (e) => e.respondWith(new Response('Hello world')));");
}

void BM_Json20FieldsRequest(benchmark::State& state) {
  run_requests(state,
               "addEventListener('fetch', (e) => {\n"
               "  const body = {};\n"
               "  for (let i = 0; i < 20; i++) body['field' + i] = i % 2 ? 'value ' + i : i;\n"
               "  e.respondWith(Response.json(body));\n"
               "});");
}

// A request whose handler uses URL and TextEncoder: both lazy families run in its fresh context
// (worker/web/web_platform.cc), so this is hello world plus their first-use cost.
void BM_UrlAndTextEncoderRequest(benchmark::State& state) {
  run_requests(state,
               "addEventListener('fetch', (e) => {\n"
               "  const url = new URL(e.request.url);\n"
               "  const bytes = new TextEncoder().encode(url.pathname);\n"
               "  e.respondWith(new Response(bytes));\n"
               "});");
}

// Hono's cors idiom on a whole body: reading `.body` builds the streams family in the request's
// fresh context (its first-use cost), and the rewrapped Response hands the whole body on
// without stream work. Arg: the snapshot context the request starts from (BakedContext): 0
// plain (the family built on first use), 2 all (built into the snapshot).
constexpr const char* kRewrapScript =
    "addEventListener('fetch', (e) => {\n"
    "  const res = new Response('Hello world');\n"
    "  const out = new Response(res.body, res);\n"
    "  out.headers.set('access-control-allow-origin', '*');\n"
    "  e.respondWith(out);\n"
    "});";
void BM_ResponseRewrapRequest(benchmark::State& state) {
  run_requests(state, kRewrapScript, "http://example.com/",
               static_cast<wsup::worker::BakedContext>(state.range(0)));
}
// Hello world from the `all` context: what building every lazy family into the snapshot costs
// a request that uses none of them.
void BM_HelloWorldRequestFromAllContext(benchmark::State& state) {
  run_requests(state,
               "addEventListener('fetch', (e) => e.respondWith(new Response('Hello world')));",
               "http://example.com/", wsup::worker::BakedContext::all);
}

// A body read through a stream: the streams family's first use plus a byte stream read to
// its end and a user-made stream read by text().
void BM_StreamsFirstUseRequest(benchmark::State& state) {
  run_requests(
      state,
      "addEventListener('fetch', (e) => e.respondWith((async () => {\n"
      "  const reader = new Response('Hello').body.getReader();\n"
      "  const first = await reader.read();\n"
      "  const s = new ReadableStream({start(c) { c.enqueue(first.value); c.close(); }});\n"
      "  return new Response(await new Response(s).text());\n"
      "})()));");
}

// A request that imports an HMAC-SHA-256 key and signs 1 KiB with crypto.subtle (a webhook
// signature check): hello world plus the first use of the crypto and SubtleCrypto families.
void BM_HmacSignRequest(benchmark::State& state) {
  run_requests(state,
               "const data = new Uint8Array(1024).fill(7);\n"
               "addEventListener('fetch', (e) => e.respondWith((async () => {\n"
               "  const key = await crypto.subtle.importKey('raw', new Uint8Array(32),\n"
               "    {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']);\n"
               "  return new Response(await crypto.subtle.sign('HMAC', key, data));\n"
               "})()));");
}

constexpr const char* kBenchJsonUrl =
    "http://127.0.0.1:18080/json?id=42&name=bench&tags=a,b,c&page=2&order=desc";

// bench/scripts/json.js, or nullopt with the benchmark marked as failed.
std::optional<std::string> bench_json_script(benchmark::State& state) {
  std::ifstream file(WSUP_BENCH_SCRIPTS "/json.js");
  std::stringstream source;
  source << file.rdbuf();
  if (!file) {
    state.SkipWithError("cannot read " WSUP_BENCH_SCRIPTS "/json.js");
    return std::nullopt;
  }
  return source.str();
}

// The `json` scenario of scripts/bench, same file: a header, the URL's query, a 20-field JSON
// document. Most Workers handlers parse their URL, so this is hello world plus the first use of
// the URL family in a fresh context.
void BM_BenchJsonScenarioRequest(benchmark::State& state) {
  if (auto source = bench_json_script(state)) run_requests(state, *source, kBenchJsonUrl);
}

// The same, on the request's path only: the part of its p50 that is the worker's.
void BM_BenchJsonScenarioLatencyWithSpareContext(benchmark::State& state) {
  if (auto source = bench_json_script(state))
    measure_latency_with_spare(state, *source, kBenchJsonUrl);
}

void BM_HelloWorldModuleRequest(benchmark::State& state) {
  auto harness = wsup::worker::testing::Harness::single(
      "export default { fetch() { return new Response('Hello world'); } };", true, 1);
  for (auto _ : state) {
    harness->runtime().handle(wsup::worker::testing::make_request("main"),
                              wsup::worker::testing::sink_to(nullptr));
    harness->loop().restart();
    harness->loop().run();
  }
}

// A request of a real app (bench/apps, bundled by scripts/bench into build/bench/apps/) through
// Runtime, its CPU per request by how the script's requests start: range(0) picks the app,
// range(1) the start: 0 evaluated per request (snapshot: false), 1 from its snapshot, 2 from its
// snapshot taken after a warm-up request, 3 isolation: isolate.
void BM_AppRequest(benchmark::State& state) {
  struct App {
    const char* file;
    const char* path;
  };
  static const App kApps[] = {{"build/bench/apps/hono-api.js", "/api/users/42?fields=name,email"},
                              {"build/bench/apps/hono-zod.js", "/api/orders/123?expand=items"}};
  const App& app = kApps[state.range(0)];
  std::ifstream file(app.file);
  if (!file) return state.SkipWithError("no bundle: run scripts/bench (it bundles the apps) first");
  std::stringstream source;
  source << file.rdbuf();
  const int64_t start = state.range(1);
  const std::string url = std::string("http://localhost") + app.path;
  auto harness = wsup::worker::testing::Harness::single(
      source.str(), false, 1, {}, std::nullopt, 64, [&](wsup::worker::ScriptSpec& spec) {
        spec.snapshot = start != 0;
        if (start == 2) spec.warm_up = {app.path};
        if (start == 3) spec.isolation = wsup::worker::Isolation::isolate;
      });
  // Until each answer, not until the loop is idle: with incremental marking on (a bundle that
  // keeps a WeakMap, script_preparation.cc) V8 posts delayed GC tasks the loop would wait for.
  for (auto _ : state) {
    bool answered = false;
    harness->runtime().handle(
        wsup::worker::testing::make_request("main", url),
        wsup::worker::testing::sink_to([&](wsup::HttpResponse) { answered = true; }));
    harness->loop().restart();
    while (!answered) harness->loop().run_one();
  }
  state.SetLabel(std::string(app.file).substr(17) + (start == 0   ? " per request"
                                                     : start == 1 ? " snapshot"
                                                     : start == 2 ? " snapshot+warm-up"
                                                                  : " isolate"));
}

void BM_BareIsolateNew(benchmark::State& state) {
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(
      v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  for (auto _ : state) benchmark::DoNotOptimize(new_isolate(false, allocator.get()));
}

void BM_WorkerIsolateNew(benchmark::State& state) {
  std::vector<wsup::worker::LoadedScript> no_scripts;
  for (auto _ : state) {
    wsup::worker::WorkerIsolate isolate(no_scripts, wsup::worker::IsolateSettings{});
    benchmark::DoNotOptimize(isolate.isolate());
  }
}

// Heap held by each live context: used heap after creating N contexts and keeping them, minus
// the heap before, divided by N (full GCs on both sides).
void BM_HeapPerLiveContext(benchmark::State& state) {
  const bool wsup_snapshot = state.range(0) != 0;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(
      v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  constexpr int kContexts = 100;
  double per_context = 0;
  for (auto _ : state) {
    IsolatePtr isolate = new_isolate(wsup_snapshot, allocator.get());
    v8::Isolate::Scope isolate_scope(isolate.get());
    v8::HandleScope scope(isolate.get());
    v8::HeapStatistics before;
    v8::HeapStatistics after;
    isolate->LowMemoryNotification();
    isolate->GetHeapStatistics(&before);
    std::vector<v8::Local<v8::Context>> live;
    for (int i = 0; i < kContexts; ++i) live.push_back(v8::Context::New(isolate.get()));
    isolate->LowMemoryNotification();
    isolate->GetHeapStatistics(&after);
    per_context = (static_cast<double>(after.used_heap_size()) -
                   static_cast<double>(before.used_heap_size())) /
                  kContexts;
  }
  state.counters["heap_bytes_per_context"] = per_context;
}

}  // namespace

BENCHMARK(BM_BareContextNew);
BENCHMARK(BM_ContextWithWsupGlobalsFromSnapshot);
BENCHMARK(BM_ContextWithWsupGlobalsInstalledWithoutSnapshot);
// Requests: CPU of the whole process (the spare-context maker's thread and V8's GC thread
// included), the figure that bounds a worker's throughput.
BENCHMARK(BM_HelloWorldRequest)->MeasureProcessCPUTime();
BENCHMARK(BM_HelloWorldModuleRequest)->MeasureProcessCPUTime();
BENCHMARK(BM_HelloWorldRequestLatencyWithSpareContext)->UseManualTime();
BENCHMARK(BM_BenchJsonScenarioLatencyWithSpareContext)->UseManualTime();
BENCHMARK(BM_Json20FieldsRequest)->MeasureProcessCPUTime();
BENCHMARK(BM_UrlAndTextEncoderRequest)->MeasureProcessCPUTime();
BENCHMARK(BM_ResponseRewrapRequest)->Arg(0)->Arg(2)->MeasureProcessCPUTime();
BENCHMARK(BM_HelloWorldRequestFromAllContext)->MeasureProcessCPUTime();
BENCHMARK(BM_StreamsFirstUseRequest)->MeasureProcessCPUTime();
BENCHMARK(BM_HmacSignRequest)->MeasureProcessCPUTime();
BENCHMARK(BM_BenchJsonScenarioRequest)->MeasureProcessCPUTime();
BENCHMARK(BM_AppRequest)
    ->ArgsProduct({{0, 1}, {0, 1, 2, 3}})
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BareIsolateNew)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WorkerIsolateNew)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_HeapPerLiveContext)->Arg(0)->Arg(1)->Iterations(3);
// Instruction counts, for callgrind (steadier than time on a shared machine): the same requests
// at two fixed counts, each run alone under
//   valgrind --tool=callgrind --smc-check=all-non-file runtime_bench --benchmark_filter=<name>$
// The difference of the two totals over 200 is a hello-world request's instructions, start-up
// (the snapshot, the isolate) cancelled out.
BENCHMARK(BM_HelloWorldRequest)->Iterations(100);
BENCHMARK(BM_HelloWorldRequest)->Iterations(300);
// The same for the apps from their warmed-up snapshots: the difference over 40 is one request's.
BENCHMARK(BM_AppRequest)->ArgsProduct({{0, 1}, {2}})->Iterations(20);
BENCHMARK(BM_AppRequest)->ArgsProduct({{0, 1}, {2}})->Iterations(60);

int main(int argc, char** argv) {
  wsup::worker::testing::ensure_v8();  // before any thread, as in wsup-worker
  wsup::log::set_level(wsup::log::Level::warn);
  StartupSnapshot::instance();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
