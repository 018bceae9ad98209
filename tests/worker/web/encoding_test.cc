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

TEST_F(EncodingTest, AcceptsUtf8AndTheSingleByteLabels) {
  EXPECT_EQ(Eval("[' UTF8\\n', 'unicode-1-1-utf-8', 'Utf-8'].map((l) => new TextDecoder(l)"
                 ".encoding).join(',')"),
            "utf-8,utf-8,utf-8");
  // The Encoding Standard's labels: latin1 and ascii are windows-1252, as in browsers.
  EXPECT_EQ(Eval("['latin1', ' ISO-8859-1', 'ascii', 'cp1252', 'koi8', 'l2', 'mac', 'logical',"
                 " 'dos-874', 'x-mac-ukrainian', 'csibm866']"
                 ".map((l) => new TextDecoder(l).encoding).join(',')"),
            "windows-1252,windows-1252,windows-1252,windows-1252,koi8-r,iso-8859-2,macintosh,"
            "iso-8859-8-i,windows-874,x-mac-cyrillic,ibm866");
  // Multi-byte legacy encodings, UTF-16 and 'replacement' are not offered; case folding is
  // ASCII-only (the Kelvin sign K does not fold to k).
  for (const char* label :
       {"shift_jis", "gbk", "utf-16le", "replacement", "\\u212Aoi8-r", "", "latin 1"}) {
    EXPECT_EQ(Eval(std::string("try { new TextDecoder('") + label +
                   "'); 'accepted' } catch (e) { e.name }"),
              "RangeError")
        << label;
  }
  EXPECT_EQ(Eval("new TextDecoder().decode(new Uint16Array([0x6968]).buffer)"), "hi");
}

// windows-1252 (the standard's index): 0x80-0x9F are mostly typographic characters, five of
// them (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the C1 controls of the same value; 0xA0-0xFF are
// Latin-1.
TEST_F(EncodingTest, DecodesWindows1252IncludingItsC1Range) {
  EXPECT_EQ(Eval("const bytes = new Uint8Array(32).map((_, i) => 0x80 + i);"
                 "Array.from(new TextDecoder('windows-1252').decode(bytes),"
                 " (c) => c.codePointAt(0).toString(16)).join(' ')"),
            "20ac 81 201a 192 201e 2026 2020 2021 2c6 2030 160 2039 152 8d 17d 8f "
            "90 2018 2019 201c 201d 2022 2013 2014 2dc 2122 161 203a 153 9d 17e 178");
  EXPECT_EQ(Eval("new TextDecoder('latin1').decode(new Uint8Array([0x63, 0x61, 0x66, 0xE9,"
                 " 0xA0, 0xFF, 0x00]))"),
            std::string("caf\u00e9\u00a0\u00ff") + '\0');
  // Every byte has a code point in windows-1252: fatal never fails there.
  EXPECT_EQ(Eval("new TextDecoder('windows-1252', {fatal: true}).decode("
                 "new Uint8Array(256).map((_, i) => i)).length"),
            "256");
}

TEST_F(EncodingTest, DecodesOtherSingleByteEncodingsAndTheirGaps) {
  // KOI8-R 0xC1 0xC2 = "аб"; ISO-8859-7 0xE1 = α; ISO-8859-8 0xE0 = א; IBM866 0x80 = А.
  EXPECT_EQ(Eval("[['koi8-r', [0xC1, 0xC2]], ['iso-8859-7', [0xE1]], ['iso-8859-8', [0xE0]],"
                 " ['ibm866', [0x80]], ['windows-1251', [0xC0]], ['macintosh', [0x80]]]"
                 ".map(([l, b]) => Array.from(new TextDecoder(l).decode(new Uint8Array(b)),"
                 " (c) => c.codePointAt(0).toString(16)).join('+')).join(',')"),
            "430+431,3b1,5d0,410,410,c4");
  // ISO-8859-8 has no character at 0xA1: U+FFFD, or a TypeError when fatal.
  EXPECT_EQ(Eval("new TextDecoder('iso-8859-8').decode(new Uint8Array([0x41, 0xA1, 0x42]))"),
            "A\uFFFDB");
  EXPECT_EQ(Eval("try { new TextDecoder('iso-8859-8', {fatal: true})"
                 ".decode(new Uint8Array([0xA1])) } catch (e) { e.name }"),
            "TypeError");
  // Streaming changes nothing for a single-byte encoding, and there is no BOM to strip.
  EXPECT_EQ(Eval("const d = new TextDecoder('windows-1252');"
                 "d.decode(new Uint8Array([0xEF, 0xBB]), {stream: true}) +"
                 " d.decode(new Uint8Array([0xBF, 0x80]))"),
            "\u00ef\u00bb\u00bf\u20ac");
  EXPECT_EQ(Eval("new TextDecoder('windows-1252').decode(new Uint8Array(0))"), "");
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
