// structuredClone against HTML's structured serialize/deserialize.
#include "tests/worker/web/js_test_fixture.h"

namespace wsup::test {
namespace {

using CloneTest = WebPlatformTest;

TEST_F(CloneTest, ClonesMapsDatesAndCycles) {
  EXPECT_EQ(Eval(R"js(
    const key = {k: 1};
    const a = {d: new Date(0), m: new Map([[key, {x: 2}]]), s: new Set([1, 'two']), list: [1, 2]};
    a.self = a;
    a.list.push(a);
    const b = structuredClone(a);
    const [[bKey, bValue]] = b.m;
    [b !== a, b.self === b, b.list[2] === b, b.d instanceof Date, b.d.getTime(), bKey !== key,
     bKey.k, bValue.x, b.s.has('two'), b.m !== a.m].join(','))js"),
            "true,true,true,true,0,true,1,2,true,true");
}

TEST_F(CloneTest, ClonesBuffersRegExpsErrorsAndPrimitives) {
  EXPECT_EQ(Eval(R"js(
    const u = new Uint8Array([1, 2, 3]);
    const c = structuredClone(u);
    u[0] = 9;
    const e = structuredClone(new RangeError('bad'));
    const r = structuredClone(/a+b/gi);
    [c[0], c.length, c.buffer !== u.buffer, e instanceof RangeError, e.message, r.source, r.flags,
     structuredClone(10n) === 10n, structuredClone(null), structuredClone('s')].join(','))js"),
            "1,3,true,true,bad,a+b,gi,true,,s");
}

TEST_F(CloneTest, UncloneableValuesThrowDataCloneError) {
  for (const char* value : {"() => 1", "{f() {}}", "Symbol('s')", "{nested: [new WeakMap()]}"}) {
    EXPECT_EQ(Eval(std::string("try { structuredClone(") + value +
                   "); 'cloned' } catch (e) { (e instanceof DOMException) + e.name + e.code }"),
              "trueDataCloneError25")
        << value;
  }
  // An exception thrown by a getter during serialization propagates unchanged.
  EXPECT_EQ(Eval("try { structuredClone({get x() { throw new URIError('mine'); }}) } catch (e) {"
                 " e.constructor.name + e.message }"),
            "URIErrormine");
  EXPECT_EQ(Eval("try { structuredClone() } catch (e) { e.name }"), "TypeError");
}

// HTML StructuredSerializeWithTransfer: a transferred ArrayBuffer moves to the copy (same bytes,
// no copy made) and the original is detached; views into it see length 0.
TEST_F(CloneTest, TransferDetachesTheSourceBuffer) {
  EXPECT_EQ(Eval(R"js(
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const view = bytes.subarray(1, 3);
    const copy = structuredClone({bytes, view}, {transfer: [bytes.buffer]});
    [bytes.byteLength, bytes.buffer.byteLength, view.length, copy.bytes.join(''),
     copy.view.join(''), copy.view.buffer === copy.bytes.buffer].join())js"),
            "0,0,0,1234,23,true");
  // A transferred buffer that the value does not reference still moves (and is detached).
  EXPECT_EQ(Eval("const b = new ArrayBuffer(8); structuredClone(1, {transfer: [b]});"
                 " b.byteLength"),
            "0");
  // The transfer list may be any iterable.
  EXPECT_EQ(Eval("const b = new ArrayBuffer(2); structuredClone(b, {transfer: new Set([b])})"
                 ".byteLength + ',' + b.byteLength"),
            "2,0");
}

TEST_F(CloneTest, TransferListErrorsAreDataCloneErrorsAndDetachNothing) {
  for (const char* transfer :
       {"[b, b]", "[{}]", "[new Uint8Array(2)]", "[b, detached]", "[new SharedArrayBuffer(4)]"}) {
    EXPECT_EQ(Eval(std::string("const b = new ArrayBuffer(4); const detached = new ArrayBuffer(1);"
                               "structuredClone(0, {transfer: [detached]});"
                               "try { structuredClone(b, {transfer: ") +
                   transfer + "}); 'cloned' } catch (e) { [e.name, b.byteLength].join() }"),
              "DataCloneError,4")
        << transfer;
  }
  // Serializing fails after the transfer list was accepted: still nothing is detached.
  EXPECT_EQ(Eval("const b = new ArrayBuffer(4); try { structuredClone({b, f() {}},"
                 " {transfer: [b]}) } catch (e) { [e.name, b.byteLength].join() }"),
            "DataCloneError,4");
  EXPECT_EQ(Eval("try { structuredClone(1, {transfer: 5}) } catch (e) { e.name }"), "TypeError");
  EXPECT_EQ(Eval("structuredClone(1, {transfer: []}) + structuredClone(2, {})"), "3");
}

// A MessagePort is transferable but not cloneable: in the transfer list it becomes a new port
// standing for the same end of the channel, and the original is left closed.
TEST_F(CloneTest, TransfersMessagePortsAndRefusesOthers) {
  EXPECT_EQ(Eval(R"js(
    const {port1, port2} = new MessageChannel();
    const copy = structuredClone({port: port1, list: [port1]}, {transfer: [port1]});
    [copy.port instanceof MessagePort, copy.port !== port1, copy.list[0] === copy.port,
     copy.port instanceof EventTarget, Object.prototype.toString.call(copy.port)].join())js"),
            "true,true,true,true,[object MessagePort]");
  EXPECT_EQ(Eval("const {port1} = new MessageChannel();"
                 "try { structuredClone({port1}) } catch (e) { e.name }"),
            "DataCloneError");
  EXPECT_EQ(Eval("const {port1} = new MessageChannel(); structuredClone(0, {transfer: [port1]});"
                 "try { structuredClone(0, {transfer: [port1]}) } catch (e) { e.name }"),
            "DataCloneError");
  EXPECT_EQ(Eval("const {port1} = new MessageChannel();"
                 "try { structuredClone(0, {transfer: [port1, port1]}) } catch (e) { e.name }"),
            "DataCloneError");
  EXPECT_EQ(Eval("try { new MessagePort() } catch (e) { e.name }"), "TypeError");
  EXPECT_EQ(Eval("try { MessagePort.prototype.start.call({}) } catch (e) { e.name }"), "TypeError");
}

}  // namespace
}  // namespace wsup::test
