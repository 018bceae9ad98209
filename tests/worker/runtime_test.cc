// The runtime's execution model: both script styles, a fresh context per request, errors as
// responses, timers and overlapping requests.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/worker/runtime_harness.h"
#include "worker/worker_platform.h"

namespace wsup::worker::testing {
namespace {

TEST(RuntimeTest, ServiceWorkerHelloWorld) {
  auto harness = Harness::single(
      "addEventListener('fetch', (event) => event.respondWith(new Response('hello world')));",
      false);
  HttpResponse response = harness->fetch();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello world");
  ASSERT_NE(find_header(response, "content-type"), nullptr);
  EXPECT_EQ(*find_header(response, "content-type"), "text/plain;charset=UTF-8");
}

// cluster.yaml `webassembly: auto`: the global costs ~70 µs per context, so it is installed only
// for scripts that mention it.
TEST(RuntimeTest, WebAssemblyIsInstalledWhenAScriptMentionsIt) {
  auto harness = Harness::single(
      "addEventListener('fetch', (event) => {\n"
      "  const empty = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));\n"
      "  event.respondWith(new Response(String(new WebAssembly.Instance(empty) instanceof "
      "WebAssembly.Instance)));\n"
      "});",
      false);
  HttpResponse response = harness->fetch();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "true");
}

TEST(RuntimeTest, WebAssemblyIsLeftOutWhenNoScriptMentionsIt) {
  auto harness = Harness::single(
      "addEventListener('fetch', (event) => event.respondWith(new Response("
      "typeof globalThis['Web' + 'Assem' + 'bly'])));",
      false);
  HttpResponse response = harness->fetch();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "undefined");
}

TEST(RuntimeTest, ModuleHelloWorld) {
  auto harness = Harness::single(
      "export default { async fetch(request) { return new Response('hi ' + request.url); } };",
      true);
  HttpResponse response = harness->fetch("main", "http://example.com/a?b=1");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hi http://example.com/a?b=1");
}

// Each context dies as a whole, so V8 keeps freeing whole heap pages; WorkerPlatform's allocator
// must hand them back to it instead of unmapping and faulting in fresh ones.
TEST(RuntimeTest, HeapPagesFreedAfterGarbageCollectionAreReused) {
  const RecyclingPageAllocator& pages = ensure_v8().worker_platform().page_allocator();
  size_t reused_before = pages.reused();
  auto harness = Harness::single(
      "addEventListener('fetch', (e) => e.respondWith(new Response('x'.repeat(1000))));", false);
  // ~150 KB of old space per context: a few hundred requests span several mark-sweeps.
  for (int i = 0; i < 400; ++i) ASSERT_EQ(harness->fetch().status, 200);
  EXPECT_GT(pages.reused(), reused_before);
}

}  // namespace
}  // namespace wsup::worker::testing

