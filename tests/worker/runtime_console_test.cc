// What one request may write into the worker's log (limits.console_bytes, console_lines):
// console.* and the runtime's reports of its uncaught errors, cut at the cap, then one
// "console output truncated" line and nothing more.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

using ::testing::HasSubstr;

size_t count_of(const std::string& text, const std::string& word) {
  size_t n = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
  return n;
}

struct Logged {
  HttpResponse response;
  std::string log;
};

Logged fetch_logged(Harness& harness, const std::string& url = "http://x/") {
  ::testing::internal::CaptureStderr();
  HttpResponse response = harness.fetch("main", url);
  return {std::move(response), ::testing::internal::GetCapturedStderr()};
}

TEST(RuntimeConsoleTest, LinesPastTheByteCapAreCutThenDroppedWithOneNotice) {
  RuntimeLimits limits;
  limits.console_bytes = 1000;
  auto harness = Harness::single(
      "export default { fetch() {\n"
      "  for (let i = 0; i < 10; i++) console.log(String(i).repeat(300));\n"
      "  return new Response('done');\n"
      "} };\n",
      true, 1, limits);
  Logged first = fetch_logged(*harness);
  EXPECT_EQ(first.response.body, "done");
  EXPECT_EQ(count_of(first.log, std::string(300, '0')), 1u);
  EXPECT_EQ(count_of(first.log, std::string(300, '2')), 1u);
  // The fourth line gets the last 100 bytes; nothing of the fifth and later.
  EXPECT_EQ(count_of(first.log, std::string(100, '3')), 1u);
  EXPECT_EQ(count_of(first.log, std::string(101, '3')), 0u);
  EXPECT_EQ(count_of(first.log, "444"), 0u);
  EXPECT_EQ(count_of(first.log, "console output truncated"), 1u) << first.log;
  EXPECT_THAT(first.log, HasSubstr("console_bytes=1000"));
  // The cap is per request: the next one writes again.
  Logged second = fetch_logged(*harness);
  EXPECT_EQ(count_of(second.log, std::string(300, '0')), 1u);
}

TEST(RuntimeConsoleTest, LineCapCountsEmptyLinesToo) {
  RuntimeLimits limits;
  limits.console_lines = 5;
  limits.cpu_ms = 5000;  // 100,000 calls: past 50 ms of CPU under TSan on a loaded machine
  auto harness = Harness::single(
      "export default { fetch() {\n"
      "  for (let i = 0; i < 1e5; i++) console.log();\n"
      "  return new Response('done');\n"
      "} };\n",
      true, 1, limits);
  Logged logged = fetch_logged(*harness);
  EXPECT_EQ(logged.response.body, "done");
  EXPECT_EQ(count_of(logged.log, "script=main"), 6u) << "5 lines and the notice";
  EXPECT_EQ(count_of(logged.log, "console output truncated"), 1u);
}

// A single console.log of 16 MiB used to be copied whole into the log; now no more than the cap
// of it is even converted to UTF-8 (JsHost::console_room), in a request's own context and in a
// context shared by an isolate's requests alike.
void expect_one_huge_string_writes_no_more_than_the_cap(bool shared_context) {
  RuntimeLimits limits;
  limits.cpu_ms = 2000;  // V8 flattens the repeated string first: not this test's subject
  auto harness = Harness::single(
      "export default { fetch() {\n"
      "  console.log('x'.repeat(16 << 20));\n"
      "  console.log({big: 'y'.repeat(1 << 20)});\n"
      "  return new Response('done');\n"
      "} };\n",
      true, 1, limits, std::nullopt, 64, [&](ScriptSpec& spec) {
        if (shared_context) spec.isolation = Isolation::isolate;
      });
  Logged logged = fetch_logged(*harness);
  EXPECT_EQ(logged.response.body, "done");
  EXPECT_EQ(count_of(logged.log, std::string(256 * 1024, 'x')), 1u);
  EXPECT_LT(logged.log.size(), 256u * 1024 + 1024);
  EXPECT_EQ(count_of(logged.log, "yyy"), 0u);
  EXPECT_EQ(count_of(logged.log, "console output truncated"), 1u);
}

TEST(RuntimeConsoleTest, OneHugeStringWritesNoMoreThanTheCap) {
  expect_one_huge_string_writes_no_more_than_the_cap(false);
}

TEST(RuntimeConsoleTest, OneHugeStringWritesNoMoreThanTheCapInASharedContext) {
  expect_one_huge_string_writes_no_more_than_the_cap(true);
}

// Thrown errors are the script's words too: a throw per timer, each with a big message, counts
// against the same share.
TEST(RuntimeConsoleTest, UncaughtErrorReportsCountAgainstTheCap) {
  RuntimeLimits limits;
  limits.console_lines = 3;
  auto harness = Harness::single(
      "addEventListener('fetch', (e) => {\n"
      "  e.waitUntil(new Promise((done) => {\n"
      "    for (let i = 0; i < 20; i++) setTimeout(() => { throw new Error('boom ' + i); }, 1);\n"
      "    setTimeout(done, 20);\n"
      "  }));\n"
      "  e.respondWith(new Response('done'));\n"
      "});\n",
      false, 1, limits);
  Logged logged = fetch_logged(*harness);
  EXPECT_EQ(logged.response.body, "done");
  EXPECT_EQ(count_of(logged.log, "uncaught exception"), 3u) << logged.log;
  EXPECT_EQ(count_of(logged.log, "console output truncated"), 1u);
}

}  // namespace
}  // namespace wsup::worker::testing
