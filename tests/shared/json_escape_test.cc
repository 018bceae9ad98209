// json_escape: whatever bytes come in, the quoted result is a JSON string (checked with a strict
// parser) that reads back as the text, with each ill-formed UTF-8 sequence as one U+FFFD.
#include "shared/json_escape.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/json.h"

namespace wsup {
namespace {

using namespace std::string_literals;

// What a JSON parser reads from the escaped text; "NOT JSON" when it refuses it.
std::string read_back(const std::string& raw) {
  return testing::json_string("\"" + json_escape(raw) + "\"").value_or("NOT JSON");
}

// `n` times U+FFFD, in UTF-8.
std::string replacements(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += "\xef\xbf\xbd";
  return out;
}

TEST(JsonEscape, QuotesBackslashesAndControlCharactersAreEscaped) {
  EXPECT_EQ(json_escape("say \"hi\"\\"), "say \\\"hi\\\"\\\\");
  EXPECT_EQ(json_escape("a\x01\n\r\t\x7f"s), "a\\u0001\\n\\r\\t\\u007f");
  EXPECT_EQ(json_escape("nul\0here"s), "nul\\u0000here");
  EXPECT_EQ(read_back("nul\0\x1f\"\\"s), "nul\0\x1f\"\\"s);
}

TEST(JsonEscape, WellFormedUtf8IsCopiedAsItIs) {
  for (const std::string& text :
       {"café"s, "日本語"s, "\xf0\x9f\x98\x80"s /* U+1F600 */, "\xf4\x8f\xbf\xbf"s /* U+10FFFF */,
        "\xed\x9f\xbf"s /* U+D7FF */}) {
    EXPECT_EQ(json_escape(text), text);
    EXPECT_EQ(read_back(text), text);
  }
}

TEST(JsonEscape, EachIllFormedSequenceBecomesOneReplacementCharacter) {
  struct Case {
    std::string raw;
    std::string read;
  };
  const Case cases[] = {
      {"\xff", replacements(1)},                    // never in UTF-8
      {"a\x80z", "a" + replacements(1) + "z"},      // a stray continuation byte
      {"\xc3", replacements(1)},                    // truncated at the end
      {"\xe2\x82z", replacements(1) + "z"},         // truncated: one U+FFFD for both bytes
      {"\xc0\xaf", replacements(2)},                // overlong '/'
      {"\xe0\x80\xaf", replacements(3)},            // overlong, 3 bytes
      {"\xed\xa0\x80", replacements(3)},            // a surrogate (U+D800)
      {"\xf4\x90\x80\x80", replacements(4)},        // past U+10FFFF
      {"caf\xe9!", "caf" + replacements(1) + "!"},  // Latin-1, not UTF-8
  };
  for (const Case& c : cases) {
    const std::string escaped = json_escape(c.raw);
    for (unsigned char byte : escaped) EXPECT_LT(byte, 0x80) << escaped;  // nothing raw left
    EXPECT_EQ(read_back(c.raw), c.read) << escaped;
  }
}

TEST(JsonEscape, EveryByteValueAloneAndInPairsGivesValidJson) {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; b += 17) {
      const std::string raw = {static_cast<char>(a), static_cast<char>(b)};
      ASSERT_NE(read_back(raw), "NOT JSON") << "bytes " << a << " " << b;
    }
  }
}

}  // namespace
}  // namespace wsup
