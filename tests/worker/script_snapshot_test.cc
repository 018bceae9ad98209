// Per-script snapshots (worker/script_snapshot.h): requests start from a context in which the
// script's top level already ran, with the same state a fresh evaluation builds and nothing from
// any other request; the global scope's rules hold while the snapshot is made; scripts whose
// top level cannot be snapshotted are evaluated per request, saying why.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/worker/runtime_harness.h"
#include "worker/startup_error.h"

namespace wsup::worker::testing {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<Harness> module_script(const std::string& source,
                                       const std::function<void(ScriptSpec&)>& adjust = {},
                                       RuntimeLimits limits = {}) {
  return Harness::single(source, true, 1, limits, std::nullopt, 64, adjust);
}

// The message a StartupError thrown while the runtime starts carries ("" when none is).
std::string start_error(const std::string& source, bool module = true,
                        const std::function<void(ScriptSpec&)>& adjust = {}) {
  try {
    Harness::single(source, module, 1, {}, std::nullopt, 64, adjust);
  } catch (const StartupError& error) {
    return error.what();
  }
  return {};
}

TEST(ScriptSnapshot, RequestsStartFromTheEvaluatedTopLevelWithItsState) {
  auto harness = module_script(
      "let evaluations = 0; evaluations++;\n"
      "const table = new Map([['a', 1]]);\n"
      "export default { fetch() {\n"
      "  table.set('b', (table.get('b') ?? 0) + 1);\n"
      "  return new Response(JSON.stringify([evaluations, table.size, table.get('b')]));\n"
      "} };\n");
  EXPECT_TRUE(harness->runtime().snapshot().snapshotted(0));
  EXPECT_TRUE(harness->runtime().snapshot().built());
  // Each request sees the top level's state once evaluated, and none of the previous request's.
  EXPECT_EQ(harness->fetch().body, "[1,2,1]");
  EXPECT_EQ(harness->fetch().body, "[1,2,1]");
}

TEST(ScriptSnapshot, AGlobalSetByOneRequestIsAbsentInTheNext) {
  for (BakedContext baked : kBakedContexts) {
    for (bool module : {true, false}) {
      const std::string handler =
          "const seen = typeof globalThis.leak + ',' + typeof Array.prototype.leak;\n"
          "globalThis.leak = 1; Array.prototype.leak = 1;\n";
      auto harness = Harness::single(
          module ? "export default { fetch() {\n" + handler + "return new Response(seen); } };\n"
                 : "addEventListener('fetch', (e) => {\n" + handler +
                       "e.respondWith(new Response(seen)); });\n",
          module, 1, {}, baked);
      ASSERT_TRUE(harness->runtime().snapshot().snapshotted(0)) << to_string(baked);
      EXPECT_EQ(harness->fetch().body, "undefined,undefined") << to_string(baked);
      EXPECT_EQ(harness->fetch().body, "undefined,undefined") << to_string(baked);
    }
  }
}

TEST(ScriptSnapshot, EachRequestDrawsItsOwnRandomValues) {
  auto harness = module_script(
      "export default { fetch() {\n"
      "  const bytes = crypto.getRandomValues(new Uint8Array(16));\n"
      "  return new Response(JSON.stringify([Math.random(), Math.random(), [...bytes],\n"
      "                                      crypto.randomUUID()]));\n"
      "} };\n");
  ASSERT_TRUE(harness->runtime().snapshot().snapshotted(0));
  const std::string first = harness->fetch().body;
  const std::string second = harness->fetch().body;
  EXPECT_EQ(first.front(), '[');
  EXPECT_NE(first, second);
  // Not just the bytes: Math.random's own sequence starts afresh (reseeded per context).
  EXPECT_NE(first.substr(0, first.find(',')), second.substr(0, second.find(',')));
}

TEST(ScriptSnapshot, RandomValuesTimersAtTopLevelAreRefusedWithTheirLocation) {
  std::string error = start_error("const id = Math.random();\nexport default {};\n");
  EXPECT_THAT(error, HasSubstr("main.mjs:1:17: Disallowed operation called within global "
                               "scope: Math.random()"));
  // Caught by the script, it is still refused: the snapshot would freeze the value.
  error = start_error(
      "\ntry { crypto.getRandomValues(new Uint8Array(4)); } catch {}\nexport default {};\n");
  EXPECT_THAT(error, HasSubstr("main.mjs:2:14: Disallowed operation called within global "
                               "scope: crypto.getRandomValues()"));
  error = start_error("crypto.randomUUID();\nexport default {};\n");
  EXPECT_THAT(error, HasSubstr("crypto.randomUUID()"));
  error = start_error("setTimeout(() => {}, 10);\naddEventListener('fetch', () => {});\n", false);
  EXPECT_THAT(error, HasSubstr("main.js:1:1: Disallowed operation called within global scope: "
                               "setTimeout()"));
  error = start_error("setInterval(() => {}, 10);\n", false);
  EXPECT_THAT(error, HasSubstr("setInterval()"));
}

TEST(ScriptSnapshot, KeysAreNotGeneratedAtTopLevelNorKeptInASnapshot) {
  std::string error = start_error(
      "await crypto.subtle.generateKey({name: 'HMAC', hash: 'SHA-256'}, true, ['sign']);\n"
      "export default {};\n");
  EXPECT_THAT(error, HasSubstr("crypto.subtle.generateKey()"));
  // An imported key's material lives outside the heap, where a snapshot cannot follow it: the
  // script is evaluated per request, and its key works there.
  auto harness = module_script(
      "const key = await crypto.subtle.importKey('raw', new Uint8Array(16), {name: 'HMAC',\n"
      "  hash: 'SHA-256'}, false, ['sign']);\n"
      "export default { async fetch() {\n"
      "  const mac = await crypto.subtle.sign('HMAC', key, new Uint8Array(1));\n"
      "  return new Response(String(mac.byteLength));\n"
      "} };\n");
  EXPECT_THAT(harness->runtime().snapshot().start(0).fallback_reason,
              HasSubstr("a CryptoKey or a digest stream, whose native state cannot go into a "
                        "snapshot"));
  EXPECT_EQ(harness->fetch().body, "32");
}

TEST(ScriptSnapshot, TheClockReadsZeroAtTopLevelAndRunsInRequests) {
  auto harness = module_script(
      "const atTopLevel = [Date.now(), new Date().getTime(), performance.now()];\n"
      "export default { fetch() {\n"
      "  return new Response(JSON.stringify([...atTopLevel, Date.now() > 1.6e12]));\n"
      "} };\n");
  EXPECT_EQ(harness->fetch().body, "[0,0,0,true]");
}

TEST(ScriptSnapshot, BuiltInsTheCreatorLacksWorkAtTopLevelAndAreV8sOwnInRequests) {
  auto harness = module_script(
      "const atTopLevel = [[1, 2, 3].at(-1), [1, 2, 3].findLast((x) => x < 3),\n"
      "  [1, 2, 3].findLastIndex((x) => x > 5), 'abc'.at(-1), new Uint8Array([7, 8]).at(1),\n"
      "  Object.hasOwn({a: 1}, 'a'), Error.stackTraceLimit];\n"
      "const at = Array.prototype.at;  // kept: the stand-in keeps working\n"
      "export default { fetch() {\n"
      "  return new Response(JSON.stringify([atTopLevel, at.call([4, 5], -1),\n"
      "    Array.prototype.at.toString().includes('[native code]'),\n"
      "    Object.getOwnPropertyNames(Array.prototype).filter((n) => n === 'at').length,\n"
      "    Error.stackTraceLimit, typeof Atomics, typeof SharedArrayBuffer]));\n"
      "} };\n");
  ASSERT_TRUE(harness->runtime().snapshot().snapshotted(0));
  EXPECT_EQ(harness->fetch().body, R"([[3,2,-1,"c",8,true,10],5,true,1,10,"object","function"])");
}

TEST(ScriptSnapshot, ServiceWorkerListenersAndBindingsComeFromTheSnapshot) {
  auto harness = Harness::single(
      "const greeting = GREETING + '!';\n"
      "addEventListener('fetch', (e) => e.respondWith(new Response(greeting + MAX)));\n",
      false, 1, {}, std::nullopt, 64, [](ScriptSpec& spec) {
        spec.vars = {{"GREETING", "\"hi\""}, {"MAX", "3"}};
      });
  EXPECT_TRUE(harness->runtime().snapshot().snapshotted(0));
  EXPECT_EQ(harness->fetch().body, "hi!3");
  EXPECT_EQ(harness->fetch().body, "hi!3");
}

// A module script `main` of two files: main.mjs (the entry) and `imported` (path, source).
struct TwoModules {
  TwoModules(const std::string& entry, const std::string& imported_path,
             const std::string& imported) {
    dir.write(imported_path, imported);
    ScriptSpec spec;
    spec.name = "main";
    spec.module = true;
    spec.path = dir.write("main.mjs", entry);
    harness = std::make_unique<Harness>(std::vector<ScriptSpec>{spec});
  }
  TempDir dir;
  std::unique_ptr<Harness> harness;
};

TEST(ScriptSnapshot, AModuleGraphAndItsTopLevelAwaitGoIntoTheSnapshot) {
  TwoModules graph(
      "import {table} from './lib/table.mjs';\n"
      "export default { fetch: () => new Response(String(table.x + 1)) };\n",
      "lib/table.mjs", "export const table = await Promise.resolve({x: 41});\n");
  EXPECT_TRUE(graph.harness->runtime().snapshot().snapshotted(0));
  EXPECT_EQ(graph.harness->fetch().body, "42");
}

TEST(ScriptSnapshot, ScriptsItCannotTakeAreEvaluatedPerRequestWithTheReason) {
  struct Case {
    std::string source;
    std::string reason;
  } cases[] = {
      {"export const x = 1;\n", "has no default export"},
      {"throw new Error('boom');\nexport default {};\n", "its top level threw"},
      {"await new Promise(() => {});\nexport default {};\n", "top-level await did not settle"},
      {"Object.freeze(Array.prototype);\nexport default { fetch: () => new Response('x') };\n",
       "non-extensible"},
      {"Error.stackTraceLimit = 50;\nexport default { fetch: () => new Response('x') };\n",
       "Error.stackTraceLimit"},
  };
  for (const Case& c : cases) {
    auto harness = module_script(c.source);
    const ScriptStart& start = harness->runtime().snapshot().start(0);
    EXPECT_FALSE(start.snapshotted) << c.source;
    EXPECT_THAT(start.fallback_reason, HasSubstr(c.reason)) << c.source;
  }
  // Evaluated per request, they behave as they always did.
  auto frozen = module_script(
      "Object.freeze(Array.prototype);\nexport default { fetch: () => new Response('x') };\n");
  EXPECT_EQ(frozen->fetch().body, "x");
  auto broken = module_script("throw new Error('boom');\nexport default {};\n");
  EXPECT_EQ(broken->fetch().status, 500);
}

TEST(ScriptSnapshot, ANamespaceImportKeepsTheScriptPerRequest) {
  TwoModules graph(
      "import * as lib from './b.mjs';\n"
      "export default { fetch: () => new Response(String(lib.b)) };\n",
      "b.mjs", "export const b = 2;\n");
  EXPECT_THAT(graph.harness->runtime().snapshot().start(0).fallback_reason,
              HasSubstr("import * as"));
  EXPECT_EQ(graph.harness->fetch().body, "2");
}

TEST(ScriptSnapshot, SnapshotFalseEvaluatesTheTopLevelInEveryRequest) {
  auto harness = module_script(
      "const at = Date.now();\n"
      "export default { fetch: () => new Response(String(at > 0)) };\n",
      [](ScriptSpec& spec) { spec.snapshot = false; });
  EXPECT_FALSE(harness->runtime().snapshot().snapshotted(0));
  EXPECT_EQ(harness->runtime().snapshot().start(0).fallback_reason, "");
  EXPECT_EQ(harness->fetch().body, "true");  // the request's own clock, not 0
}

TEST(ScriptSnapshot, ATopLevelPastTheStartupCpuLimitIsEvaluatedPerRequest) {
  RuntimeLimits limits;
  limits.startup_cpu_ms = 30;
  limits.cpu_ms = 30;
  auto harness = module_script(
      "while (true) {}\nexport default { fetch: () => new Response('x') };\n", {}, limits);
  EXPECT_THAT(harness->runtime().snapshot().start(0).fallback_reason,
              HasSubstr("limits.startup_cpu_ms"));
  EXPECT_EQ(harness->fetch().status, 503);
}

TEST(ScriptSnapshot, WarmUpRequestsRunBeforeTheSnapshotIsTaken) {
  auto harness = module_script(
      "let router = null; let built = 0; const paths = [];\n"
      "export default { fetch(request) {\n"
      "  if (router === null) { router = new Map([['/a', 'A']]); ++built; }\n"
      "  paths.push(new URL(request.url).pathname);\n"
      "  return new Response(JSON.stringify([built, router.get('/a'), paths]));\n"
      "} };\n",
      [](ScriptSpec& spec) {
        spec.warm_up = {"/warm", "POST /also"};
      });
  const ScriptStart& start = harness->runtime().snapshot().start(0);
  EXPECT_TRUE(start.snapshotted);
  EXPECT_EQ(start.warmed_up, 2u);
  // The router was built by the warm-up; every request starts from the warmed-up state.
  EXPECT_EQ(harness->fetch("main", "http://x/1").body, R"([1,"A",["/warm","/also","/1"]])");
  EXPECT_EQ(harness->fetch("main", "http://x/2").body, R"([1,"A",["/warm","/also","/2"]])");
}

// A regexp the warm-up ran is in the snapshot with its regexp bytecode and its count of runs
// towards machine code (v8_engine.cc: --regexp-tier-up-ticks): the router-like one, run once per
// request, matches on that bytecode; the one run 25 times is compiled to machine code; the one
// given a 2,000-character subject is compiled at once. All match the same in every request, and
// a global regexp's lastIndex starts each request where the warm-up left it (2, so 3 after one
// more match), never where the previous request left it.
TEST(ScriptSnapshot, RegexpsTheWarmUpRanMatchTheSameOnEveryTierInEveryRequest) {
  auto harness = module_script(
      "let route = null;\n"
      "const hot = /^\\/orders\\/([^/]+)\\/(items|tags)$/;\n"
      "const long = /^\\/orders\\/([^/]+)\\/(items|tags)$/;\n"
      "const sticky = /o/g;\n"
      "export default { fetch(request) {\n"
      "  if (route === null)\n"
      "    route = new RegExp('^/(?:users/([0-9]+)$()|orders/([^/]+)/(items|tags)$())');\n"
      "  const once = route.exec(new URL(request.url).pathname);\n"
      "  const many = [];\n"
      "  for (let i = 0; i < 25; ++i) many.push(hot.exec('/orders/o' + i + '/tags')[1]);\n"
      "  const big = long.exec('/orders/' + 'x'.repeat(2000) + '/items');\n"
      "  sticky.exec('foo');\n"
      "  return new Response(JSON.stringify([once && once.slice(1, 5), many.join(''),\n"
      "                                     big[2], big[1].length, sticky.lastIndex]));\n"
      "} };\n",
      [](ScriptSpec& spec) { spec.warm_up = {"/users/7"}; });
  ASSERT_EQ(harness->runtime().snapshot().start(0).warmed_up, 1u);
  std::string many;
  for (int i = 0; i < 25; ++i) many += "o" + std::to_string(i);
  const std::string rest = R"(],")" + many + R"(","items",2000,3])";
  EXPECT_EQ(harness->fetch("main", "http://x/users/42").body, R"([["42","",null,null)" + rest);
  EXPECT_EQ(harness->fetch("main", "http://x/orders/9/items").body,
            R"([[null,null,"9","items")" + rest);
  EXPECT_EQ(harness->fetch("main", "http://x/nope").body,
            R"([null,")" + many + R"(","items",2000,3])");
}

TEST(ScriptSnapshot, AFailedWarmUpIsLeftOutAndTheTopLevelSnapshotted) {
  auto harness = module_script(
      "let warmed = 0;\n"
      "export default { async fetch(request) {\n"
      "  ++warmed;\n"
      "  if (request.url.endsWith('/slow')) await new Promise((r) => setTimeout(r, 1));\n"
      "  return new Response(String(warmed));\n"
      "} };\n",
      [](ScriptSpec& spec) {
        spec.warm_up = {"/fast", "/slow"};
      });
  const ScriptStart& start = harness->runtime().snapshot().start(0);
  EXPECT_TRUE(start.snapshotted);
  EXPECT_EQ(start.warmed_up, 0u);
  EXPECT_THAT(start.warm_up_failure, HasSubstr("warm-up request \"/slow\""));
  EXPECT_THAT(start.warm_up_failure, HasSubstr("setTimeout()"));
  EXPECT_EQ(harness->fetch().body, "1");  // no trace of the failed warm-up
}

TEST(ScriptSnapshot, WarmUpRequestsMayDrawRandomValuesAndRequestsStillDrawTheirOwn) {
  // As Hono's requestId() middleware does in every request: the warm-up is not refused for it,
  // and what it keeps (the first id) is warm-up state, while each request draws afresh.
  auto harness = module_script(
      "let first = null;\n"
      "export default { fetch() {\n"
      "  const id = crypto.randomUUID();\n"
      "  if (first === null) first = id;\n"
      "  const bytes = crypto.getRandomValues(new Uint8Array(8));\n"
      "  return new Response(JSON.stringify([first, id, Math.random(), [...bytes]]));\n"
      "} };\n",
      [](ScriptSpec& spec) { spec.warm_up = {"/warm"}; });
  const ScriptStart& start = harness->runtime().snapshot().start(0);
  EXPECT_TRUE(start.snapshotted);
  EXPECT_EQ(start.warmed_up, 1u);
  EXPECT_EQ(start.warm_up_failure, "");
  const std::string one = harness->fetch().body;
  const std::string two = harness->fetch().body;
  ASSERT_GT(one.size(), 40u);
  // The warm-up's id is in both; everything the requests drew differs.
  EXPECT_EQ(one.substr(0, 40), two.substr(0, 40));
  EXPECT_NE(one.substr(40), two.substr(40));
}

TEST(ScriptSnapshot, RandomValuesStayRefusedAtTopLevelWhenTheScriptHasWarmUps) {
  EXPECT_THAT(start_error("const id = crypto.randomUUID();\n"
                          "export default { fetch: () => new Response(id) };\n",
                          true, [](ScriptSpec& spec) { spec.warm_up = {"/"}; }),
              HasSubstr("scope: crypto.randomUUID()"));
}

TEST(ScriptSnapshot, AWarmUpThatMakesNativeStateIsLeftOutNotTheSnapshot) {
  // A CryptoKey's key material cannot go into a snapshot: the warm-up fails, the top level is
  // snapshotted without it (before, the whole script fell back to evaluation per request).
  auto harness = module_script(
      "let key = null;\n"
      "export default { async fetch() {\n"
      "  if (key === null) key = await crypto.subtle.importKey('raw', new Uint8Array(16), "
      "'AES-GCM', false,\n"
      "                                        ['encrypt']);\n"
      "  return new Response(key.algorithm.name);\n"
      "} };\n",
      [](ScriptSpec& spec) { spec.warm_up = {"/warm"}; });
  const ScriptStart& start = harness->runtime().snapshot().start(0);
  EXPECT_TRUE(start.snapshotted);
  EXPECT_EQ(start.warmed_up, 0u);
  EXPECT_THAT(start.warm_up_failure, HasSubstr("native state"));
  EXPECT_EQ(harness->fetch().body, "AES-GCM");
}

TEST(ScriptSnapshot, AStreamMadeAtTopLevelCountsAsAWeakCollection) {
  // The streams family keeps WeakMaps of its own, made with the constructor it captured.
  auto harness = module_script(
      "const stream = new ReadableStream();\n"
      "export default { fetch: () => new Response(typeof stream.getReader) };\n");
  EXPECT_TRUE(harness->runtime().snapshot().snapshotted(0));
  EXPECT_TRUE(harness->runtime().snapshot().start(0).weak_collections);
  EXPECT_EQ(harness->fetch().body, "function");
}

TEST(ScriptSnapshot, ContextsHoldingWeakCollectionsSurviveCollectionsWhileDeserialized) {
  // Each request deserializes a few MB, and many requests' contexts are alive at once; full
  // collections fall due in the middle of that. V8 10.2 crashes when one starts inside
  // Context::FromSnapshot of a context holding a WeakMap (marking atomic or incremental): the
  // isolate collects before such a deserialization instead (deserialization_gc_guard.h). The
  // CPU limit is raised: that is not what this test is about, and the box may be loaded.
  RuntimeLimits limits;
  limits.cpu_ms = 60'000;
  auto harness = module_script(
      "const registry = new WeakMap();\n"
      "const big = Array.from({length: 40000}, (_, k) => ({k, name: 'n' + k, list: [k]}));\n"
      "for (const item of big.slice(0, 20000)) registry.set(item, {k: item.k});\n"
      "export default { async fetch() {\n"
      "  const mine = Array.from({length: 2000}, (_, k) => ({k, tag: 'r' + k}));\n"
      "  for (const item of mine) registry.set(item, item.k);\n"
      "  await new Promise((resolve) => setTimeout(resolve, 0));\n"
      "  return new Response(String(registry.get(big[7]).k + registry.get(mine[3])));\n"
      "} };\n",
      {}, limits);
  ASSERT_TRUE(harness->runtime().snapshot().snapshotted(0));
  EXPECT_TRUE(harness->runtime().snapshot().start(0).weak_collections);
  for (int round = 0; round < 8; ++round) {
    std::vector<HttpRequest> requests;
    for (int i = 0; i < 12; ++i) requests.push_back(make_request("main", "http://example.com/"));
    for (const HttpResponse& response : harness->fetch_all(std::move(requests))) {
      ASSERT_EQ(response.body, "10") << "round " << round;
    }
  }
}

}  // namespace
}  // namespace wsup::worker::testing
