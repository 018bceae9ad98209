// Async handlers: timers, microtasks, waitUntil, overlapping requests, the FIFO wait for an
// isolate and the wall-time limit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

using ::testing::HasSubstr;

TEST(RuntimeAsyncTest, HandlerAwaitingTimersAndMicrotasksResponds) {
  auto harness = Harness::single(
      "const sleep = (ms) => new Promise((r) => setTimeout(r, ms));\n"
      "export default { async fetch() {\n"
      "  const order = [];\n"
      "  queueMicrotask(() => order.push('micro'));\n"
      "  setTimeout((a, b) => order.push('timeout ' + a + b), 2, 'x', 'y');\n"
      "  const id = setTimeout(() => order.push('cleared'), 1); clearTimeout(id);\n"
      "  let ticks = 0;\n"
      "  const ticked = new Promise((done) => { const iv = setInterval(() => {\n"
      "    if (++ticks === 3) { clearInterval(iv); done(); } }, 1); });\n"
      "  order.push('sync');\n"
      "  await sleep(3);\n"
      "  await ticked;\n"
      "  order.push('ticks ' + ticks);\n"
      "  return new Response(order.join(','));\n"
      "} };",
      true);
  EXPECT_EQ(harness->fetch().body, "sync,micro,timeout xy,ticks 3");
}

TEST(RuntimeAsyncTest, RequestsAwaitingTimersOverlapOnOneThread) {
  auto harness = Harness::single(
      "export default { async fetch(r) {\n"
      "  const ms = Number(r.url.split('?ms=')[1]);\n"
      "  await new Promise((done) => setTimeout(done, ms));\n"
      "  return new Response(String(ms));\n"
      "} };",
      true, 4);
  std::vector<HttpRequest> requests;
  for (int ms : {100, 90, 80, 70}) {
    requests.push_back(make_request("main", "http://x/?ms=" + std::to_string(ms)));
  }
  const auto begin = std::chrono::steady_clock::now();
  auto responses = harness->fetch_all(std::move(requests));
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_EQ(responses[0].body, "100");
  EXPECT_EQ(responses[3].body, "70");
  // Serially they would take 340 ms; overlapped, about the longest one (100 ms).
  EXPECT_LT(elapsed, std::chrono::milliseconds(300));
}

TEST(RuntimeAsyncTest, ARequestAwaitingATimerDoesNotHoldItsIsolate) {
  // One isolate: before requests interleaved, the second request waited for the first's timer.
  auto harness = Harness::single(
      "export default { async fetch(r) {\n"
      "  if (r.url.endsWith('/slow')) await new Promise((done) => setTimeout(done, 200));\n"
      "  return new Response(r.url.slice('http://x'.length));\n"
      "} };",
      true, 1);
  std::vector<std::string> order;
  for (const char* path : {"/slow", "/fast"}) {
    harness->runtime().handle(make_request("main", std::string("http://x") + path),
                              sink_to([&order](HttpResponse r) { order.push_back(r.body); }));
  }
  harness->loop().run();
  EXPECT_EQ(order, (std::vector<std::string>{"/fast", "/slow"}));
}

TEST(RuntimeAsyncTest, ManyRequestsInterleaveOnOneIsolateEachInItsOwnContext) {
  // Each request sets a global, waits a little, and reads it back: with 40 requests on one
  // isolate at once, a context shared by two of them would show the other's value.
  auto harness = Harness::single(
      "export default { async fetch(r) {\n"
      "  globalThis.mine = r.url;\n"
      "  await new Promise((done) => setTimeout(done, 1 + (r.url.length % 5)));\n"
      "  await null;\n"
      "  return new Response(globalThis.mine === r.url ? 'own' : 'leaked ' + globalThis.mine);\n"
      "} };",
      true, 1);
  std::vector<HttpRequest> requests;
  for (int i = 0; i < 40; ++i) {
    requests.push_back(
        make_request("main", "http://x/" + std::string(i % 7, 'a') + std::to_string(i)));
  }
  for (const HttpResponse& response : harness->fetch_all(std::move(requests))) {
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "own");
  }
}

