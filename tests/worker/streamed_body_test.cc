// Response bodies that are streams, read by the runtime's pump (worker/api/response_body.js)
// into a ResponseSink: the script's own streams go out chunk by chunk, a FixedLengthStream
// declares its length, chunks that are not bytes and a FixedLengthStream short of its length
// break the body off, a client that goes away cancels the script's stream, and a whole body
// rewrapped through `.body` is still answered whole.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <memory>
#include <string>

#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

using ::testing::HasSubstr;

struct Streamed {
  std::shared_ptr<MemorySink> sink;
  std::string log;
};

// One request to `source` (an ES module) with the sink in memory; the loop runs to the end.
Streamed fetch_streamed(const std::string& source,
                        const std::function<void(MemorySink&, Harness&)>& during = nullptr) {
  auto harness = Harness::single(source, true);
  auto sink = std::make_shared<MemorySink>();
  ::testing::internal::CaptureStderr();
  harness->runtime().handle(make_request("main"), sink);
  if (during) during(*sink, *harness);
  harness->loop().run();
  return {sink, ::testing::internal::GetCapturedStderr()};
}

TEST(StreamedBodyTest, AScriptsOwnStreamGoesOutChunkByChunk) {
  Streamed out = fetch_streamed(
      "export default { fetch() {\n"
      "  let n = 0;\n"
      "  const body = new ReadableStream({ async pull(c) {\n"
      "    await new Promise((done) => setTimeout(done, 1));\n"
      "    if (++n > 3) return c.close();\n"
      "    c.enqueue(new TextEncoder().encode('part' + n + ';'));\n"
      "  } });\n"
      "  return new Response(body, {headers: {'content-type': 'text/plain'}});\n"
      "} };");
  ASSERT_TRUE(out.sink->answered()) << out.log;
  EXPECT_TRUE(out.sink->streamed());
  EXPECT_FALSE(out.sink->aborted()) << out.log;
  EXPECT_EQ(out.sink->response().body, "part1;part2;part3;");
  EXPECT_EQ(out.sink->chunks().size(), 3u) << "one chunk per pull, each after a timer";
  EXPECT_FALSE(out.sink->declared_length().has_value());
}

TEST(StreamedBodyTest, AFixedLengthStreamDeclaresItsLength) {
  Streamed out = fetch_streamed(
      "export default { fetch(request, env, ctx) {\n"
      "  const {readable, writable} = new FixedLengthStream(10);\n"
      "  const writer = writable.getWriter();\n"
      "  ctx.waitUntil((async () => {\n"
      "    await writer.write(new Uint8Array([1, 2, 3, 4]));\n"
      "    await writer.write(new TextEncoder().encode('567890'));\n"
      "    await writer.close();\n"
      "  })());\n"
      "  return new Response(readable);\n"
      "} };");
  ASSERT_TRUE(out.sink->answered()) << out.log;
  EXPECT_TRUE(out.sink->streamed());
  EXPECT_EQ(out.sink->declared_length(), std::optional<uint64_t>(10));
  EXPECT_FALSE(out.sink->aborted()) << out.log;
  EXPECT_EQ(out.sink->response().body, std::string("\x01\x02\x03\x04", 4) + "567890");
}

TEST(StreamedBodyTest, AFixedLengthStreamShortOfItsLengthBreaksTheBodyOff) {
  Streamed out = fetch_streamed(
      "export default { fetch(request, env, ctx) {\n"
      "  const {readable, writable} = new FixedLengthStream(10);\n"
      "  const writer = writable.getWriter();\n"
      "  ctx.waitUntil(writer.write(new Uint8Array(4)).then(() => writer.close()).catch(() => "
      "{}));\n"
      "  return new Response(readable);\n"
      "} };");
  ASSERT_TRUE(out.sink->answered()) << out.log;
  EXPECT_EQ(out.sink->declared_length(), std::optional<uint64_t>(10));
  EXPECT_TRUE(out.sink->aborted());
  EXPECT_THAT(out.log, HasSubstr("closed after 4 of the 10 bytes it declared"));
}

TEST(StreamedBodyTest, AChunkThatIsNotBytesBreaksTheBodyOff) {
  Streamed out = fetch_streamed(
      "export default { fetch() {\n"
      "  return new Response(new ReadableStream({ start(c) {\n"
      "    c.enqueue(new Uint8Array([65])); c.enqueue('text'); c.close();\n"
      "  } }));\n"
      "} };");
  ASSERT_TRUE(out.sink->answered()) << out.log;
  EXPECT_TRUE(out.sink->aborted());
  EXPECT_THAT(out.log, HasSubstr("This ReadableStream did not return bytes."));
}

TEST(StreamedBodyTest, AClientThatGoesAwayCancelsTheScriptsStream) {
  Streamed out = fetch_streamed(
      "export default { fetch() {\n"
      "  return new Response(new ReadableStream({\n"
      "    async pull(c) { await new Promise((done) => setTimeout(done, 5));\n"
      "                    c.enqueue(new Uint8Array(8)); },\n"
      "    cancel(reason) { console.log('source cancelled'); },\n"
      "  }));\n"
      "} };",
      [](MemorySink& sink, Harness& harness) {
        // Run until the first chunk is out, then hang up.
        while (sink.chunks().empty() && harness.loop().run_one() > 0) {
        }
        sink.cancel();
      });
  EXPECT_TRUE(out.sink->aborted());
  EXPECT_THAT(out.log, HasSubstr("source cancelled"));
}

TEST(StreamedBodyTest, CompressionStreamOutputStreamsAndInflates) {
  Streamed out = fetch_streamed(
      "export default { fetch() {\n"
      "  const text = new Response('squeeze '.repeat(5000)).body;\n"
      "  return new Response(text.pipeThrough(new CompressionStream('deflate')));\n"
      "} };");
  ASSERT_TRUE(out.sink->answered()) << out.log;
  EXPECT_TRUE(out.sink->streamed());
  EXPECT_FALSE(out.sink->aborted()) << out.log;
  const std::string& packed = out.sink->response().body;
  std::string inflated(40000, '\0');
  uLongf size = inflated.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(inflated.data()), &size,
                       reinterpret_cast<const Bytef*>(packed.data()), packed.size()),
            Z_OK);
  inflated.resize(size);
  std::string expected;
  for (int i = 0; i < 5000; ++i) expected += "squeeze ";
  EXPECT_EQ(inflated, expected);
}

TEST(StreamedBodyTest, ARewrappedWholeBodyIsAnsweredWhole) {
  Streamed out = fetch_streamed(
      "export default { fetch() {\n"
      "  const inner = new Response('whole');\n"
      "  return new Response(inner.body, inner);\n"
      "} };");
  ASSERT_TRUE(out.sink->answered()) << out.log;
  EXPECT_FALSE(out.sink->streamed()) << "an untouched stream over a whole body goes whole";
  EXPECT_EQ(out.sink->response().body, "whole");
}

}  // namespace
}  // namespace wsup::worker::testing
