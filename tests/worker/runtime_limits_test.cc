// Per-request limits through the runtime: CPU (503), heap (503, isolate replaced), ArrayBuffer
// budget (RangeError), each followed by a request that works on the same worker.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kScript =
    "export default { async fetch(r) {\n"
    "  const path = r.url.slice('http://x'.length);\n"
    "  if (path === '/spin') for (;;) {}\n"
    "  if (path === '/spin-later') { await new Promise((d) => setTimeout(d, 1)); for (;;) {} }\n"
    "  if (path === '/spin-microtasks') { const loop = () => Promise.resolve().then(loop); "
    "loop(); await new Promise(() => {}); }\n"
    "  if (path === '/digest-forever') { const w = new crypto.DigestStream('SHA-256').getWriter();"
    " const chunk = new Uint8Array(1 << 16); for (;;) await w.write(chunk); }\n"
    "  if (path === '/grow') { const keep = []; for (;;) keep.push(new Array(1e5).fill(1.5)); }\n"
    "  if (path === '/wait') { await new Promise((d) => setTimeout(d, 60000)); }\n"
    "  if (path === '/buffer') { try { new ArrayBuffer(2 ** 31); return new Response('allocated'); "
    "} catch (e) { return new Response(e.constructor.name); } }\n"
    "  if (path === '/encode') { const keep = []; for (let i = 0; i < 7; i++) keep.push(new "
    "ArrayBuffer(8 << 20));\n"
    "    try { await new Response('x'.repeat(16 << 20)).arrayBuffer(); return new "
    "Response('encoded'); } catch (e) { return new Response(e.constructor.name); } }\n"
    "  if (path === '/natives') { const keep = new ArrayBuffer((64 << 20) - 8); const seen = [];\n"
    "    try { new TextEncoder().encode('x'.repeat(2 << 20)); seen.push('encoded'); } catch (e) { "
    "seen.push(e.constructor.name); }\n"
    "    try { await crypto.subtle.digest('SHA-256', new Uint8Array(8)); seen.push('digested'); } "
    "catch (e) { seen.push(e.constructor.name); }\n"
    "    return new Response(seen.join(' ') + ' ' + keep.byteLength); }\n"
    "  if (path === '/wasm-huge') { try { new WebAssembly.Memory({initial: 49152}); return new "
    "Response('allocated'); } catch (e) { return new Response(e.constructor.name); } }\n"
    "  if (path === '/wasm-many') { const keep = []; try { for (;;) keep.push(new "
    "WebAssembly.Memory({initial: 256})); } catch (e) { return new Response(e.constructor.name + "
    "' ' + keep.length); } }\n"
    "  if (path === '/wasm-grow') { const m = new WebAssembly.Memory({initial: 1, maximum: "
    "65536}); "
    "let n = 0; try { for (;;) { m.grow(64); n++; } } catch (e) { return new "
    "Response(e.constructor.name + ' ' + m.buffer.byteLength); } }\n"
    "  if (path === '/wasm-over') { const a = new WebAssembly.Memory({initial: 640}); const b = "
    "new "
    "WebAssembly.Memory({initial: 640}); return new Response('both ' + a.buffer.byteLength + "
    "b.buffer.byteLength); }\n"
    "  globalThis.survivor = (globalThis.survivor || 0) + 1;\n"
    "  return new Response('ok ' + globalThis.survivor);\n"
    "} };\n";

HttpResponse quiet_fetch(Harness& harness, const std::string& path) {
  ::testing::internal::CaptureStderr();
  HttpResponse response = harness.fetch("main", "http://x" + path);
  ::testing::internal::GetCapturedStderr();
  return response;
}

TEST(RuntimeLimitsTest, CpuLimitGives503ThenTheSameIsolateServes) {
  RuntimeLimits limits;
  limits.cpu_ms = 20;
  auto harness = Harness::single(kScript, true, 1, limits);
  // A DigestStream's hashing runs in the request's slices: its CPU is the request's.
  for (const char* path : {"/spin", "/spin-later", "/spin-microtasks", "/digest-forever"}) {
    HttpResponse spin = quiet_fetch(*harness, path);
    EXPECT_EQ(spin.status, 503) << path;
    EXPECT_THAT(spin.body, HasSubstr("CPU time limit")) << path;
    HttpResponse next = quiet_fetch(*harness, "/");
    EXPECT_EQ(next.status, 200) << path;
    EXPECT_EQ(next.body, "ok 1") << path;
  }
}

