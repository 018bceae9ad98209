#include "supervisor/access_log.h"

#include <gtest/gtest.h>

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

TEST(AccessLog, ControlCharactersAreEscapedInJson) {
  EXPECT_EQ(wsup::json_escape(std::string("a\x01\n", 3)), "a\\u0001\\n");
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
