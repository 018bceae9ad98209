// TextEncoder/TextDecoder against the WHATWG Encoding Standard's UTF-8 encoder and decoder, and
// atob/btoa against HTML's forgiving-base64.
#include "tests/worker/web/js_test_fixture.h"

namespace wsup::test {
namespace {

using EncodingTest = WebPlatformTest;

TEST_F(EncodingTest, EncodesUtf8AndReplacesLoneSurrogates) {
  EXPECT_EQ(Eval("Array.from(new TextEncoder().encode('a\\u20ac\\u{1F600}')).join(',')"),
            "97,226,130,172,240,159,152,128");
  EXPECT_EQ(Eval("Array.from(new TextEncoder().encode('\\ud800x')).join(',')"), "239,191,189,120");
  EXPECT_EQ(Eval("new TextEncoder().encode().length + new TextEncoder().encoding"), "0utf-8");
}

TEST_F(EncodingTest, EncodeIntoWritesOnlyWholeCodePoints) {
  EXPECT_EQ(Eval("const r = new TextEncoder().encodeInto('a\\u20ac', new Uint8Array(2));"
                 "r.read + ',' + r.written"),
            "1,1");
  EXPECT_EQ(Eval("const b = new Uint8Array(5); const r = new TextEncoder().encodeInto("
                 "'\\u{1F600}z', b); r.read + ',' + r.written + ',' + b.join(',')"),
            "3,5,240,159,152,128,122");
  EXPECT_EQ(Eval("const b = new Uint8Array(8); const r = new TextEncoder().encodeInto("
                 "'xy', b.subarray(6)); r.written + ',' + b[6] + ',' + b[7]"),
            "2,120,121");
}

TEST_F(EncodingTest, EmptyBuffersAreFine) {
  EXPECT_EQ(
      Eval("const r = new TextEncoder().encodeInto('abc', new Uint8Array(0));"
           "r.read + ',' + r.written + ',' + new TextDecoder().decode(new ArrayBuffer(0)).length"
           " + ',' + new TextDecoder().decode().length"),
      "0,0,0,0");
  EXPECT_EQ(Eval("crypto.getRandomValues(new Uint8Array(0)).length"), "0");
}

TEST_F(EncodingTest, DecodesAndReplacesMalformedSequencesPerSpec) {
  auto decode = [this](const std::string& bytes) {
    return Eval("Array.from(new TextDecoder().decode(new Uint8Array([" + bytes +
                "])), (c) => c.codePointAt(0).toString(16)).join(' ')");
  };
  EXPECT_EQ(decode("0xE2, 0x82, 0xAC"), "20ac");
  EXPECT_EQ(decode("0xF0, 0x9F, 0x98, 0x80"), "1f600");
  EXPECT_EQ(decode("0xE2, 0x82"), "fffd");                  // truncated at end: one U+FFFD
  EXPECT_EQ(decode("0xC0, 0x80"), "fffd fffd");             // overlong lead is never valid
  EXPECT_EQ(decode("0xF0, 0x80, 0x80"), "fffd fffd fffd");  // F0 needs 90..BF next
  EXPECT_EQ(decode("0xED, 0xA0, 0x80"), "fffd fffd fffd");  // UTF-16 surrogate
  EXPECT_EQ(decode("0x61, 0xF1, 0x80, 0x62"), "61 fffd 62");
  EXPECT_EQ(decode("0xF4, 0x90, 0x80, 0x80"), "fffd fffd fffd fffd");  // above U+10FFFF
  EXPECT_EQ(decode("0xFF, 0x61"), "fffd 61");
}

TEST_F(EncodingTest, StreamingHoldsSplitSequencesBetweenCalls) {
  EXPECT_EQ(Eval(R"js(
    const d = new TextDecoder();
    const parts = [
      d.decode(new Uint8Array([0x61, 0xE2]), {stream: true}),
      d.decode(new Uint8Array([0x82]), {stream: true}),
      d.decode(new Uint8Array([0xAC, 0xF0, 0x9F]), {stream: true}),
      d.decode(new Uint8Array([0x98]), {stream: true}),
      d.decode(new Uint8Array([0x80])),
    ];
    parts.map((p) => Array.from(p, (c) => c.codePointAt(0).toString(16)).join('+')).join('|'))js"),
            "61||20ac||1f600");
  // A flush with an incomplete sequence pending emits U+FFFD, then the decoder is fresh.
  EXPECT_EQ(Eval("const d = new TextDecoder(); d.decode(new Uint8Array([0xE2]), {stream: true});"
                 "const end = d.decode(); end.charCodeAt(0).toString(16) + ',' + end.length + ','"
                 "+ d.decode(new Uint8Array([0x41]))"),
            "fffd,1,A");
  // The caller reusing its buffer must not corrupt held bytes.
  EXPECT_EQ(Eval("const d = new TextDecoder(); const b = new Uint8Array([0xE2, 0x82]);"
                 "d.decode(b, {stream: true}); b.fill(0); d.decode(new Uint8Array([0xAC]))"),
            "\u20AC");
}

TEST_F(EncodingTest, BomIsStrippedOnceUnlessIgnoreBom) {
  EXPECT_EQ(Eval("new TextDecoder().decode(new Uint8Array([0xEF, 0xBB, 0xBF, 0x61])).length"), "1");
  EXPECT_EQ(Eval("new TextDecoder('utf-8', {ignoreBOM: true}).decode(new Uint8Array([0xEF, 0xBB,"
                 " 0xBF, 0x61])).charCodeAt(0).toString(16)"),
            "feff");
  EXPECT_EQ(Eval("const d = new TextDecoder(); d.decode(new Uint8Array([0xEF, 0xBB]), {stream: "
                 "true}) + d.decode(new Uint8Array([0xBF, 0xEF, 0xBB, 0xBF]), {stream: true})"
                 ".charCodeAt(0).toString(16)"),
            "feff");
}

TEST_F(EncodingTest, FatalModeThrowsTypeError) {
  EXPECT_EQ(Eval("try { new TextDecoder('utf-8', {fatal: true}).decode(new Uint8Array([0xFF])) } "
                 "catch (e) { e.constructor.name }"),
            "TypeError");
  EXPECT_EQ(Eval("try { new TextDecoder('utf8', {fatal: true}).decode(new Uint8Array([0xE2, "
                 "0x82])) } catch (e) { e.constructor.name }"),
            "TypeError");
  EXPECT_EQ(Eval("const d = new TextDecoder('utf-8', {fatal: true}); d.fatal + ',' + "
                 "d.decode(new Uint8Array([0xE2, 0x82]), {stream: true}).length"),
            "true,0");
}

TEST_F(EncodingTest, AcceptsUtf8LabelsOnly) {
  EXPECT_EQ(Eval("[' UTF8\\n', 'unicode-1-1-utf-8', 'Utf-8'].map((l) => new TextDecoder(l)"
                 ".encoding).join(',')"),
            "utf-8,utf-8,utf-8");
  EXPECT_EQ(Eval("try { new TextDecoder('latin1') } catch (e) { e.name }"), "RangeError");
  EXPECT_EQ(Eval("new TextDecoder().decode(new Uint16Array([0x6968]).buffer)"), "hi");
}

TEST_F(EncodingTest, Base64FollowsForgivingBase64) {
  EXPECT_EQ(Eval("btoa('hello')"), "aGVsbG8=");
  EXPECT_EQ(Eval("btoa('') + '|' + btoa('a') + '|' + btoa('ab') + '|' + btoa('\\xff')"),
            "|YQ==|YWI=|/w==");
  EXPECT_EQ(Eval("atob('aGVsbG8=') + atob('aGVsbG8') + atob(' aGVs\\nbG8= ')"), "hellohellohello");
  EXPECT_EQ(Eval("atob('ab==').charCodeAt(0) + ',' + atob('') .length + ',' + atob('YQ')"),
            "105,0,a");
  EXPECT_EQ(Eval("atob('/w==').charCodeAt(0)"), "255");
  for (const char* bad : {"a", "aGVsbG8==", "ab=", "a=b=", "ab*c", "=abc"}) {
    EXPECT_EQ(Eval(std::string("try { atob('") + bad +
                   "'); 'no' } catch (e) { e.name + (e instanceof DOMException) + e.code }"),
              "InvalidCharacterErrortrue5")
        << bad;
  }
  EXPECT_EQ(Eval("try { btoa('\\u0100') } catch (e) { e.name }"), "InvalidCharacterError");
}

}  // namespace
}  // namespace wsup::test
