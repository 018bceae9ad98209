// Memory attacks by scripts, replayed through the real binaries (issue #18): one-liners that used
// to end the worker process in V8's "JavaScript heap out of memory" or its fatal size checks now
// cost one isolate (503), the worker process lives on (same pid), and the cluster serves.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "harness.h"
#include "tests/support/eventually.h"

using namespace wsup::e2e;
using wsup::testing::eventually;

namespace {

// Each path is one attack; anything else answers "hello".
constexpr const char* kAttacks =
    "addEventListener('fetch', (e) => {\n"
    "  const path = new URL(e.request.url).pathname;\n"
    "  if (path === '/fill') new Array(1e9).fill(0);\n"
    "  if (path === '/replace') 'a'.repeat(1e8).replace(/a/g, 'bb');\n"
    "  if (path === '/encode') new TextEncoder().encode('x'.repeat(2 ** 28));\n"
    "  if (path === '/split') 'x'.repeat(2 ** 28).split('');\n"
    "  if (path === '/wasm') new Uint8Array(new WebAssembly.Memory({initial: 49152}).buffer)"
    ".fill(1);\n"
    "  e.respondWith(new Response('hello'));\n"
    "});\n";

uint64_t rss_of_worker(const Supervisor& supervisor, int id) {
  const std::string json = supervisor.control({"status", "--json"}).output;
  std::smatch match;
  const std::regex row("\"id\":" + std::to_string(id) + ",[^}]*\"rss_bytes\":(\\d+)");
  return std::regex_search(json, match, row) ? std::stoull(match[1]) : 0;
}

}  // namespace

// Before: each of these ended the worker with SIGTRAP; ten of them put every worker into
// `failed`. Now each gets 503 from a lost isolate, and the worker (5 isolates: 4 losses stay
// below the count that asks for a replacement) keeps its pid and serves. The CPU limit is high
// enough that memory, not CPU, stops each of them.
TEST(HostileMemory, OneLinersThatAbortedTheWorkerGet503AndTheWorkerLivesOn) {
  OneScriptCluster c(kAttacks, "workers: 1\nisolates_per_worker: 5\nlimits:\n  cpu_ms: 10s\n",
                     WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  const auto pids = worker_pids(*c.supervisor);
  ASSERT_NE(pids.at(0), 0);
  for (const char* attack : {"/fill", "/replace", "/split", "/encode"}) {
    HttpResult result = http_get(c.port, attack);
    if (std::string(attack) == "/encode" && result.status == 500) {
      // The string's 256 MiB fit the heap this time: the ArrayBuffer budget refused the bytes
      // (a RangeError, as for any ArrayBuffer), where V8's own allocation ended the process.
      EXPECT_NE(c.supervisor->log().find("RangeError: Array buffer allocation failed"),
                std::string::npos);
    } else {
      EXPECT_EQ(result.status, 503) << attack << "\n" << c.supervisor->log();
      EXPECT_NE(result.body.find("memory limit"), std::string::npos) << attack << result.body;
    }
    HttpResult control = http_get(c.port, "/");
    EXPECT_EQ(control.status, 200) << attack;
    EXPECT_EQ(control.body, "hello");
  }
  EXPECT_EQ(worker_pids(*c.supervisor), pids) << c.supervisor->log();
  const std::string log = c.supervisor->log();
  EXPECT_GE(count_of(log, "isolate lost"), 3u) << log;
  EXPECT_EQ(count_of(log, "worker exited"), 0u) << log;
  EXPECT_EQ(count_of(log, "asks to be replaced"), 0u) << log;
}

// Before: 3.2 GB of RSS and 5.7 s of CPU against a 50 ms limit. A memory larger than the
// isolate's budget is now refused (RangeError, uncaught: 500) before anything is committed.
TEST(HostileMemory, WebAssemblyMemoryLargerThanTheBudgetIsARangeError) {
  OneScriptCluster c(kAttacks, "workers: 1\nisolates_per_worker: 2\n", WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  const auto pids = worker_pids(*c.supervisor);
  for (int i = 0; i < 3; ++i) {
    HttpResult result = http_get(c.port, "/wasm");
    EXPECT_EQ(result.status, 500) << c.supervisor->log();
    EXPECT_EQ(http_get(c.port, "/").status, 200);
  }
  EXPECT_NE(c.supervisor->log().find("RangeError: WebAssembly.Memory(): could not allocate"),
            std::string::npos)
      << c.supervisor->log();
  EXPECT_EQ(worker_pids(*c.supervisor), pids);
  EXPECT_LT(rss_of_worker(*c.supervisor, 0), 512ull << 20);
}