namespace wsup::worker::testing {
namespace {

TEST(RuntimeIsolationTest, GlobalsPrototypePatchesAndModuleStateDoNotLeakToTheNextRequest) {
  // One isolate, so both requests run on the same one.
  auto harness = Harness::single(
      "let counter = 0;\n"
      "export default { async fetch(request) {\n"
      "  counter += 1;\n"
      "  const seen = [typeof globalThis.leaked, typeof [].x, counter, typeof "
      "Response.prototype.y];\n"
      "  globalThis.leaked = 'secret'; Array.prototype.x = 1; Response.prototype.y = 2;\n"
      "  return new Response(JSON.stringify(seen));\n"
      "} };\n",
      true, 1);
  EXPECT_EQ(harness->fetch().body, R"(["undefined","undefined",1,"undefined"])");
  EXPECT_EQ(harness->fetch().body, R"(["undefined","undefined",1,"undefined"])");
}

TEST(RuntimeIsolationTest, ServiceWorkerGlobalsDoNotLeakToTheNextRequest) {
  auto harness = Harness::single(
      "var hits = (globalThis.hits || 0) + 1; globalThis.hits = hits; Object.prototype.z = 1;\n"
      "addEventListener('fetch', (e) => e.respondWith(new Response(String(hits))));",
      false, 1);
  EXPECT_EQ(harness->fetch().body, "1");
  EXPECT_EQ(harness->fetch().body, "1");
}

TEST(RuntimeIsolationTest, ScriptAListenerNeverAnswersForScriptB) {
  TempDir dir;
  Harness harness({ScriptSpec{"a",
                              dir.write("a.js",
                                        "addEventListener('fetch', e => "
                                        "e.respondWith(new Response('from a')));"),
                              false,
                              {},
                              {}},
                   ScriptSpec{"b",
                              dir.write("b.js",
                                        "addEventListener('fetch', e => "
                                        "e.respondWith(new Response('from b')));"),
                              false,
                              {},
                              {}}},
                  1);
  EXPECT_EQ(harness.fetch("a").body, "from a");
  EXPECT_EQ(harness.fetch("b").body, "from b");
  EXPECT_EQ(harness.fetch("a").body, "from a");
}

TEST(RuntimeTest, ModuleImportsRelativeFilesOfItsFolder) {
  TempDir dir;
  dir.write("lib/greet.mjs",
            "import { bang } from '../util.mjs';\n"
            "export function greet(n) { return 'hello ' + n + bang; }");
  dir.write("util.mjs", "export const bang = '!';");
  Harness harness({ScriptSpec{"m",
                              dir.write("main.mjs",
                                        "import { greet } from './lib/greet.mjs';\n"
                                        "export default { fetch() { return new "
                                        "Response(greet('you')); } };"),
                              true,
                              {},
                              {}}});
  EXPECT_EQ(harness.fetch("m").body, "hello you!");
  EXPECT_EQ(harness.fetch("m").body, "hello you!");
}

TEST(RuntimeTest, EnvCarriesJsonVarsAndSecretsFromTheEnvironment) {
  ::setenv("WSUP_TEST_SECRET", "s3cret", 1);
  TempDir dir;
  ScriptSpec module{"m",
                    dir.write("m.mjs",
                              "export default { fetch(r, env) { return new Response("
                              "JSON.stringify([env.NAME, env.LIMIT, env.FLAGS, "
                              "env.TOKEN, env.MISSING])); } };"),
                    true,
                    {{"NAME", "\"wsup\""}, {"LIMIT", "42"}, {"FLAGS", "{\"a\":[1,true]}"}},
                    {{"TOKEN", "WSUP_TEST_SECRET"}, {"MISSING", "WSUP_TEST_NOT_SET"}}};
  ScriptSpec worker{"sw",
                    dir.write("sw.js",
                              "addEventListener('fetch', e => e.respondWith("
                              "new Response(NAME + ':' + TOKEN)));"),
                    false,
                    {{"NAME", "\"wsup\""}},
                    {{"TOKEN", "WSUP_TEST_SECRET"}}};
  Harness harness({module, worker});
  EXPECT_EQ(harness.fetch("m").body, R"(["wsup",42,{"a":[1,true]},"s3cret",null])");
  EXPECT_EQ(harness.fetch("sw").body, "wsup:s3cret");
}

TEST(RuntimeTest, RequestCarriesMethodUrlHeadersAndBody) {
  auto harness = Harness::single(
      "export default { async fetch(r) { return new Response(JSON.stringify([r.method, r.url, "
      "r.headers.get('x-a'), [...r.headers.keys()], await r.text()])); } };",
      true);
  HttpResponse response = harness->fetch(make_request(
      "main", "http://h/p", "POST", {{"X-A", "1"}, {"Content-Type", "text/plain"}}, "body"));
  EXPECT_EQ(response.body, R"(["POST","http://h/p","1",["content-type","x-a"],"body"])");
}

TEST(RuntimeTest, IncomingRequestHeadersAreImmutable) {
  auto harness = Harness::single(
      "export default { fetch(r) { try { r.headers.set('a', 'b'); return new Response('mutable'); "
      "} catch (e) { return new Response(e.constructor.name); } } };",
      true);
  EXPECT_EQ(harness->fetch().body, "TypeError");
}

TEST(RuntimeTest, ResponseBodyBytesAndHeadersReachTheHttpResponse) {
  auto harness = Harness::single(
      "export default { fetch() { const h = new Headers({'X-B': '2'}); h.append('Set-Cookie', "
      "'a=1'); h.append('set-cookie', 'b=2');\n"
      "  return new Response(new Uint8Array([0, 255, 10]), {status: 201, headers: h}); } };",
      true);
  HttpResponse response = harness->fetch();
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, std::string("\0\xff\n", 3));
  HeaderList expected = {{"x-b", "2"}, {"set-cookie", "a=1"}, {"set-cookie", "b=2"}};
  EXPECT_EQ(response.headers, expected);
}

}  // namespace
}  // namespace wsup::worker::testing

