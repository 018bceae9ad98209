// The fetch event, both script styles:
//  - service worker: addEventListener('fetch', (event) => event.respondWith(...)), with
//    event.request, event.waitUntil() and event.passThroughOnException() (a no-op here);
//  - ES module: export default { fetch(request, env, ctx) } with ctx.waitUntil().
// internal.dispatchFetch returns [responsePromise | undefined, waitUntilPromises]; the runtime
// drives the promises and reads the Response through internal.serializeResponse.
// The global addEventListener takes 'fetch' listeners for the fetch event and any other type
// for the global scope's events ('error' from reportError, 'unhandledrejection'), which the web
// platform dispatches (`web`: its private object); internal.unhandledRejection is how the
// runtime reports a promise rejected with no handler.

const fetchListeners = [];
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
let globalListenersAdded = false;  // whether a listener of another type than 'fetch' ever was

function addEventListener(type, listener, options = undefined) {
  if (`${type}` !== 'fetch') {
    if (globalEvents === null) return;
    web.adoptEventTarget(globalThis);
    globalListenersAdded = true;
    return globalEvents.addEventListener.call(globalThis, type, listener, options);
  }
  if (listener === null || listener === undefined) return;
  if (!fetchListeners.includes(listener)) fetchListeners.push(listener);
}

function removeEventListener(type, listener, options = undefined) {
  if (`${type}` !== 'fetch') {
    if (globalEvents === null) return;
    web.adoptEventTarget(globalThis);
    return globalEvents.removeEventListener.call(globalThis, type, listener, options);
  }
  const index = fetchListeners.indexOf(listener);
  if (index !== -1) fetchListeners.splice(index, 1);
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

for (const [name, value] of Object.entries({
       Headers, Request, Response, FetchEvent, ExecutionContext, addEventListener,
       removeEventListener, dispatchEvent,
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
  ];
};
