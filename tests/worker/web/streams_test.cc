// WHATWG Streams (the streams family: web-streams-polyfill inside wsup's prelude/epilogue),
// table-driven from the expectations of the web-platform-tests' streams/ folder:
// readable-streams/{general,default-reader,tee,cancel,async-iterator,from}.any.js,
// readable-byte-streams/{general,non-transferable-buffers}.any.js, piping/{general,abort,
// pipe-through}.any.js, writable-streams/{general,write,close,aborting}.any.js,
// transform-streams/{general,flush,terminate,errors}.any.js and
// queuing-strategies.any.js. Each case is a script whose promise settles to the string the WPT
// assertion expects; the facts are WPT's, the code is ours.
#include <string>
#include <vector>

#include "tests/worker/web/js_test_fixture.h"
#include "worker/web/web_platform.h"

namespace wsup::test {
namespace {

struct StreamCase {
  const char* name;
  const char* script;    // an expression that evaluates to a promise (or a value)
  const char* expected;  // String() of what it settles to
};

// Helpers every case may use: read everything from a stream into an array.
constexpr const char* kHelpers = R"js(
globalThis.readAll = async (stream) => {
  const reader = stream.getReader(); const out = [];
  for (;;) { const {value, done} = await reader.read(); if (done) return out; out.push(value); }
};
globalThis.bytesOf = (chunks) => chunks.map((c) => Array.from(c).join(',')).join('|');
'ok'
)js";

const std::vector<StreamCase> kCases = {
    // readable-streams/general.any.js
    {"ConstructorAndPrototype",
     "[typeof ReadableStream.prototype.getReader, typeof ReadableStream.prototype.tee,"
     " typeof ReadableStream.prototype.pipeTo, typeof ReadableStream.prototype.pipeThrough,"
     " typeof ReadableStream.prototype.values, new ReadableStream().locked,"
     " Object.prototype.toString.call(new ReadableStream())].join()",
     "function,function,function,function,function,false,[object ReadableStream]"},
    {"InvalidTypeIsATypeError",
     "(() => { try { new ReadableStream({type: 'nope'}); } catch (e) { return e.name; } })()",
     "TypeError"},
    {"EnqueuedChunksAreReadInOrderThenDone",
     "readAll(new ReadableStream({start(c) { c.enqueue('a'); c.enqueue('b'); c.close(); }}))"
     ".then((chunks) => chunks.join())",
     "a,b"},
    {"ReadAfterCloseIsDoneWithUndefined",
     "(async () => { const r = new ReadableStream({start(c) { c.close(); }}).getReader();"
     " const x = await r.read(); return [x.done, x.value].join(); })()",
     "true,"},
    {"PullIsCalledOnDemand",
     "(async () => { let n = 0; const s = new ReadableStream({pull(c) { n++;"
     " if (n > 3) c.close(); else c.enqueue(n); }}, {highWaterMark: 0});"
     " return (await readAll(s)).join(); })()",
     "1,2,3"},
    // readable-streams/default-reader.any.js
    {"GetReaderLocksAndASecondReaderThrows",
     "(() => { const s = new ReadableStream(); s.getReader();"
     " try { s.getReader(); } catch (e) { return [s.locked, e.name].join(); } })()",
     "true,TypeError"},
    {"ReleaseLockUnlocks",
     "(() => { const s = new ReadableStream(); s.getReader().releaseLock(); return s.locked; })()",
     "false"},
    {"ByobReaderOnADefaultStreamIsATypeError",
     "(() => { try { new ReadableStream().getReader({mode: 'byob'}); }"
     " catch (e) { return e.name; } })()",
     "TypeError"},
    // readable-streams/cancel.any.js
    {"CancelPassesTheReasonAndClosesTheStream",
     "(async () => { let why; const s = new ReadableStream({cancel(r) { why = r; }});"
     " await s.cancel('enough'); const x = await s.getReader().read();"
     " return [why, x.done].join(); })()",
     "enough,true"},
    {"ErrorRejectsReads",
     "(async () => { const s = new ReadableStream({start(c) { c.error(new RangeError('x')); }});"
     " try { await s.getReader().read(); } catch (e) { return e.name; } })()",
     "RangeError"},
    // readable-streams/tee.any.js
    {"TeeGivesBothBranchesEveryChunk",
     "(async () => { const [a, b] = new ReadableStream({start(c) { c.enqueue(1); c.enqueue(2);"
     " c.close(); }}).tee(); return [(await readAll(a)).join(), (await readAll(b)).join()]"
     ".join('/'); })()",
     "1,2/1,2"},
    {"CancellingBothBranchesCancelsTheSourceWithBothReasons",
     "(async () => { let why; const [a, b] = new ReadableStream({cancel(r) { why = r; }}).tee();"
     " a.cancel('x'); await b.cancel('y'); return JSON.stringify(why); })()",
     "[\"x\",\"y\"]"},
    // readable-streams/async-iterator.any.js
    {"ForAwaitReadsEveryChunk",
     "(async () => { const out = []; for await (const x of new ReadableStream({start(c) {"
     " c.enqueue('p'); c.enqueue('q'); c.close(); }})) out.push(x); return out.join(); })()",
     "p,q"},
    {"BreakingOutOfForAwaitCancels",
     "(async () => { let cancelled = false; const s = new ReadableStream({start(c) {"
     " c.enqueue(1); c.enqueue(2); }, cancel() { cancelled = true; }});"
     " for await (const x of s) break; return [cancelled, s.locked].join(); })()",
     "true,false"},
    {"PreventCancelKeepsTheStream",
     "(async () => { let cancelled = false; const s = new ReadableStream({start(c) {"
     " c.enqueue(1); }, cancel() { cancelled = true; }});"
     " for await (const x of s.values({preventCancel: true})) break; return cancelled; })()",
     "false"},
    // readable-streams/from.any.js
    {"FromAnArrayAndAnAsyncGenerator",
     "(async () => { const a = await readAll(ReadableStream.from([1, 2]));"
     " const b = await readAll(ReadableStream.from((async function* () { yield 'x'; yield 'y';"
     " })())); return [a.join(), b.join()].join('/'); })()",
     "1,2/x,y"},
    {"FromANonIterableIsATypeError",
     "(() => { try { ReadableStream.from(5); } catch (e) { return e.name; } })()", "TypeError"},
    // readable-byte-streams/general.any.js
    {"ByobReaderFillsTheViewItIsGiven",
     "(async () => { const s = new ReadableStream({type: 'bytes', pull(c) {"
     " c.enqueue(new Uint8Array([1, 2, 3, 4])); c.close(); }});"
     " const r = s.getReader({mode: 'byob'}); const x = await r.read(new Uint8Array(2));"
     " const y = await r.read(new Uint8Array(4));"
     " return [Array.from(x.value).join(), Array.from(y.value).join()].join('/'); })()",
     "1,2/3,4"},
    {"ByobRequestRespond",
     "(async () => { const s = new ReadableStream({type: 'bytes', pull(c) {"
     " const v = c.byobRequest.view; v[0] = 7; c.byobRequest.respond(1); }});"
     " const x = await s.getReader({mode: 'byob'}).read(new Uint8Array(3));"
     " return Array.from(x.value).join(); })()",
     "7"},
    {"AutoAllocateChunkSizeGivesADefaultReaderAByobRequest",
     "(async () => { const s = new ReadableStream({type: 'bytes', autoAllocateChunkSize: 8,"
     " pull(c) { c.byobRequest.view[0] = 9; c.byobRequest.respond(1); }});"
     " const x = await s.getReader().read(); return [x.value.length, x.value[0]].join(); })()",
     "1,9"},
    {"EnqueueTransfersTheBuffer",
     "(() => { const bytes = new Uint8Array(4); new ReadableStream({type: 'bytes', start(c) {"
     " c.enqueue(bytes); }}); return bytes.buffer.byteLength; })()",
     "0"},
    {"EnqueueOfAnEmptyViewIsATypeError",
     "(() => { let name; new ReadableStream({type: 'bytes', start(c) { try {"
     " c.enqueue(new Uint8Array(0)); } catch (e) { name = e.name; } }}); return name; })()",
     "TypeError"},
    {"ByteStreamTee",
     "(async () => { const [a, b] = new ReadableStream({type: 'bytes', start(c) {"
     " c.enqueue(new Uint8Array([5, 6])); c.close(); }}).tee();"
     " return [bytesOf(await readAll(a)), bytesOf(await readAll(b))].join('/'); })()",
     "5,6/5,6"},
    // piping/general.any.js, piping/pipe-through.any.js
    {"PipeToWritesEveryChunkAndCloses",
     "(async () => { const got = []; let closed = false;"
     " await ReadableStream.from(['a', 'b']).pipeTo(new WritableStream({write(c) { got.push(c); },"
     " close() { closed = true; }})); return [got.join(), closed].join(); })()",
     "a,b,true"},
    {"PreventCloseLeavesTheWritableOpen",
     "(async () => { let closed = false; const w = new WritableStream({close() { closed = true; "
     "}});"
     " await ReadableStream.from([1]).pipeTo(w, {preventClose: true});"
     " return [closed, w.locked].join(); })()",
     "false,false"},
    {"PipeThroughATransformStream",
     "(async () => readAll(ReadableStream.from(['ab', 'c']).pipeThrough(new TransformStream({"
     " transform(chunk, c) { c.enqueue(chunk.toUpperCase()); }}))).then((x) => x.join()))()",
     "AB,C"},
    {"PipeToLocksBothEnds",
     "(() => { const r = new ReadableStream(); const w = new WritableStream(); r.pipeTo(w);"
     " return [r.locked, w.locked].join(); })()",
     "true,true"},
    // piping/abort.any.js
    {"AbortingThePipeRejectsWithAnAbortError",
     "(async () => { const controller = new AbortController();"
     " const p = new ReadableStream().pipeTo(new WritableStream(), {signal: controller.signal});"
     " controller.abort(); try { await p; } catch (e) {"
     " return [e.name, e instanceof DOMException].join(); } })()",
     "AbortError,true"},
    {"AbortingWithAReasonRejectsWithIt",
     "(async () => { const controller = new AbortController();"
     " const p = new ReadableStream().pipeTo(new WritableStream(), {signal: controller.signal});"
     " controller.abort('why'); try { await p; } catch (e) { return e; } })()",
     "why"},
    {"ASignalThatIsNotAnAbortSignalIsATypeError",
     "new ReadableStream().pipeTo(new WritableStream(), {signal: 1}).catch((e) => e.name)",
     "TypeError"},
    // writable-streams/{general,write,close,aborting}.any.js
    {"WriterWritesInOrderAndClose",
     "(async () => { const got = []; const w = new WritableStream({write(c) { got.push(c); },"
     " close() { got.push('closed'); }}); const writer = w.getWriter();"
     " writer.write(1); writer.write(2); await writer.close(); return got.join(); })()",
     "1,2,closed"},
    {"DesiredSizeFollowsTheHighWaterMark",
     "(() => { const writer = new WritableStream({}, {highWaterMark: 3}).getWriter();"
     " return writer.desiredSize; })()",
     "3"},
    {"AbortPassesTheReasonToTheSink",
     "(async () => { let why; const w = new WritableStream({abort(r) { why = r; }});"
     " await w.abort('stop'); return why; })()",
     "stop"},
    {"ASinkErrorRejectsTheWrite",
     "(async () => { const writer = new WritableStream({write() { throw new RangeError('no'); }})"
     ".getWriter(); try { await writer.write(1); } catch (e) { return e.name; } })()",
     "RangeError"},
    {"ControllerSignalIsAnAbortSignal",
     "(async () => { let signal; const w = new WritableStream({start(c) { signal = c.signal; }});"
     " await w.abort('x'); return [signal instanceof AbortSignal, signal.aborted].join(); })()",
     "true,true"},
    // transform-streams/{general,flush,terminate,errors}.any.js
    {"IdentityTransformByDefault",
     "(async () => { const t = new TransformStream(); const w = t.writable.getWriter();"
     " w.write('x'); w.close(); return (await readAll(t.readable)).join(); })()",
     "x"},
    {"FlushCanEnqueueAtTheEnd",
     "(async () => { const t = new TransformStream({flush(c) { c.enqueue('end'); }});"
     " const w = t.writable.getWriter(); w.write('a'); w.close();"
     " return (await readAll(t.readable)).join(); })()",
     "a,end"},
    {"TerminateClosesTheReadableAndErrorsTheWritable",
     "(async () => { const t = new TransformStream({start(c) { c.terminate(); }});"
     " const x = await t.readable.getReader().read();"
     " try { await t.writable.getWriter().write(1); } catch (e) {"
     " return [x.done, e.name].join(); } })()",
     "true,TypeError"},
    {"ATransformErrorErrorsBothSides",
     "(async () => { const t = new TransformStream({transform() { throw new SyntaxError('t'); }});"
     " t.writable.getWriter().write(1).catch(() => {});"
     " try { await t.readable.getReader().read(); } catch (e) { return e.name; } })()",
     "SyntaxError"},
    // queuing-strategies.any.js
    {"QueuingStrategies",
     "[new ByteLengthQueuingStrategy({highWaterMark: 16}).highWaterMark,"
     " new ByteLengthQueuingStrategy({highWaterMark: 1}).size(new Uint8Array(10)),"
     " new CountQueuingStrategy({highWaterMark: 2}).highWaterMark,"
     " new CountQueuingStrategy({highWaterMark: 2}).size('anything')].join()",
     "16,10,2,1"},
    {"AStrategyWithoutHighWaterMarkIsATypeError",
     "(() => { try { new CountQueuingStrategy({}); } catch (e) { return e.name; } })()",
     "TypeError"},
    {"ClassesCarryTheirToStringTag",
     "[new WritableStream(), new TransformStream(), new CountQueuingStrategy({highWaterMark: 1}),"
     " new ReadableStream().getReader()].map((x) => Object.prototype.toString.call(x)).join()",
     "[object WritableStream],[object TransformStream],[object CountQueuingStrategy],"
     "[object ReadableStreamDefaultReader]"},
};

class StreamsConformance : public WebPlatformTest,
                           public ::testing::WithParamInterface<StreamCase> {};

TEST_P(StreamsConformance, SettlesAsTheWptExpects) {
  ASSERT_EQ(Eval(kHelpers), "ok");
  EXPECT_EQ(EvalAsync(GetParam().script), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Wpt, StreamsConformance, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<StreamCase>& param) {
                           return std::string(param.param.name);
                         });

using StreamsTest = WebPlatformTest;

// The family runs after user code: globals replaced before its first use must not reach it.
TEST_F(StreamsTest, GlobalsReplacedBeforeFirstUseDoNotReachTheImplementation) {
  // The family's first use happens while Promise, TypeError, Object and DOMException are the
  // user's; the helpers the test itself needs are put back before it reads the result.
  EXPECT_EQ(Eval("const saved = [Promise, TypeError, Object, Reflect, WeakMap, Map];"
                 "globalThis.Promise = function() { throw new Error('user Promise'); };"
                 "globalThis.TypeError = function() { return {name: 'user TypeError'}; };"
                 "globalThis.Object = null; globalThis.DOMException = null;"
                 "globalThis.Reflect = null; globalThis.WeakMap = null; globalThis.Map = null;"
                 "const s = new ReadableStream({start(c) { c.enqueue(1); c.close(); }});"
                 "globalThis.reader = s.getReader();"
                 "globalThis.second = (() => { try { s.getReader(); } catch (e) {"
                 "  return e instanceof saved[1] ? 'TypeError' : 'not the original'; } })();"
                 "globalThis.blobReader = new Blob(['ab']).stream()"
                 "    .pipeThrough(new TextDecoderStream()).getReader();"
                 "[Promise, TypeError, Object, Reflect, WeakMap, Map] = saved;"
                 "second"),
            "TypeError");
  EXPECT_EQ(EvalAsync("reader.read().then((x) => [x.value, x.done].join())"), "1,false");
  EXPECT_EQ(EvalAsync("blobReader.read().then((x) => x.value)"), "ab");
}

TEST_F(StreamsTest, EachContextHasItsOwnClasses) {
  v8::Isolate::Scope isolate_scope(isolate());
  v8::HandleScope scope(isolate());
  v8::Local<v8::Context> other = v8::Context::New(isolate());
  {
    v8::TryCatch try_catch(isolate());
    ASSERT_TRUE(worker::web::install_web_platform(other));
  }
  EXPECT_EQ(EvalIn(context(), "ReadableStream.prototype.mark = 1; 'ok'"), "ok");
  EXPECT_EQ(EvalIn(other, "typeof ReadableStream.prototype.mark"), "undefined");
  EXPECT_EQ(EvalIn(context(), "ReadableStream === globalThis.ReadableStream"), "true");
}

}  // namespace
}  // namespace wsup::test