namespace wsup::worker::testing {
namespace {

TEST(RuntimeTest, IdleIsolatesHoldASpareContextThatTheNextRequestUses) {
  auto harness = Harness::single(
      "globalThis.n = (globalThis.n || 0) + 1;\n"
      "addEventListener('fetch', (e) => e.respondWith(new Response(String(n))));",
      false, 2);
  EXPECT_EQ(harness->fetch().body, "1");
  // Spares are made on the maker's thread, after the request gave its isolate back.
  auto two_spares = [&] { return harness->runtime().stats().spare_contexts == 2; };
  EXPECT_TRUE(eventually(two_spares));
  EXPECT_EQ(harness->fetch().body, "1");  // a spare is as fresh as a new context
  EXPECT_EQ(harness->fetch().body, "1");
  EXPECT_TRUE(eventually(two_spares));
}

// The loop thread keeps serving while the maker makes contexts: many requests in a row on one
// isolate each get a fresh context, whether the spare was ready or not.
TEST(RuntimeTest, BackToBackRequestsRaceTheSpareMakerAndEachGetAFreshContext) {
  auto harness = Harness::single(
      "globalThis.n = (globalThis.n || 0) + 1;\n"
      "addEventListener('fetch', (e) => e.respondWith(new Response(String(n))));",
      false, 2);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(harness->fetch().body, "1") << "request " << i;
  std::vector<HttpRequest> burst;
  for (int i = 0; i < 20; ++i) burst.push_back(make_request("main"));
  for (const HttpResponse& response : harness->fetch_all(std::move(burst)))
    EXPECT_EQ(response.body, "1");
}

TEST(RuntimeTest, TimesSplitContextCreationFromJavaScript) {
  // A script that spins 5-6 ms (Date.now() has millisecond steps): its JavaScript time must
  // outweigh making contexts, even in a sanitizer build.
  auto harness = Harness::single(
      "addEventListener('fetch', (e) => {\n"
      "  const end = Date.now() + 6; while (Date.now() < end) {}\n"
      "  e.respondWith(new Response('x'));\n"
      "});",
      false, 1);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(harness->fetch().status, 200);
  const RuntimeTimes times = harness->runtime().times();
  EXPECT_EQ(times.requests, 10u);
  EXPECT_GE(times.script_ns, 10u * 5'000'000);
  // Each request's context came from the spare maker or was made on the spot, never both.
  const uint64_t made_on_the_spot = times.requests - times.spare_hits;
  EXPECT_EQ(made_on_the_spot == 0, times.context_ns == 0);
  EXPECT_GT(times.spare_context_ns + times.context_ns, 0u);
  EXPECT_LT(times.context_ns, times.script_ns);
}

TEST(RuntimeTest, DroppedContextsAreCollectedNotRetained) {
  auto harness = Harness::single(
      "addEventListener('fetch', (e) => e.respondWith(new Response('x'.repeat(1000))));", false, 2);
  for (int i = 0; i < 60; ++i) ASSERT_EQ(harness->fetch().status, 200);
  RuntimeStats stats = harness->runtime().stats(true);
  EXPECT_EQ(stats.served, 60u);
  EXPECT_EQ(stats.running, 0u);
  EXPECT_EQ(stats.isolates, 2u);
  // Each isolate keeps its spare context (and at most a scratch one); none of the 60 request
  // contexts survive.
  EXPECT_LE(stats.native_contexts, 2u * 2);
  EXPECT_LT(stats.heap_used_bytes, size_t{16} << 20);
  // ... and the microtask queues of the collected ones are freed with them.
  EXPECT_LE(stats.retired_microtask_queues, 2u * 2);
}

}  // namespace
}  // namespace wsup::worker::testing