TEST(RuntimeLimitsTest, HeapLimitGives503AndTheIsolateIsReplaced) {
  RuntimeLimits limits;
  limits.heap_mib = 32;
  limits.cpu_ms = 10000;  // the heap, not the CPU, must stop it
  auto harness = Harness::single(kScript, true, 1, limits);
  HttpResponse grow = quiet_fetch(*harness, "/grow");
  EXPECT_EQ(grow.status, 503);
  EXPECT_THAT(grow.body, HasSubstr("memory limit"));
  HttpResponse next = quiet_fetch(*harness, "/");
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "ok 1");
}

TEST(RuntimeLimitsTest, HeapLimitFailsTheOtherRequestsOfTheIsolateAndTheNextOneServes) {
  RuntimeLimits limits;
  limits.heap_mib = 32;
  limits.cpu_ms = 10000;
  auto harness = Harness::single(kScript, true, 1, limits);
  std::vector<HttpRequest> requests;
  requests.push_back(make_request("main", "http://x/wait"));  // shares the isolate's heap
  requests.push_back(make_request("main", "http://x/grow"));
  ::testing::internal::CaptureStderr();
  std::vector<HttpResponse> responses = harness->fetch_all(std::move(requests));
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(responses[0].status, 503);
  EXPECT_THAT(responses[0].body, HasSubstr("being replaced"));
  EXPECT_EQ(responses[1].status, 503);
  EXPECT_THAT(responses[1].body, HasSubstr("memory limit"));
  EXPECT_THAT(log, HasSubstr("replacing an isolate that reached its heap limit"));
  HttpResponse next = quiet_fetch(*harness, "/");
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "ok 1");
  EXPECT_EQ(harness->runtime().stats().isolates_replaced, 1u);
}

TEST(RuntimeLimitsTest, HugeArrayBufferIsARangeErrorNotADeadProcess) {
  RuntimeLimits limits;
  limits.heap_mib = 64;
  limits.cpu_ms = 10000;  // the heap budget must stop it, also where TSan makes it slow
  auto harness = Harness::single(kScript, true, 1, limits);
  EXPECT_EQ(quiet_fetch(*harness, "/buffer").body, "RangeError");
  EXPECT_EQ(quiet_fetch(*harness, "/").body, "ok 1");
  // The runtime's own buffers (a body encoded to bytes) count against the budget too.
  EXPECT_EQ(quiet_fetch(*harness, "/encode").body, "RangeError");
  EXPECT_EQ(quiet_fetch(*harness, "/").body, "ok 1");
}

// WebAssembly memories come from the page allocator, not the ArrayBuffer allocator: they are
// charged to the same budget (worker/wasm_memory_budget.h). One larger than the budget, more of
// them than fit, or growing past it: a RangeError. Two that each fit but not together: the
// second cannot be refused (V8 would abort), so the isolate counts as out of memory (503).
TEST(RuntimeLimitsTest, WebAssemblyMemoriesCountAgainstTheArrayBufferBudget) {
  RuntimeLimits limits;
  limits.heap_mib = 64;
  limits.cpu_ms = 10000;
  auto harness = Harness::single(kScript, true, 1, limits);
  EXPECT_EQ(quiet_fetch(*harness, "/wasm-huge").body, "RangeError");
  EXPECT_EQ(quiet_fetch(*harness, "/wasm-many").body, "RangeError 4");  // 4 x 16 MiB
  // 1 page, then 15 grows of 64 pages: one more would pass the 1024 pages of 64 MiB.
  EXPECT_EQ(quiet_fetch(*harness, "/wasm-grow").body, "RangeError 62980096");
  EXPECT_EQ(quiet_fetch(*harness, "/").body, "ok 1");
  HttpResponse over = quiet_fetch(*harness, "/wasm-over");  // 2 x 40 MiB
  EXPECT_EQ(over.status, 503);
  EXPECT_THAT(over.body, HasSubstr("memory limit"));
  EXPECT_EQ(quiet_fetch(*harness, "/").body, "ok 1");
  EXPECT_EQ(harness->runtime().stats().isolates_replaced, 1u);
}

// Natives that make ArrayBuffers (TextEncoder, crypto.subtle.digest) take them from the budget:
// with the budget nearly spent they throw a RangeError, where V8's ArrayBuffer::New would have
// ended the process.
TEST(RuntimeLimitsTest, NativesPastTheArrayBufferBudgetThrowRangeErrors) {
  RuntimeLimits limits;
  limits.heap_mib = 64;
  limits.cpu_ms = 10000;
  auto harness = Harness::single(kScript, true, 1, limits);
  EXPECT_EQ(quiet_fetch(*harness, "/natives").body, "RangeError RangeError 67108856");
  EXPECT_EQ(quiet_fetch(*harness, "/").body, "ok 1");
}

}  // namespace
}  // namespace wsup::worker::testing