TEST(RuntimeAsyncTest, WebAssemblyCompileSettlesOnEveryInput) {
  // V8 finishes an asynchronous compilation in a task it posts for the isolate's thread; the
  // loop must run it and then the request's microtasks, or the promise never settles.
  auto harness = Harness::single(
      "export default { async fetch(r) {\n"
      "  const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);\n"
      "  const bytes = r.url.endsWith('/bad') ? new Uint8Array([1, 2, 3]) : empty;\n"
      "  try {\n"
      "    const module = await WebAssembly.compile(bytes);\n"
      "    const { instance } = await WebAssembly.instantiate(empty);\n"
      "    return new Response((module instanceof WebAssembly.Module) + ' ' +\n"
      "                        (instance instanceof WebAssembly.Instance));\n"
      "  } catch (e) { return new Response(e.name); }\n"
      "} };",
      true, 1);
  EXPECT_EQ(harness->fetch("main", "http://x/good").body, "true true");
  EXPECT_EQ(harness->fetch("main", "http://x/bad").body, "CompileError");
}

TEST(RuntimeAsyncTest, RequestsPastTheConcurrencyBoundWaitInOrder) {
  auto harness = Harness::single(
      "export default { async fetch(r) {\n"
      "  await new Promise((done) => setTimeout(done, 5));\n"
      "  return new Response(r.url.slice('http://x'.length));\n"
      "} };",
      true, 1, {}, std::nullopt, /*concurrency=*/1);
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) {
    harness->runtime().handle(make_request("main", "http://x/" + std::to_string(i)),
                              sink_to([&order](HttpResponse r) { order.push_back(r.body); }));
  }
  EXPECT_EQ(harness->runtime().running(), 1u);
  EXPECT_EQ(harness->runtime().waiting(), 3u);
  EXPECT_FALSE(harness->runtime().has_room());
  harness->loop().run();
  EXPECT_EQ(order, (std::vector<std::string>{"/0", "/1", "/2", "/3"}));
}

TEST(RuntimeAsyncTest, WaitUntilKeepsTheContextAliveAfterTheResponse) {
  auto harness = Harness::single(
      "export default { fetch(r, env, ctx) {\n"
      "  ctx.waitUntil(new Promise((done) => setTimeout(() => { console.log('after response "
      "done'); done(); }, 5)));\n"
      "  return new Response('early');\n"
      "} };",
      true);
  ::testing::internal::CaptureStderr();
  HttpResponse response = harness->fetch();
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(response.body, "early");
  EXPECT_THAT(log, HasSubstr("after response done"));
  EXPECT_EQ(harness->runtime().running(), 0u);
}

TEST(RuntimeAsyncTest, RejectedWaitUntilPromiseIsLoggedOnceAndDoesNotChangeTheResponse) {
  auto harness = Harness::single(
      "export default { fetch(r, env, ctx) {\n"
      "  ctx.waitUntil(Promise.reject(new Error('background failed')));\n"
      "  ctx.waitUntil(new Promise((d) => setTimeout(d, 3)));\n"
      "  return new Response('fine');\n"
      "} };",
      true);
  ::testing::internal::CaptureStderr();
  HttpResponse response = harness->fetch();
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(response.body, "fine");
  EXPECT_THAT(log, HasSubstr("waitUntil promise rejected"));
  EXPECT_EQ(log.find("waitUntil promise rejected"), log.rfind("waitUntil promise rejected"));
}

TEST(RuntimeAsyncTest, ServiceWorkerWaitUntilAndAsyncRespondWith) {
  auto harness = Harness::single(
      "addEventListener('fetch', (e) => {\n"
      "  e.passThroughOnException();\n"
      "  e.waitUntil(new Promise((d) => setTimeout(() => { console.info('waited'); d(); }, 2)));\n"
      "  e.respondWith((async () => { await new Promise((d) => setTimeout(d, 1)); return new "
      "Response(e.request.method); })());\n"
      "});",
      false);
  ::testing::internal::CaptureStderr();
  HttpResponse response = harness->fetch();
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(response.body, "GET");
  EXPECT_THAT(log, HasSubstr("waited"));
}

TEST(RuntimeAsyncTest, ConsoleWritesLevelScriptAndRequestId) {
  auto harness = Harness::single(
      "export default { fetch() { console.log('hello', 42, {a: [1]}); console.warn('careful'); "
      "console.error(new Error('bad')); return new Response('ok'); } };",
      true);
  ::testing::internal::CaptureStderr();
  HttpRequest request = make_request("main");
  const std::string id = std::to_string(request.id);
  harness->fetch(std::move(request));
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, HasSubstr("level=info msg=\"hello 42 {\\\"a\\\":[1]}\" script=main req=" + id));
  EXPECT_THAT(log, HasSubstr("level=warn msg=careful script=main"));
  EXPECT_THAT(log, HasSubstr("level=error msg=\"Error: bad"));
}

