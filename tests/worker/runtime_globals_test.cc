// The globals that need the runtime's event loop or its global scope: MessageChannel delivery
// (a later task, in order, held until start()), scheduler.wait, reportError and the global
// scope's 'error' and 'unhandledrejection' events. Through a real Runtime (runtime_harness.h).
#include <gtest/gtest.h>

#include <string>

#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

TEST(MessageChannelTest, DeliversOnALaterTaskInOrder) {
  EXPECT_EQ(evaluate(R"js(
    const {port1, port2} = new MessageChannel();
    const log = [];
    const done = new Promise((resolve) => {
      port2.onmessage = (e) => {
        log.push([e.data, e.target === port2, e instanceof MessageEvent, e.ports.length]);
        if (log.length === 4) resolve();
      };
    });
    port1.postMessage('one');
    port1.postMessage({two: 2});
    log.push('posted');
    await Promise.resolve();
    log.push('after a microtask');
    await done;
    return log;)js"),
            R"(["posted","after a microtask",["one",true,true,0],[{"two":2},true,true,0]])");
}

TEST(MessageChannelTest, MessagesAreClonedWhenPosted) {
  EXPECT_EQ(evaluate(R"js(
    const {port1, port2} = new MessageChannel();
    const sent = {list: [1]};
    const got = new Promise((resolve) => { port2.onmessage = (e) => resolve(e.data); });
    port1.postMessage(sent);
    sent.list.push(2);  // after posting: not seen by the receiver
    const data = await got;
    let error;
    try { port1.postMessage(() => 1); } catch (e) { error = e.name; }
    return [data.list, data !== sent, error];)js"),
            R"([[1],true,"DataCloneError"])");
}

