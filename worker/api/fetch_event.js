// The fetch and scheduled events, both script styles:
//  - service worker: addEventListener('fetch', (event) => event.respondWith(...)), with
//    event.request, event.waitUntil() and event.passThroughOnException() (a no-op here);
//    addEventListener('scheduled', (event) => ...) with event.scheduledTime, event.cron,
//    event.waitUntil() and event.noRetry();
//  - ES module: export default { fetch(request, env, ctx), scheduled(controller, env, ctx) } with
//    ctx.waitUntil() and controller.scheduledTime, controller.cron, controller.noRetry().
// internal.dispatchFetch and internal.dispatchScheduled return
// [responsePromise | undefined, waitUntilPromises]; the runtime drives the promises and reads the
// Response through internal.serializeResponse. A scheduled run's promise resolves to a 200 "ok"
// Response once the handler and every waitUntil promise have settled; it rejects with the
// handler's error, else with that of the first waitUntil promise (in the order added) that
// rejected.
// The global addEventListener takes 'fetch' and 'scheduled' listeners for those events and any
// other type for the global scope's events ('error' from reportError, 'unhandledrejection'),
// which the web platform dispatches (`web`: its private object); internal.unhandledRejection is
// how the runtime reports a promise rejected with no handler.

const fetchListeners = [];
const scheduledListeners = [];
const ownListeners = {fetch: fetchListeners, scheduled: scheduledListeners};
// The web platform's Event when it is linked in; otherwise just enough of one.
const EventBase = typeof Event === 'function' ? Event : class {
  #type;
  constructor(type) {
    this.#type = `${type}`;
  }
  get type() {
    return this.#type;
  }
};

class FetchEvent extends EventBase {
  #request;
  #response = undefined;
  #waitUntil;
  #dispatching = true;
  #stopped = false;

  constructor(type, init, waitUntil) {
    if (init === null || typeof init !== 'object' || !(init.request instanceof Request)) {
      throw new TypeError("Failed to construct 'FetchEvent': init.request must be a Request.");
    }
    super(type);
    this.#request = init.request;
    this.#waitUntil = waitUntil ?? [];
  }

  get request() {
    return this.#request;
  }

  respondWith(response) {
    if (!this.#dispatching) {
      throw new Error('FetchEvent.respondWith() must be called synchronously from the listener.');
    }
    if (this.#response !== undefined) {
      throw new Error('FetchEvent.respondWith() has already been called.');
    }
    this.#response = Promise.resolve(response);
  }

  waitUntil(promise) {
    this.#waitUntil.push(Promise.resolve(promise));
  }

  passThroughOnException() {}

  stopImmediatePropagation() {
    this.#stopped = true;
    if (typeof super.stopImmediatePropagation === 'function') super.stopImmediatePropagation();
  }

