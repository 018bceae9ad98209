#include "supervisor/access_log.h"

#include <gtest/gtest.h>

#include "tests/support/json.h"

using namespace wsup::supervisor;
using namespace std::chrono_literals;

namespace {
AccessRecord sample() {
  AccessRecord r;
  r.time = std::chrono::system_clock::time_point{} + std::chrono::seconds(1'795'000'000) + 123ms;
  r.request_id = 17;
  r.remote = "127.0.0.1";
  r.method = "GET";
  r.target = "/hello?x=\"1\"";
  r.status = 200;
  r.body_bytes = 12;
  r.duration = 840us;
  r.script = "hello";
  r.worker = 1;
  return r;
}
}  // namespace

TEST(AccessLog, JsonLineCarriesRequestIdScriptWorkerAndEscapedPath) {
  EXPECT_EQ(format_json(sample()),
            "{\"ts\":\"2026-11-18T11:06:40.123Z\",\"req\":17,\"remote\":\"127.0.0.1\","
            "\"method\":\"GET\",\"path\":\"/hello?x=\\\"1\\\"\",\"status\":200,\"bytes\":12,"
            "\"ms\":0.840,\"script\":\"hello\",\"worker\":1}");
}

TEST(AccessLog, CommonLogFormatIsStrictClf) {
  EXPECT_EQ(format_common(sample()),
            "127.0.0.1 - - [18/Nov/2026:11:06:40 +0000] \"GET /hello?x=_1_ HTTP/1.1\" 200 12");
  AccessRecord empty = sample();
  empty.body_bytes = 0;
  EXPECT_TRUE(format_common(empty).ends_with("\" 200 -"));
}

TEST(AccessLog, JsonLineOfRawInvalidBytesIsValidJson) {
  AccessRecord r = sample();
  r.target = "/caf\xc3\xa9/\xff\x01?q=\xe2\x82";
  r.method = "G\x80T";
  std::string error;
  std::optional<boost::json::value> line = wsup::testing::parse_json(format_json(r), &error);
  ASSERT_TRUE(line) << error << ": " << format_json(r);
  EXPECT_EQ(line->at("path").as_string(), "/caf\xc3\xa9/\xef\xbf\xbd\x01?q=\xef\xbf\xbd");
  EXPECT_EQ(line->at("method").as_string(), "G\xef\xbf\xbdT");
  EXPECT_EQ(line->at("req").as_int64(), 17);
}

TEST(AccessLog, ACutResponseSaysWhyAndWhatStatusLineTheClientHadGot) {
  AccessRecord cut = sample();
  cut.status = 499;
  cut.body_bytes = 65536;
  cut.cut = "client_gone";
  cut.sent_status = 200;
  EXPECT_TRUE(format_json(cut).ends_with(
      "\"status\":499,\"bytes\":65536,\"ms\":0.840,\"script\":\"hello\",\"worker\":1,"
      "\"cut\":\"client_gone\",\"sent_status\":200}"))
      << format_json(cut);
  EXPECT_TRUE(format_common(cut).ends_with("\" 499 65536"));  // strict CLF: no extra field
}
