// The logger's lines: logfmt (key=value fields, values quoted as JSON strings when they need
// quotes) or one JSON object per line, so control characters and invalid UTF-8 come out escaped
// the same way in both; reopen() for rotation; failed writes counted.
#include "shared/log.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/json.h"
#include "tests/support/temp_dir.h"

namespace wsup::log {
namespace {

using namespace std::string_literals;

TEST(Log, PlainValuesStayBareAndTheRestAreQuotedAsJsonStrings) {
  EXPECT_EQ(quote("ready"), "ready");
  EXPECT_EQ(quote("/a/b?c"), "/a/b?c");
  EXPECT_EQ(quote(""), "\"\"");
  EXPECT_EQ(quote("two words"), "\"two words\"");
  EXPECT_EQ(quote("k=v"), "\"k=v\"");
  EXPECT_EQ(quote("a\x01\n"s), "\"a\\u0001\\n\"");  // \u, as JSON has it (no \x)
  EXPECT_EQ(quote("café"), "\"café\"");             // UTF-8 kept, inside quotes
}

TEST(Log, QuotedValuesWithRawInvalidBytesReadBackAsJsonStrings) {
  for (const std::string& raw :
       {"caf\xe9"s, "\xff\xfe"s, "half \xe2\x82"s, "nul\0byte"s, "quote\" and \\ and \x7f"s}) {
    const std::string quoted = quote(raw);
    for (unsigned char byte : quoted) EXPECT_LT(byte, 0x80) << quoted;
    EXPECT_TRUE(wsup::testing::json_string(quoted).has_value()) << quoted;
  }
}

TEST(Log, LineCarriesLevelMessageAndFields) {
  const std::string line =
      format(Level::warn, "worker exited", {{"worker", 3}, {"how", "exit status 1"}, {"ms", 2.5}});
  EXPECT_TRUE(line.starts_with("ts=")) << line;
  EXPECT_NE(line.find(" level=warn msg=\"worker exited\" worker=3 how=\"exit status 1\" ms=2.5\n"),
            std::string::npos)
      << line;
}

// The format is process-wide: these tests put logfmt back when they end.
struct JsonLog : ::testing::Test {
  JsonLog() { set_format(Format::json); }
  ~JsonLog() override { set_format(Format::logfmt); }
};

TEST_F(JsonLog, LineIsOneJsonObjectWithTheSameFieldsInOrder) {
  const std::string line =
      format(Level::error, "worker exited",
             {{"worker", 3}, {"how", "exit \"1\""}, {"ms", 2.5}, {"big", 1e17}});
  ASSERT_TRUE(line.ends_with("}\n")) << line;
  std::string error;
  auto value = wsup::testing::parse_json(line, &error);
  ASSERT_TRUE(value) << error << ": " << line;
  EXPECT_EQ(value->at("level").as_string(), "error");
  EXPECT_EQ(value->at("msg").as_string(), "worker exited");
  EXPECT_EQ(value->at("worker").as_int64(), 3);
  EXPECT_EQ(value->at("how").as_string(), "exit \"1\"");
  EXPECT_EQ(value->at("ms").as_double(), 2.5);
  EXPECT_EQ(value->at("big").as_double(), 1e17);  // every digit, no %g rounding
  EXPECT_NE(line.find("\"level\":\"error\",\"msg\":\"worker exited\",\"worker\":3,"),
            std::string::npos)
      << line;
}

TEST_F(JsonLog, RawInvalidBytesAndControlCharactersStayValidJson) {
  for (const std::string& raw :
       {"caf\xe9"s, "\xff\xfe"s, "half \xe2\x82"s, "nul\0byte"s, "\x7f\n"s}) {
    const std::string line = format(Level::info, raw, {{"path", raw}});
    std::string error;
    EXPECT_TRUE(wsup::testing::parse_json(line, &error)) << error << ": " << line;
  }
}

TEST(Log, ReopenSendsLaterLinesToTheFileNowAtThePathAndLosesNone) {
  wsup::testing::TempDir dir;
  const std::string path = (dir.path() / "wsup.log").string();
  set_destination(path);
  info("first");
  std::filesystem::rename(path, path + ".1");  // what logrotate does before postrotate
  info("second, still to the renamed file");
  ASSERT_TRUE(reopen());
  info("third");
  set_destination("stderr");
  std::ifstream rotated(path + ".1"), fresh(path);
  std::string rotated_text((std::istreambuf_iterator<char>(rotated)), {});
  std::string fresh_text((std::istreambuf_iterator<char>(fresh)), {});
  EXPECT_NE(rotated_text.find("msg=first"), std::string::npos) << rotated_text;
  EXPECT_NE(rotated_text.find("msg=\"second, still"), std::string::npos) << rotated_text;
  EXPECT_EQ(fresh_text.find("msg=first"), std::string::npos) << fresh_text;
  EXPECT_NE(fresh_text.find("msg=third"), std::string::npos) << fresh_text;
}

TEST(Log, AccessLinesGoToTheirOwnFileWhenOneIsSet) {
  wsup::testing::TempDir dir;
  const std::string log_path = (dir.path() / "wsup.log").string();
  const std::string access_path = (dir.path() / "access.log").string();
  set_destination(log_path);
  set_access_destination(access_path);
  info("a log line");
  write_access("request", std::vector<Field>{{"req", 1}});
  set_access_destination("");
  write_access("request", std::vector<Field>{{"req", 2}});
  set_destination("stderr");
  std::ifstream log_file(log_path), access_file(access_path);
  std::string log_text((std::istreambuf_iterator<char>(log_file)), {});
  std::string access_text((std::istreambuf_iterator<char>(access_file)), {});
  EXPECT_NE(access_text.find("msg=request req=1\n"), std::string::npos) << access_text;
  EXPECT_EQ(access_text.find("a log line"), std::string::npos) << access_text;
  EXPECT_NE(log_text.find("msg=\"a log line\""), std::string::npos) << log_text;
  EXPECT_NE(log_text.find("msg=request req=2\n"), std::string::npos) << log_text;  // none set
}

TEST(Log, AFailedWriteIsCounted) {
  // /dev/full refuses every write with ENOSPC: a full disk.
  const uint64_t before = write_failures();
  set_destination("/dev/full");
  info("lost");
  write_access("request", std::vector<Field>{{"req", 1}});
  set_destination("stderr");
  EXPECT_EQ(write_failures(), before + 2);
}

}  // namespace
}  // namespace wsup::log
