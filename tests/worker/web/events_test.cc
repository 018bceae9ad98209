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

// DOM's AbortSignal.any(): a dependent signal, aborted with the first aborted input's reason,
// or later by whichever input aborts first.
TEST_F(EventsTest, AbortSignalAnyWithAnAlreadyAbortedSignal) {
  EXPECT_EQ(Eval(R"js(
    const live = new AbortController();
    const first = AbortSignal.abort('first');
    const second = AbortSignal.abort('second');
    const any = AbortSignal.any([live.signal, first, second]);
    let events = 0;
    any.onabort = () => ++events;
    live.abort('late');  // already aborted: nothing changes, no event
    [any.aborted, any.reason, events, any !== first, any instanceof AbortSignal].join())js"),
            "true,first,0,true,true");
  EXPECT_EQ(Eval("const s = AbortSignal.any([]); [s.aborted, String(s.reason)].join()"),
            "false,undefined");
}

TEST_F(EventsTest, AbortSignalAnyFollowsALaterAbort) {
  EXPECT_EQ(Eval(R"js(
    const a = new AbortController();
    const b = new AbortController();
    const any = AbortSignal.any([a.signal, b.signal]);
    const log = [any.aborted];
    // The standard's order: every signal aborted by this abort has its reason before any
    // listener runs, and the source's listeners run before the dependent's.
    a.signal.addEventListener('abort', () => log.push('source sees dependent aborted:' +
                                                       any.aborted));
    any.addEventListener('abort', (e) => log.push('dependent:' + e.type));
    a.abort('from a');
    b.abort('from b');
    log.push(any.reason);
    log.join())js"),
            "false,source sees dependent aborted:true,dependent:abort,from a");
  // The default reason is the source's AbortError DOMException, the same object.
  EXPECT_EQ(Eval("const c = new AbortController(); const any = AbortSignal.any([c.signal]);"
                 "c.abort(); [any.reason === c.signal.reason, any.reason.name].join()"),
            "true,AbortError");
}

TEST_F(EventsTest, AbortSignalAnyOfDependentSignalsFollowsTheirSources) {
  EXPECT_EQ(Eval(R"js(
    const a = new AbortController();
    const b = new AbortController();
    const inner = AbortSignal.any([a.signal]);
    const outer = AbortSignal.any([inner, b.signal]);
    const order = [];
    inner.onabort = () => order.push('inner');
    outer.onabort = () => order.push('outer:' + outer.reason);
    a.abort('a');
    [outer.aborted, order.join('+')].join())js"),
            "true,inner+outer:a");
  EXPECT_EQ(
      Eval("try { AbortSignal.any([new AbortController().signal, {}]) } catch (e) { e.name }"),
      "TypeError");
  EXPECT_EQ(Eval("try { AbortSignal.any(5) } catch (e) { e.name }"), "TypeError");
  // Any iterable works, a Set included.
  EXPECT_EQ(Eval("AbortSignal.any(new Set([AbortSignal.abort(7)])).reason"), "7");
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
