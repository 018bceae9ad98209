// `isolation: isolate` (worker/shared_context.h): a script's requests on an isolate share one
// context, as on Cloudflare and workerd, until it is recycled; requests on it at once keep their
// own timers and answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/support/eventually.h"
#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kCounter[] =
    "let count = 0;\n"
    "const kept = [];\n"
    "export default { fetch(request) {\n"
    "  const path = new URL(request.url).pathname;\n"
    "  if (path === '/spin') while (true) {}\n"
    "  if (path === '/grow') kept.push(new Array(256 * 1024).fill(count));\n"
    "  globalThis.seen = (globalThis.seen ?? 0) + 1;\n"
    "  return new Response(`${++count} ${globalThis.seen}`);\n"
    "} };\n";

std::unique_ptr<Harness> shared(const std::string& source,
                                const std::function<void(ScriptSpec&)>& adjust = {},
                                RuntimeLimits limits = {}) {
  return Harness::single(source, true, 1, limits, std::nullopt, 64, [&](ScriptSpec& spec) {
    spec.isolation = Isolation::isolate;
    if (adjust) adjust(spec);
  });
}

TEST(SharedContext, ModuleStateAndGlobalsPersistAcrossTheIsolatesRequests) {
  auto harness = shared(kCounter);
  EXPECT_TRUE(harness->runtime().snapshot().snapshotted(0));
  EXPECT_EQ(harness->fetch().body, "1 1");
  EXPECT_EQ(harness->fetch().body, "2 2");
  EXPECT_EQ(harness->fetch().body, "3 3");
}

TEST(SharedContext, ItIsReplacedAfterRecycleRequests) {
  auto harness = shared(kCounter, [](ScriptSpec& spec) { spec.recycle_requests = 2; });
  EXPECT_EQ(harness->fetch().body, "1 1");
  EXPECT_EQ(harness->fetch().body, "2 2");
  EXPECT_EQ(harness->fetch().body, "1 1");  // a fresh context, from the snapshot
  EXPECT_EQ(harness->fetch().body, "2 2");
}

TEST(SharedContext, ItIsReplacedOnceTheIsolatesLiveHeapPassesRecycleHeapMib) {
  // Each /grow keeps 2 MiB; with 8 MiB allowed the context must go after a few, not at once.
  auto harness = shared(kCounter, [](ScriptSpec& spec) { spec.recycle_heap_mib = 8; });
  int grown = 0;
  bool recycled = false;
  for (int i = 0; i < 40 && !recycled; ++i) {
    const std::string body = harness->fetch("main", "http://x/grow").body;
    recycled = body == "1 1" && grown > 0;
    ++grown;
    harness->runtime().stats(true);  // a full collection measures what is alive
  }
  EXPECT_TRUE(recycled);
  EXPECT_GE(grown, 4);
}

TEST(SharedContext, ARequestStoppedAtItsCpuLimitLeavesAFreshContextToTheNext) {
  RuntimeLimits limits;
  limits.cpu_ms = 20;
  auto harness = shared(kCounter, {}, limits);
  EXPECT_EQ(harness->fetch().body, "1 1");
  EXPECT_EQ(harness->fetch("main", "http://x/spin").status, 503);
  EXPECT_EQ(harness->fetch().body, "1 1");
}

TEST(SharedContext, RequestsAtOnceShareTheContextButKeepTheirOwnTimers) {
  // /b resolves what /a awaits: /a's continuation runs in /b's slice, and the timer it sets is
  // still /a's. Were it /b's, /b's end would drop it and /a would never answer.
  RuntimeLimits limits;
  limits.wall_ms = 5000;
  auto harness = shared(
      "let open = null;\n"
      "export default { async fetch(request) {\n"
      "  if (request.url.endsWith('/a')) {\n"
      "    const said = await new Promise((resolve) => { open = resolve; });\n"
      "    await new Promise((resolve) => setTimeout(resolve, 5));\n"
      "    console.log('a resumed with ' + said);\n"
      "    return new Response('a: ' + said);\n"
      "  }\n"
      "  open('from b');\n"
      "  return new Response('b');\n"
      "} };\n",
      {}, limits);
  std::vector<HttpRequest> requests;
  requests.push_back(make_request("main", "http://x/a"));
  requests.push_back(make_request("main", "http://x/b"));
  std::vector<HttpResponse> responses = harness->fetch_all(std::move(requests));
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].body, "a: from b");
  EXPECT_EQ(responses[1].body, "b");
}

TEST(SharedContext, EachScriptHasItsOwnContext) {
  auto dir = std::make_unique<TempDir>();
  std::vector<ScriptSpec> specs;
  for (const char* name : {"one", "two"}) {
    ScriptSpec spec;
    spec.name = name;
    spec.module = true;
    spec.isolation = Isolation::isolate;
    spec.path = dir->write(std::string(name) + ".mjs", kCounter);
    specs.push_back(spec);
  }
  Harness harness(specs);
  EXPECT_EQ(harness.fetch("one").body, "1 1");
  EXPECT_EQ(harness.fetch("one").body, "2 2");
  EXPECT_EQ(harness.fetch("two").body, "1 1");
}

TEST(SharedContext, WithoutASnapshotTheFirstRequestEvaluatesTheTopLevelOnce) {
  auto harness = shared(
      "let evaluations = 0; evaluations++; let count = 0;\n"
      "export default { fetch: () => new Response(`${evaluations} ${++count}`) };\n",
      [](ScriptSpec& spec) { spec.snapshot = false; });
  EXPECT_EQ(harness->fetch().body, "1 1");
  EXPECT_EQ(harness->fetch().body, "1 2");
}

TEST(SharedContext, ATopLevelThatThrowsFailsItsRequestAndTheNextTriesAgain) {
  auto harness = shared(
      "if (globalThis.tries === undefined) globalThis.tries = 0;\n"
      "throw new Error('top level');\n"
      "export default {};\n",
      [](ScriptSpec& spec) { spec.snapshot = false; });
  EXPECT_EQ(harness->fetch().status, 500);
  EXPECT_EQ(harness->fetch().status, 500);
}

TEST(SharedContext, CheckSaysWhichIsolationEachScriptRunsIn) {
  ScriptSpec spec;
  spec.name = "api";
  spec.isolation = Isolation::isolate;
  ScriptStart start;
  start.snapshotted = true;
  start.warmed_up = 2;
  EXPECT_EQ(describe_start(spec, start),
            "api: isolation isolate; new contexts start from its snapshot (after 2 warm-up "
            "requests)");
  spec.isolation = Isolation::request;
  start.snapshotted = false;
  start.fallback_reason = "its top level threw";
  EXPECT_THAT(describe_start(spec, start),
              HasSubstr("isolation request; top level evaluated in every new context, it "
                        "cannot be snapshotted: its top level threw"));
}

}  // namespace
}  // namespace wsup::worker::testing
