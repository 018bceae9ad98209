// TextEncoderStream/TextDecoderStream (WPT encoding/streams/{encode-utf8,decode-utf8,
// decode-split-character,decode-bad-chunks,decode-incomplete-input}.any.js),
// CompressionStream/DecompressionStream (WPT compression/{compression-stream,
// decompression-correct-input,decompression-corrupt-input,decompression-split-chunk,
// compression-bad-chunks,decompression-buffersource}.any.js), and Workers'
// IdentityTransformStream and FixedLengthStream (workerd's documented behaviour).
#include <string>
#include <vector>

#include "tests/worker/web/js_test_fixture.h"

namespace wsup::test {
namespace {

struct AdapterCase {
  const char* name;
  const char* script;
  const char* expected;
};

// pipe(chunks, transform): writes the chunks into transform.writable and collects what comes
// out of transform.readable, as one string (strings) or comma-separated bytes.
constexpr const char* kHelpers = R"js(
globalThis.pipe = async (chunks, transform) => {
  const writer = transform.writable.getWriter();
  for (const chunk of chunks) writer.write(chunk).catch(() => {});
  writer.close().catch(() => {});
  const reader = transform.readable.getReader(); const out = [];
  for (;;) { const {value, done} = await reader.read(); if (done) break; out.push(value); }
  if (out.length > 0 && typeof out[0] === 'string') return out.join('');
  return out.map((c) => Array.from(c).join(',')).filter((s) => s !== '').join(',');
};
globalThis.bytes = (...values) => new Uint8Array(values);
// gzip, deflate and deflate-raw of "expected output" (WPT decompression-correct-input).
globalThis.kCompressed = {
  deflate: [120, 156, 75, 173, 40, 72, 77, 46, 73, 77, 81, 200, 47, 45, 41, 40, 45, 1, 0, 48,
            173, 6, 36],
  gzip: [31, 139, 8, 0, 0, 0, 0, 0, 0, 3, 75, 173, 40, 72, 77, 46, 73, 77, 81, 200, 47, 45, 41,
         40, 45, 1, 0, 176, 1, 57, 179, 15, 0, 0, 0],
  'deflate-raw': [75, 173, 40, 72, 77, 46, 73, 77, 81, 200, 47, 45, 41, 40, 45, 1, 0],
};
globalThis.text = (value) => new TextDecoder().decode(new Uint8Array(value.split(',').map(Number)));
'ok'
)js";

const std::vector<AdapterCase> kCases = {
    {"EncoderStreamEncodesUtf8", "pipe(['a\\u20ac'], new TextEncoderStream())", "97,226,130,172"},
    {"EncoderStreamJoinsASurrogatePairSplitAcrossChunks",
     "pipe(['\\uD83D', '\\uDE00'], new TextEncoderStream())", "240,159,152,128"},
    {"EncoderStreamEndsALoneHighSurrogateWithAReplacement",
     "pipe(['a\\uD83D'], new TextEncoderStream())", "97,239,191,189"},
    {"EncoderStreamEncodingIsUtf8", "new TextEncoderStream().encoding", "utf-8"},
    {"DecoderStreamJoinsACharacterSplitAcrossChunks",
     "pipe([bytes(0xE2), bytes(0x82), bytes(0xAC, 0x61)], new TextDecoderStream())",
     "\u20AC"
     "a"},
    {"DecoderStreamDropsTheBom",
     "pipe([bytes(0xEF, 0xBB), bytes(0xBF, 0x62)], new TextDecoderStream())", "b"},
    {"DecoderStreamIncompleteInputBecomesAReplacement",
     "pipe([bytes(0x61, 0xE2, 0x82)], new TextDecoderStream())", "a\uFFFD"},
    {"FatalDecoderStreamErrorsOnBadInput",
     "pipe([bytes(0xFF)], new TextDecoderStream('utf-8', {fatal: true})).catch((e) => e.name)",
     "TypeError"},
    {"DecoderStreamRejectsChunksThatAreNotBytes",
     "pipe([5], new TextDecoderStream()).catch((e) => e.name)", "TypeError"},
    {"DecoderStreamAcceptsAnArrayBuffer",
     "pipe([bytes(0x68, 0x69).buffer], new TextDecoderStream())", "hi"},
    {"DecoderStreamUnknownLabelIsARangeError",
     "(() => { try { new TextDecoderStream('x-unknown'); } catch (e) { return e.name; } })()",
     "RangeError"},
    {"DecoderStreamLegacyMultiByteLabelIsARangeError",
     "(() => { try { new TextDecoderStream('shift_jis'); } catch (e) { return e.name; } })()",
     "RangeError"},
    // Over TextDecoder: the single-byte encodings too (windows-1252's 0x80 is the euro sign).
    {"DecoderStreamDecodesWindows1252",
     "pipe([bytes(0x80, 0x41)], new TextDecoderStream('latin1'))",
     "\u20AC"
     "A"},
    {"DecompressesDeflate",
     "pipe([new Uint8Array(kCompressed.deflate)], new DecompressionStream('deflate'))"
     ".then(text)",
     "expected output"},
    {"DecompressesGzip",
     "pipe([new Uint8Array(kCompressed.gzip)], new DecompressionStream('gzip')).then(text)",
     "expected output"},
    {"DecompressesDeflateRaw",
     "pipe([new Uint8Array(kCompressed['deflate-raw'])], new DecompressionStream('deflate-raw'))"
     ".then(text)",
     "expected output"},
    {"DecompressesInputSplitIntoSingleBytes",
     "pipe(kCompressed.gzip.map((b) => bytes(b)), new DecompressionStream('gzip')).then(text)",
     "expected output"},
    {"RoundTripsEveryFormat",
     "Promise.all(['gzip', 'deflate', 'deflate-raw'].map(async (f) => {"
     " const input = new TextEncoder().encode('hello '.repeat(1000));"
     " const packed = await pipe([input], new CompressionStream(f));"
     " const back = await pipe([new Uint8Array(packed.split(',').map(Number))],"
     "   new DecompressionStream(f));"
     " return [packed.split(',').length < 200, text(back) === 'hello '.repeat(1000)].join();"
     "})).then((r) => r.join('/'))",
     "true,true/true,true/true,true"},
    {"CorruptInputErrorsWithATypeError",
     "pipe([bytes(1, 2, 3, 4)], new DecompressionStream('deflate')).catch((e) => e.name)",
     "TypeError"},
    {"TruncatedInputErrorsWithATypeError",
     "pipe([new Uint8Array(kCompressed.gzip.slice(0, 20))], new DecompressionStream('gzip'))"
     ".catch((e) => e.name)",
     "TypeError"},
    {"TrailingDataAfterTheEndErrors",
     "pipe([new Uint8Array([...kCompressed.deflate, 0])], new DecompressionStream('deflate'))"
     ".catch((e) => e.name)",
     "TypeError"},
    {"ChunksThatAreNotBufferSourcesAreTypeErrors",
     "Promise.all([pipe(['text'], new CompressionStream('gzip')).catch((e) => e.name),"
     " pipe([null], new DecompressionStream('gzip')).catch((e) => e.name)])"
     ".then((r) => r.join())",
     "TypeError,TypeError"},
    {"UnknownFormatIsATypeError",
     "(() => { try { new CompressionStream('brotli'); } catch (e) { return e.name; } })()",
     "TypeError"},
    {"CompressionStreamHasReadableAndWritable",
     "(() => { const c = new CompressionStream('gzip'); return [c.readable instanceof"
     " ReadableStream, c.writable instanceof WritableStream,"
     " Object.prototype.toString.call(c)].join(); })()",
     "true,true,[object CompressionStream]"},
    {"IdentityTransformStreamPassesBytes",
     "pipe([bytes(1, 2), new Uint16Array([0x0403]).buffer], new IdentityTransformStream())",
     "1,2,3,4"},
    {"IdentityTransformStreamRejectsStrings",
     "pipe(['x'], new IdentityTransformStream()).catch((e) => e.message)",
     "This ReadableStream did not return bytes."},
    {"FixedLengthStreamPassesExactlyItsLength",
     "pipe([bytes(1, 2), bytes(3)], new FixedLengthStream(3))", "1,2,3"},
    {"FixedLengthStreamErrorsOnTooManyBytes",
     "pipe([bytes(1, 2, 3, 4)], new FixedLengthStream(3)).catch((e) => e.name)", "TypeError"},
    {"FixedLengthStreamErrorsOnTooFewBytes",
     "pipe([bytes(1)], new FixedLengthStream(3)).catch((e) => e.name)", "TypeError"},
    {"FixedLengthStreamNeedsANonNegativeInteger",
     "[-1, 1.5, 'x'].map((n) => { try { new FixedLengthStream(n); } catch (e) {"
     " return e.name; } }).join()",
     "RangeError,RangeError,RangeError"},
    {"WorkersStreamsAreTransformStreams",
     "[new IdentityTransformStream() instanceof TransformStream,"
     " new FixedLengthStream(1) instanceof TransformStream].join()",
     "true,true"},
};

class StreamAdapters : public WebPlatformTest, public ::testing::WithParamInterface<AdapterCase> {};

TEST_P(StreamAdapters, SettleAsSpecified) {
  ASSERT_EQ(Eval(kHelpers), "ok");
  EXPECT_EQ(EvalAsync(GetParam().script), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(WptAndWorkers, StreamAdapters, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<AdapterCase>& param) {
                           return std::string(param.param.name);
                         });

}  // namespace
}  // namespace wsup::test
