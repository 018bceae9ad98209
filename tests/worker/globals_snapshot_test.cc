// The globals of issue #16 at a snapshotted script's top level (worker/script_snapshot.h): what
// can go into the snapshot does, and works in every request made from it; what cannot (a
// MessagePort, Node's built-in modules) keeps the script per request with the reason, and the
// script still works there.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

using ::testing::HasSubstr;

TEST(GlobalsAtSnapshottedTopLevel, URLPatternEventsAndNavigatorMadeThereSurviveTheSnapshot) {
  auto harness = Harness::single(
      "const pattern = new URLPattern({pathname: '/u/:id(\\\\d+)/*'});\n"
      "const event = new CustomEvent('made', {detail: {n: 1}});\n"
      "const signal = AbortSignal.any([AbortSignal.abort('top')]);\n"
      "const facts = [self === globalThis, navigator.userAgent, typeof reportError,\n"
      "               new TextDecoder('windows-1252').decode(new Uint8Array([0x80]))];\n"
      "export default { fetch(request) {\n"
      "  const match = pattern.exec(request.url);\n"
      "  return new Response(JSON.stringify([match.pathname.groups, event.detail.n++,\n"
      "      signal.reason, self === globalThis, ...facts]));\n"
      "} };\n",
      true);
  ASSERT_TRUE(harness->runtime().snapshot().snapshotted(0))
      << harness->runtime().snapshot().start(0).fallback_reason;
  // None of these families keeps a WeakMap: incremental marking stays off.
  EXPECT_FALSE(harness->runtime().snapshot().start(0).weak_collections);
  const std::string expected =
      R"([{"0":"a/b","id":"7"},1,"top",true,true,"Cloudflare-Workers","function","€"])";
  EXPECT_EQ(harness->fetch("main", "http://example.com/u/7/a/b").body, expected);
  // The second request starts from the snapshot, not from what the first left.
  EXPECT_EQ(harness->fetch("main", "http://example.com/u/7/a/b").body, expected);
}

TEST(GlobalsAtSnapshottedTopLevel, GlobalScopeListenersAddedThereWorkInEveryRequest) {
  // The global scope becomes an event target at top level without making a WeakMap.
  auto harness = Harness::single(
      "let reported = 0;\n"
      "addEventListener('error', (event) => { reported++; event.preventDefault(); });\n"
      "addEventListener('fetch', (event) => {\n"
      "  reportError(new Error('handled'));\n"
      "  event.respondWith(new Response(String(reported)));\n"
      "});\n",
      false);
  ASSERT_TRUE(harness->runtime().snapshot().snapshotted(0))
      << harness->runtime().snapshot().start(0).fallback_reason;
  EXPECT_FALSE(harness->runtime().snapshot().start(0).weak_collections);
  EXPECT_EQ(harness->fetch().body, "1");
  EXPECT_EQ(harness->fetch().body, "1");
}

TEST(GlobalsAtSnapshottedTopLevel, AMessageChannelMadeThereKeepsTheScriptPerRequest) {
  auto harness = Harness::single(
      "const {port1, port2} = new MessageChannel();\n"
      "export default { async fetch() {\n"
      "  const got = new Promise((resolve) => { port2.onmessage = (e) => resolve(e.data); });\n"
      "  port1.postMessage('delivered');\n"
      "  return new Response(await got);\n"
      "} };\n",
      true);
  EXPECT_FALSE(harness->runtime().snapshot().snapshotted(0));
  EXPECT_THAT(harness->runtime().snapshot().start(0).fallback_reason,
              HasSubstr("the top level made a MessagePort (MessageChannel), whose native state "
                        "cannot go into a snapshot"));
  EXPECT_EQ(harness->fetch().body, "delivered");
}

TEST(GlobalsAtSnapshottedTopLevel, MessageChannelsMadeInRequestsLeaveTheSnapshotAlone) {
  auto harness = Harness::single(
      "export default { async fetch() {\n"
      "  const {port1, port2} = new MessageChannel();\n"
      "  const got = new Promise((resolve) => { port2.onmessage = (e) => resolve(e.data); });\n"
      "  port1.postMessage(7);\n"
      "  return new Response(String(await got));\n"
      "} };\n",
      true);
  EXPECT_TRUE(harness->runtime().snapshot().snapshotted(0));
  EXPECT_EQ(harness->fetch().body, "7");
}

TEST(GlobalsAtSnapshottedTopLevel, AScriptImportingNodeBuiltInsIsEvaluatedPerRequest) {
  TempDir dir;
  ScriptSpec spec;
  spec.name = "main";
  spec.module = true;
  spec.path = dir.write("main.mjs",
                        "import {Buffer} from 'node:buffer';\n"
                        "const greeting = Buffer.from('hi').toString('hex');\n"
                        "export default { fetch: () => new Response(greeting) };\n");
  spec.compatibility_flags = {"nodejs_compat"};
  Harness harness({spec});
  EXPECT_FALSE(harness.runtime().snapshot().snapshotted(0));
  EXPECT_THAT(harness.runtime().snapshot().start(0).fallback_reason,
              HasSubstr("it imports Node's built-in module node:buffer (nodejs_compat)"));
  EXPECT_EQ(harness.fetch("main").body, "6869");
}

}  // namespace
}  // namespace wsup::worker::testing
