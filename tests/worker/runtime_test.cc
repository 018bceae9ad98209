// The runtime's execution model: both script styles, a fresh context per request, errors as
// responses, timers and overlapping requests.
#include <gtest/gtest.h>

#include "tests/worker/runtime_harness.h"

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

TEST(RuntimeTest, ModuleHelloWorld) {
  auto harness = Harness::single(
      "export default { async fetch(request) { return new Response('hi ' + request.url); } };",
      true);
  HttpResponse response = harness->fetch("main", "http://example.com/a?b=1");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hi http://example.com/a?b=1");
}

}  // namespace
}  // namespace wsup::worker::testing
