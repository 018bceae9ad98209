// The logger's lines: key=value fields, values quoted as JSON strings when they need quotes, so
// control characters and invalid UTF-8 come out escaped the same way as in the JSON access log.
#include "shared/log.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/json.h"

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

}  // namespace
}  // namespace wsup::log