  static {
    internal.dispatchServiceWorker = (request) => {
      const waitUntil = [];
      const event = new FetchEvent('fetch', {request}, waitUntil);
      for (const listener of fetchListeners.slice()) {
        if (typeof listener === 'function') {
          listener.call(globalThis, event);
        } else {
          listener.handleEvent(event);
        }
        if (event.#stopped) break;
      }
      event.#dispatching = false;
      return [event.#response, waitUntil];
    };
  }
}

// The web platform's EventTarget methods, applied to the global scope (null without one).
const globalEvents = web.EventTarget === undefined ? null : web.EventTarget.prototype;
let globalListenersAdded = false;  // whether a listener of a type other than ours ever was

function addEventListener(type, listener, options = undefined) {
  const own = Object.hasOwn(ownListeners, `${type}`) ? ownListeners[`${type}`] : null;
  if (own === null) {
    if (globalEvents === null) return;
    web.adoptEventTarget(globalThis);
    globalListenersAdded = true;
    return globalEvents.addEventListener.call(globalThis, type, listener, options);
  }
  if (listener === null || listener === undefined) return;
  if (!own.includes(listener)) own.push(listener);
}

function removeEventListener(type, listener, options = undefined) {
  const own = Object.hasOwn(ownListeners, `${type}`) ? ownListeners[`${type}`] : null;
  if (own === null) {
    if (globalEvents === null) return;
    web.adoptEventTarget(globalThis);
    return globalEvents.removeEventListener.call(globalThis, type, listener, options);
  }
  const index = own.indexOf(listener);
  if (index !== -1) own.splice(index, 1);
}

function dispatchEvent(event) {
  if (globalEvents === null) throw new TypeError('dispatchEvent: there is no EventTarget here');
  web.adoptEventTarget(globalThis);
  return globalEvents.dispatchEvent.call(globalThis, event);
}

// An exception no listener canceled (reportError, a throwing event listener) goes to the
// request's log through console.error (the original, captured now).
web.consoleError = globalThis.console?.error;

// Whether the runtime should log a promise rejected with no handler: true unless an
// 'unhandledrejection' listener canceled the PromiseRejectionEvent. Without any listener on
// the global scope, the event classes are not even built.
internal.unhandledRejection = (promise, reason) => {
  if (globalEvents === null || !globalListenersAdded) return true;
  const event = new web.PromiseRejectionEvent('unhandledrejection', {promise, reason, cancelable: true});
  return web.dispatchGlobalEvent(event);
};

class ExecutionContext {
  #waitUntil;
  constructor(waitUntil) {
    this.#waitUntil = waitUntil;
  }
  waitUntil(promise) {
    this.#waitUntil.push(Promise.resolve(promise));
  }
  passThroughOnException() {}
}

internal.dispatchFetch = (namespace, method, url, flatHeaders, body, env) => {
  const request = makeIncomingRequest(method, url, flatHeaders, body);
  if (namespace === undefined) return internal.dispatchServiceWorker(request);
  const handler = namespace.default;
  if (handler === null || typeof handler !== 'object' && typeof handler !== 'function' ||
      typeof handler.fetch !== 'function') {
    throw new TypeError('The module has no default export with a fetch() method.');
  }
  const waitUntil = [];
  const result = handler.fetch(request, env, new ExecutionContext(waitUntil));
  return [Promise.resolve(result), waitUntil];
};

// What a scheduled handler is told about its run: controller.scheduledTime (ms since the epoch)
// and controller.cron (the expression as written in cluster.yaml, "" for `wsup trigger` without
// --cron). noRetry() is accepted: wsup never retries a run.
class ScheduledController {
  #scheduledTime;
  #cron;
  constructor(scheduledTime, cron) {
    this.#scheduledTime = scheduledTime;
    this.#cron = cron;
  }
  get scheduledTime() {
    return this.#scheduledTime;
  }
  get cron() {
    return this.#cron;
  }
  noRetry() {}
}

class ScheduledEvent extends EventBase {
  #controller;
  #waitUntil;
  constructor(type, controller, waitUntil) {
    if (!(controller instanceof ScheduledController)) {
      throw new TypeError("Illegal constructor: ScheduledEvent is made by the runtime.");
    }
    super(type);
    this.#controller = controller;
    this.#waitUntil = waitUntil;
  }
  get scheduledTime() {
    return this.#controller.scheduledTime;
  }
  get cron() {
    return this.#controller.cron;
  }
  noRetry() {}
  waitUntil(promise) {
    this.#waitUntil.push(Promise.resolve(promise));
  }
}

// Waits for `first`, then for every promise in `waitUntil` in turn, those added meanwhile
// included.
async function afterHandlerAndWaitUntil(first, waitUntil) {
  await first;
  for (let i = 0; i < waitUntil.length; ++i) await waitUntil[i];
  return new Response('ok');
}

internal.dispatchScheduled = (namespace, cron, scheduledTime, env) => {
  const waitUntil = [];
  const controller = new ScheduledController(scheduledTime, cron);
  if (namespace === undefined) {
    if (scheduledListeners.length === 0) {
      throw new TypeError(
          "The script has no 'scheduled' event listener: add addEventListener('scheduled', " +
          '(event) => ...) to run it from a cron trigger.');
    }
    const event = new ScheduledEvent('scheduled', controller, waitUntil);
    for (const listener of scheduledListeners.slice()) {
      if (typeof listener === 'function') {
        listener.call(globalThis, event);
      } else {
        listener.handleEvent(event);
      }
    }
    return [afterHandlerAndWaitUntil(undefined, waitUntil), waitUntil];
  }
  const handler = namespace.default;
  if (handler === null || typeof handler !== 'object' && typeof handler !== 'function' ||
      typeof handler.scheduled !== 'function') {
    throw new TypeError(
        'The module has no default export with a scheduled() method: add ' +
        'scheduled(controller, env, ctx) to run it from a cron trigger.');
  }
  const result = handler.scheduled(controller, env, new ExecutionContext(waitUntil));
  return [afterHandlerAndWaitUntil(result, waitUntil), waitUntil];
};

for (const [name, value] of Object.entries({
       Headers, Request, Response, FetchEvent, ScheduledEvent, ExecutionContext,
       addEventListener, removeEventListener, dispatchEvent,
     })) {
  Object.defineProperty(globalThis, name, {value, writable: true, configurable: true});
}

// Runs the hot paths once while the startup snapshot is built, so their bytecode is baked in
// (kKeep) and a request's fresh context does not compile them again. Leaves no state behind.
internal.warmUp = () => {
  const echo = {default: {fetch: (request) => new Response(request.url, {headers: {a: 'b'}})}};
  const [promise] = internal.dispatchFetch(echo, 'GET', 'http://warm/', ['X-A', '1'], null, {});
  promise.then((response) => internal.serializeResponse(response));
  internal.dispatchFetch(undefined, 'POST', 'http://warm/', [], null, {});
  const response = Response.json({a: 1, b: 'two'}, {status: 201});
  internal.serializeResponse(response);
  response.headers.get('content-type');
  const headers = new Headers([['b', '1'], ['a', '2']]);
  headers.forEach(() => {});
  [...headers];
  // A Request from a Request: the one from a URL string would make the lazy URL family
  // (worker/api/web_platform.cc) part of the snapshot.
  new Request(makeIncomingRequest('GET', 'http://warm/', [], null), {method: 'POST', body: 'x'})
      .text();
  new Response('x').text();
  // Kept in the snapshot: the hidden classes (maps) a request's objects go through. Transitions
  // to maps nothing holds are dropped when the snapshot is made, and every request would then
  // build them again, property by property, in its fresh context.
  const incoming = makeIncomingRequest('GET', 'http://warm/', ['x-a', '1'], null);
  // Also the body a BodyInit extracts to (body.js), made for every Response with a body.
  internal.shapes = [
    incoming, new FetchEvent('fetch', {request: incoming}, []), new ExecutionContext([]),
    new Response('x', {headers: {a: 'b'}}), Response.json({a: 1}), headers, extractBody('x'),
    // What fetch() resolves with (its body never opened here).
    makeFetchedResponse(200, 'OK', ['a', 'b'], 'http://warm/', false,
                        {__proto__: null, open: null, take: null}),
  ];
};
