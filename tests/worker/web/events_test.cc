// Event, EventTarget, AbortController/AbortSignal and DOMException against the DOM Standard
// and WebIDL.
#include "tests/worker/web/js_test_fixture.h"

namespace wsup::test {
namespace {

using EventsTest = WebPlatformTest;

TEST_F(EventsTest, DispatchRunsListenersInOrderWithTargetSet) {
  EXPECT_EQ(Eval(R"js(
    const t = new EventTarget();
    const log = [];
    const first = (e) => log.push('1' + (e.target === t) + (e.currentTarget === t) + e.eventPhase);
    t.addEventListener('x', first);
    t.addEventListener('x', first);  // duplicate: ignored
    t.addEventListener('x', {handleEvent(e) { log.push('2' + e.type); }});
    t.addEventListener('y', () => log.push('wrong type'));
    const e = new Event('x');
    const result = t.dispatchEvent(e);
    log.push(result, e.eventPhase, String(e.currentTarget), e.isTrusted);
    log.join('|'))js"),
            "1truetrue2|2x|true|0|null|false");
}

TEST_F(EventsTest, OnceSignalRemoveAndStopImmediatePropagation) {
  EXPECT_EQ(Eval(R"js(
    const t = new EventTarget();
    const log = [];
    t.addEventListener('x', () => log.push('once'), {once: true});
    const c = new AbortController();
    t.addEventListener('x', () => log.push('signal'), {signal: c.signal});
    const later = () => log.push('later');
    t.addEventListener('x', () => { log.push('remover'); t.removeEventListener('x', later); });
    t.addEventListener('x', later);
    t.dispatchEvent(new Event('x'));
    c.abort();
    t.addEventListener('x', (e) => { log.push('stop'); e.stopImmediatePropagation(); });
    t.addEventListener('x', () => log.push('never'));
    t.dispatchEvent(new Event('x'));
    log.join(','))js"),
            "once,signal,remover,remover,stop");
}

TEST_F(EventsTest, PreventDefaultOnlyForCancelableAndThrowingListenersDoNotStopOthers) {
  EXPECT_EQ(Eval(R"js(
    const t = new EventTarget();
    let ran = false;
    t.addEventListener('x', (e) => { e.preventDefault(); throw new Error('boom'); });
    t.addEventListener('x', () => { ran = true; });
    const plain = new Event('x');
    const cancelable = new Event('x', {cancelable: true});
    [t.dispatchEvent(plain), plain.defaultPrevented, t.dispatchEvent(cancelable),
     cancelable.defaultPrevented, ran, Event.AT_TARGET, new Event('x').BUBBLING_PHASE].join(','))js"),
            "true,false,false,true,true,2,3");
  EXPECT_EQ(Eval("try { new Event() } catch (e) { e.name }"), "TypeError");
  EXPECT_EQ(Eval("try { new EventTarget().dispatchEvent({type: 'x'}) } catch (e) { e.name }"),
            "TypeError");
}

TEST_F(EventsTest, AbortControllerAbortsOnceWithReason) {
  EXPECT_EQ(Eval(R"js(
    const c = new AbortController();
    const s = c.signal;
    const log = [s.aborted, String(s.reason)];
    s.onabort = (e) => log.push('onabort:' + e.type);
    s.addEventListener('abort', () => log.push('listener'));
    c.abort();
    c.abort('second');  // no-op: already aborted
    log.push(s.aborted, s.reason instanceof DOMException, s.reason.name, s.reason.code);
    try { s.throwIfAborted(); } catch (e) { log.push('threw:' + (e === s.reason)); }
    log.join(','))js"),
            "false,undefined,onabort:abort,listener,true,true,AbortError,20,threw:true");
  EXPECT_EQ(Eval("const c = new AbortController(); c.abort('why'); c.signal.reason"), "why");
  EXPECT_EQ(Eval("const s = AbortSignal.abort(); s.aborted + s.reason.name"), "trueAbortError");
  EXPECT_EQ(Eval("AbortSignal.abort(42).reason + ',' + (AbortSignal.abort() instanceof "
                 "EventTarget)"),
            "42,true");
  EXPECT_EQ(Eval("try { new AbortSignal() } catch (e) { e.name }"), "TypeError");
  EXPECT_EQ(Eval("new AbortController().signal.throwIfAborted()"), "undefined");
}

TEST_F(EventsTest, DomExceptionHasNameMessageAndLegacyCode) {
  EXPECT_EQ(Eval("const e = new DOMException('msg', 'NotFoundError'); [e.name, e.message, e.code,"
                 " e instanceof Error, String(e), DOMException.NOT_FOUND_ERR,"
                 " DOMException.URL_MISMATCH_ERR, e.DATA_CLONE_ERR].join(',')"),
            "NotFoundError,msg,8,true,NotFoundError: msg,8,21,25");
  EXPECT_EQ(Eval("const e = new DOMException(); e.name + '|' + e.message + '|' + e.code + '|' + "
                 "Object.prototype.toString.call(e)"),
            "Error||0|[object DOMException]");
  EXPECT_EQ(Eval("typeof new DOMException('x').stack"), "string");
  // WebIDL constants: enumerable, neither writable nor configurable, on both objects.
  EXPECT_EQ(Eval("[DOMException, DOMException.prototype].map((o) => JSON.stringify("
                 "Object.getOwnPropertyDescriptor(o, 'ABORT_ERR'))).join('|')"),
            R"({"value":20,"writable":false,"enumerable":true,"configurable":false}|)"
            R"({"value":20,"writable":false,"enumerable":true,"configurable":false})");
}

}  // namespace
}  // namespace wsup::test