TEST(RuntimeAsyncTest, WallTimeLimitGives504ThenTheNextRequestWorks) {
  RuntimeLimits limits;
  limits.wall_ms = 50;
  auto harness = Harness::single(
      "export default { async fetch(r) {\n"
      "  if (r.url.endsWith('/slow')) await new Promise((d) => setInterval(() => {}, 5));\n"
      "  return new Response('fast');\n"
      "} };",
      true, 1, limits);
  ::testing::internal::CaptureStderr();
  HttpResponse slow = harness->fetch("main", "http://x/slow");
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(slow.status, 504);
  EXPECT_THAT(slow.body, HasSubstr("wall time limit"));
  EXPECT_THAT(log, HasSubstr("wall time limit exceeded"));
  HttpResponse fast = harness->fetch("main", "http://x/fast");
  EXPECT_EQ(fast.status, 200);
  EXPECT_EQ(fast.body, "fast");
}

TEST(RuntimeAsyncTest, WaitUntilIsBoundedByTheWallLimit) {
  RuntimeLimits limits;
  limits.wall_ms = 30;
  auto harness = Harness::single(
      "export default { fetch(r, env, ctx) {\n"
      "  ctx.waitUntil(new Promise((d) => setInterval(() => {}, 5)));\n"
      "  return new Response('sent');\n"
      "} };",
      true, 1, limits);
  const auto begin = std::chrono::steady_clock::now();
  EXPECT_EQ(harness->fetch().body, "sent");
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(2));
  EXPECT_EQ(harness->runtime().running(), 0u);
}

}  // namespace
}  // namespace wsup::worker::testing

namespace wsup::worker::testing {
namespace {

TEST(RuntimeAsyncTest, AbortSignalTimeoutAbortsWithTimeoutError) {
  const std::string result = evaluate(
      "if (typeof AbortSignal !== 'function') return 'no AbortSignal';\n"
      "const signal = AbortSignal.timeout(5);\n"
      "const before = signal.aborted;\n"
      "await new Promise((done) => signal.addEventListener('abort', done));\n"
      "return [before, signal.aborted, signal.reason.name];");
  if (result == "\"no AbortSignal\"") GTEST_SKIP() << "web platform APIs not linked in";
  EXPECT_EQ(result, R"([false,true,"TimeoutError"])");
}

}  // namespace
}  // namespace wsup::worker::testing

namespace wsup::worker::testing {
namespace {

TEST(RuntimeAsyncTest, RuntimeDestroyedWithRequestsInFlightDropsThemCleanly) {
  auto harness = Harness::single(
      "export default { async fetch() { await new Promise((d) => setTimeout(d, 60000)); "
      "return new Response('late'); } };",
      true, 1);
  int answered = 0;
  for (int i = 0; i < 3; ++i) {
    harness->runtime().handle(make_request("main"),
                              sink_to([&answered](HttpResponse) { ++answered; }));
  }
  // All three live on the one isolate: awaiting their timers, or (when the spare maker held the
  // isolate) with their first turn deferred. Destruction must be clean in both states.
  harness->loop().poll();
  EXPECT_EQ(harness->runtime().running(), 3u);
  EXPECT_EQ(harness->runtime().waiting(), 0u);
  harness.reset();  // runtime, isolates and loop go; no answer, no crash, no leak
  EXPECT_EQ(answered, 0);
}

}  // namespace
}  // namespace wsup::worker::testing

namespace wsup::worker::testing {
namespace {

TEST(RuntimeAsyncTest, TimersWithEqualDelaysRunInCreationOrder) {
  EXPECT_EQ(evaluate("const order = [];\n"
                     "await new Promise((done) => {\n"
                     "  for (let i = 0; i < 50; i++) setTimeout(() => order.push(i), i % 2);\n"
                     "  setTimeout(done, 5);\n"
                     "});\n"
                     "const zeros = order.filter((i) => i % 2 === 0);\n"
                     "const ones = order.filter((i) => i % 2 === 1);\n"
                     "return [zeros.every((v, k) => k === 0 || v > zeros[k - 1]), "
                     "ones.every((v, k) => k === 0 || v > ones[k - 1]), order.length];"),
            "[true,true,50]");
}

}  // namespace
}  // namespace wsup::worker::testing
