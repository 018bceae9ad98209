// Scripts that try to take a worker down, replayed through the real binaries: each attack gets
// its own answer and a control request on the same cluster is still answered 200.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "harness.h"
#include "tests/support/eventually.h"

using namespace wsup::e2e;
using wsup::testing::eventually;

// Four requests awaiting a long timer per worker used to hold every isolate of a cluster with
// 2 workers x 2 isolates, and a plain request waited for them. Now they wait on their own.
TEST(HostileScript, RequestsAwaitingTimersDoNotStallOtherRequests) {
  OneScriptCluster c(
      "addEventListener('fetch', (e) => {\n"
      "  if (!e.request.url.endsWith('/wait')) return e.respondWith(new Response('hello'));\n"
      "  console.log('waiting now');\n"
      "  e.respondWith(new Promise((r) => setTimeout(() => r(new Response('late')), 25000)));\n"
      "});\n",
      "workers: 2\nisolates_per_worker: 2\ndrain_timeout: 0s\n", WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  constexpr int kWaiting = 8;  // every isolate of the cluster twice over
  std::atomic<int> finished{0};
  std::vector<std::thread> waiting;
  for (int i = 0; i < kWaiting; ++i) {
    waiting.emplace_back([&] {
      http_get(c.port, "/wait");
      ++finished;
    });
  }
  ASSERT_TRUE(eventually([&] { return count_of(c.supervisor->log(), "waiting now") == kWaiting; }))
      << c.supervisor->log();
  HttpResult hello = http_get(c.port, "/");
  EXPECT_EQ(hello.status, 200);
  EXPECT_EQ(hello.body, "hello");
  // Answered while all of them still wait: the plain request did not queue behind them.
  EXPECT_EQ(finished.load(), 0);
  c.supervisor.reset();  // drain_timeout 0: the waiting requests are cut, their clients return
  for (std::thread& t : waiting) t.join();
}

// workerd: "TypeError: Atomics.wait cannot be called in this context". Before, it blocked the
// worker's only thread where neither the CPU limit nor the wall timer could reach it.
TEST(HostileScript, AtomicsWaitIsATypeErrorNotAHungWorker) {
  OneScriptCluster c(
      "addEventListener('fetch', (e) => {\n"
      "  if (e.request.url.endsWith('/wait')) {\n"
      "    try { Atomics.wait(new Int32Array(new SharedArrayBuffer(8)), 0, 0); }\n"
      "    catch (error) { return e.respondWith(new Response(error.name, {status: 500})); }\n"
      "    return e.respondWith(new Response('waited'));\n"
      "  }\n"
      "  e.respondWith(new Response('hello'));\n"
      "});\n",
      "workers: 1\nisolates_per_worker: 1\n", WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  for (int i = 0; i < 3; ++i) {
    HttpResult wait = http_get(c.port, "/wait");
    EXPECT_EQ(wait.status, 500);
    EXPECT_EQ(wait.body, "TypeError");
    EXPECT_EQ(http_get(c.port, "/").body, "hello");
  }
}
