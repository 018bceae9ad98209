// The Event subclasses of DOM and HTML that Workers code constructs (CustomEvent, ErrorEvent,
// MessageEvent, PromiseRejectionEvent): their init dictionaries, defaults and required members.
// reportError and the global scope's events are tested through the runtime
// (runtime_globals_test.cc), which owns the global addEventListener.
#include "tests/worker/web/js_test_fixture.h"

namespace wsup::test {
namespace {

using EventTypesTest = WebPlatformTest;

TEST_F(EventTypesTest, CustomEventCarriesItsDetail) {
  EXPECT_EQ(Eval("const e = new CustomEvent('x', {detail: {n: 1}, cancelable: true});"
                 "[e.detail.n, e.type, e.cancelable, e instanceof Event,"
                 " new CustomEvent('y').detail].join()"),
            "1,x,true,true,");
  EXPECT_EQ(Eval("new CustomEvent('y').detail === null"), "true");
  EXPECT_EQ(Eval("const t = new EventTarget(); let got; t.addEventListener('ping', (e) =>"
                 " { got = e.detail; }); t.dispatchEvent(new CustomEvent('ping', {detail: 7}));"
                 " got"),
            "7");
  EXPECT_EQ(Eval("try { new CustomEvent() } catch (e) { e.name }"), "TypeError");
}

TEST_F(EventTypesTest, ErrorEventDefaultsAndInit) {
  EXPECT_EQ(Eval("const e = new ErrorEvent('error'); [JSON.stringify(e.message),"
                 " JSON.stringify(e.filename), e.lineno, e.colno, e.error === undefined].join()"),
            R"("","",0,0,true)");
  EXPECT_EQ(Eval("const error = new Error('x'); const e = new ErrorEvent('error', {message: 'm',"
                 " filename: 'f.js', lineno: 3, colno: 4, error});"
                 " [e.message, e.filename, e.lineno, e.colno, e.error === error,"
                 " Object.prototype.toString.call(e)].join()"),
            "m,f.js,3,4,true,[object ErrorEvent]");
}

TEST_F(EventTypesTest, MessageEventDefaultsAndFrozenPorts) {
  EXPECT_EQ(Eval("const e = new MessageEvent('message'); [e.data, JSON.stringify(e.origin),"
                 " JSON.stringify(e.lastEventId), e.source, e.ports.length,"
                 " Object.isFrozen(e.ports)].join()"),
            R"(,"","",,0,true)");
  EXPECT_EQ(Eval("const {port1} = new MessageChannel(); const e = new MessageEvent('message',"
                 " {data: {a: 1}, origin: 'o', ports: [port1]});"
                 " [e.data.a, e.origin, e.ports[0] === port1, e.ports === e.ports].join()"),
            "1,o,true,true");
  EXPECT_EQ(Eval("try { new MessageEvent('m', {ports: 5}) } catch (e) { e.name }"), "TypeError");
}

TEST_F(EventTypesTest, PromiseRejectionEventNeedsAPromise) {
  EXPECT_EQ(Eval("const p = Promise.reject(1); p.catch(() => {});"
                 "const e = new PromiseRejectionEvent('unhandledrejection', {promise: p,"
                 " reason: 'r', cancelable: true}); [e.promise === p, e.reason, e.cancelable]"
                 ".join()"),
            "true,r,true");
  EXPECT_EQ(Eval("try { new PromiseRejectionEvent('x', {}) } catch (e) { e.name }"), "TypeError");
  EXPECT_EQ(Eval("try { new PromiseRejectionEvent('x') } catch (e) { e.name }"), "TypeError");
}

TEST_F(EventTypesTest, ReportErrorNeedsAnArgument) {
  EXPECT_EQ(Eval("try { reportError() } catch (e) { e.name }"), "TypeError");
  // Without the runtime (no log hook, no listener): reporting is silent, and returns.
  EXPECT_EQ(Eval("String(reportError(new Error('quiet')))"), "undefined");
}

}  // namespace
}  // namespace wsup::test