TEST(MessageChannelTest, CryptoKeysArriveAsWorkingKeys) {
  EXPECT_EQ(evaluate(R"js(
    const key = await crypto.subtle.importKey('raw', new Uint8Array(16),
        {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']);
    const {port1, port2} = new MessageChannel();
    const got = new Promise((resolve) => { port2.onmessage = (e) => resolve(e.data); });
    port1.postMessage({key});
    const {key: received} = await got;
    const data = new Uint8Array([1, 2, 3]);
    const [a, b] = await Promise.all([crypto.subtle.sign('HMAC', key, data),
        crypto.subtle.sign('HMAC', received, data)]);
    const same = new Uint8Array(a).every((x, i) => x === new Uint8Array(b)[i]);
    return [received instanceof CryptoKey, received !== key, received.usages, same];)js"),
            R"([true,true,["sign"],true])");
}

TEST(MessageChannelTest, AddEventListenerWaitsForStart) {
  EXPECT_EQ(evaluate(R"js(
    const {port1, port2} = new MessageChannel();
    const got = [];
    let delivered;
    const arrived = new Promise((resolve) => { delivered = resolve; });
    port2.addEventListener('message', (e) => { got.push(e.data); delivered(); });
    port1.postMessage('queued');
    await new Promise((resolve) => setTimeout(resolve, 0));
    const beforeStart = got.length;
    port2.start();
    await arrived;
    return [beforeStart, got];)js"),
            R"([0,["queued"]])");
}

TEST(MessageChannelTest, ClosedPortsDropMessages) {
  EXPECT_EQ(evaluate(R"js(
    const {port1, port2} = new MessageChannel();
    const got = [];
    port2.onmessage = (e) => got.push(e.data);
    port1.postMessage('before close');  // queued at port2, dropped by its close()
    port2.close();
    port1.postMessage('after close');   // no one is entangled any more: dropped
    port2.postMessage('from a closed port');
    await new Promise((resolve) => setTimeout(resolve, 5));
    return got;)js"),
            "[]");
}

TEST(MessageChannelTest, APortTransferredByPostMessageKeepsItsChannel) {
  EXPECT_EQ(evaluate(R"js(
    const carrier = new MessageChannel();
    const inner = new MessageChannel();
    const result = new Promise((resolve) => {
      carrier.port2.onmessage = (e) => {
        const [port] = e.ports;
        port.onmessage = (m) => resolve([e.data.note, port instanceof MessagePort,
                                         port !== inner.port1, m.data]);
      };
    });
    carrier.port1.postMessage({note: 'here is a port'}, [inner.port1]);
    inner.port2.postMessage('through the moved port');
    let self;
    try { carrier.port1.postMessage(1, [carrier.port1]); } catch (e) { self = e.name; }
    let options;
    carrier.port1.postMessage(2, {transfer: []});
    options = 'ok';
    return [...await result, self, options];)js"),
            R"(["here is a port",true,true,"through the moved port","DataCloneError","ok"])");
}

TEST(SchedulerTest, WaitResolvesThroughTheTimersAndStopsOnAbort) {
  EXPECT_EQ(evaluate(R"js(
    const order = [];
    const waited = scheduler.wait(20).then(() => order.push('wait 20'));
    setTimeout(() => order.push('timeout 0'), 0);
    await waited;
    const controller = new AbortController();
    const stopped = scheduler.wait(60000, {signal: controller.signal}).catch((e) => e);
    controller.abort('stop');
    const early = await scheduler.wait(1, {signal: AbortSignal.abort('already')})
                      .catch((e) => e);
    return [order, await stopped, early, Object.prototype.toString.call(scheduler)];)js"),
            R"([["timeout 0","wait 20"],"stop","already","[object Scheduler]"])");
}

TEST(GlobalScopeEventsTest, ReportErrorDispatchesAnErrorEvent) {
  EXPECT_EQ(evaluate(R"js(
    const seen = [];
    const listener = (e) => {
      seen.push([e.message, e.error.message, e.filename.endsWith('.mjs'), e.lineno > 0,
                 e.colno > 0, e instanceof ErrorEvent, e.cancelable, e.target === globalThis]);
      e.preventDefault();
    };
    addEventListener('error', listener);
    reportError(new TypeError('boom'));
    removeEventListener('error', listener);
    reportError(new Error('not seen'));  // logged, no listener left
    return seen;)js"),
            R"([["Uncaught TypeError: boom","boom",true,true,true,true,true,true]])");
}

TEST(GlobalScopeEventsTest, AThrowingListenerIsReportedAndTheOthersStillRun) {
  EXPECT_EQ(evaluate(R"js(
    const log = [];
    addEventListener('error', (e) => { log.push('error event: ' + e.error.message); });
    const target = new EventTarget();
    target.addEventListener('x', () => { throw new RangeError('in listener'); });
    target.addEventListener('x', () => log.push('second listener ran'));
    target.dispatchEvent(new Event('x'));
    // A throwing 'error' listener is logged, not dispatched again.
    addEventListener('error', () => { throw new Error('in the error listener'); });
    reportError(new Error('again'));
    return log;)js"),
            R"(["error event: in listener","second listener ran","error event: again"])");
}

TEST(GlobalScopeEventsTest, DispatchEventOnTheGlobalScope) {
  EXPECT_EQ(evaluate(R"js(
    let got;
    addEventListener('hello', function(e) { got = [e.detail, e.target === self, this === self]; });
    const notCanceled = dispatchEvent(new CustomEvent('hello', {detail: 3}));
    addEventListener('stop', (e) => e.preventDefault());
    const canceled = !dispatchEvent(new Event('stop', {cancelable: true}));
    return [got, notCanceled, canceled];)js"),
            R"([[3,true,true],true,true])");
}

TEST(GlobalScopeEventsTest, UnhandledRejectionsAreDispatchedAfterTheMicrotasks) {
  EXPECT_EQ(evaluate(R"js(
    const got = [];
    addEventListener('unhandledrejection', (e) => {
      got.push([e.reason.message, e.promise instanceof Promise, e.cancelable,
                e instanceof PromiseRejectionEvent]);
      e.preventDefault();
    });
    Promise.reject(new Error('nobody handles this'));
    // Handled before the microtasks ran out: no event.
    Promise.reject(new Error('handled in time')).catch(() => {});
    const late = Promise.reject(new Error('handled a task later'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    late.catch(() => {});
    return got;)js"),
            R"([["nobody handles this",true,true,true],["handled a task later",true,true,true]])");
}

TEST(GlobalScopeEventsTest, RequestsSharingAContextReportTheirOwnRejections) {
  // isolation: isolate: the shared context hands each rejection to the request whose code made
  // it, and that request's checkpoint dispatches it on the (shared) global scope.
  auto harness = Harness::single(
      "const got = [];\n"
      "addEventListener('unhandledrejection', (e) => { got.push(e.reason); e.preventDefault(); "
      "});\n"
      "export default { async fetch(request) {\n"
      "  Promise.reject(new URL(request.url).pathname);\n"
      "  await new Promise((resolve) => setTimeout(resolve, 0));\n"
      "  return new Response(got.join());\n"
      "} };\n",
      true, 1, {}, std::nullopt, 64, [](ScriptSpec& spec) { spec.isolation = Isolation::isolate; });
  EXPECT_EQ(harness->fetch("main", "http://example.com/a").body, "/a");
  EXPECT_EQ(harness->fetch("main", "http://example.com/b").body, "/a,/b");
}

}  // namespace
}  // namespace wsup::worker::testing
