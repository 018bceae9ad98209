// The Event subclasses Workers code meets (DOM's CustomEvent; HTML's ErrorEvent, MessageEvent,
// PromiseRejectionEvent) and HTML's reportError(), which reports an exception the way an
// uncaught one is: an ErrorEvent dispatched on the global scope, and, unless a listener
// cancels it, a line in the request's log through the runtime's console.error
// (internal.consoleError, set by worker/api/fetch_event.js).
(function(global, natives, internal) {
'use strict';
const {Event, EventTarget} = internal;  // the originals, not the globals

function requireType(name, args) {
  if (args.length === 0)
    throw new TypeError(`Failed to construct '${name}': 1 argument required, but only 0 present.`);
}

class CustomEvent extends Event {
  #detail;
  constructor(type, init = undefined) {
    requireType('CustomEvent', arguments);
    super(type, init);
    this.#detail = init?.detail ?? null;
  }
  get detail() { return this.#detail; }
  initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
    // Legacy; without a dispatch flag to consult, it only updates the detail.
    this.#detail = detail;
  }
}

class ErrorEvent extends Event {
  #message;
  #filename;
  #lineno;
  #colno;
  #error;
  constructor(type, init = undefined) {
    requireType('ErrorEvent', arguments);
    super(type, init);
    this.#message = init?.message === undefined ? '' : String(init.message);
    this.#filename = init?.filename === undefined ? '' : String(init.filename);
    this.#lineno = init?.lineno === undefined ? 0 : Number(init.lineno) >>> 0;
    this.#colno = init?.colno === undefined ? 0 : Number(init.colno) >>> 0;
    this.#error = init?.error;
  }
  get message() { return this.#message; }
  get filename() { return this.#filename; }
  get lineno() { return this.#lineno; }
  get colno() { return this.#colno; }
  get error() { return this.#error; }
}

class MessageEvent extends Event {
  #data;
  #origin;
  #lastEventId;
  #source;
  #ports;
  constructor(type, init = undefined) {
    requireType('MessageEvent', arguments);
    super(type, init);
    this.#data = init?.data === undefined ? null : init.data;
    this.#origin = init?.origin === undefined ? '' : String(init.origin);
    this.#lastEventId = init?.lastEventId === undefined ? '' : String(init.lastEventId);
    this.#source = init?.source ?? null;
    const ports = init?.ports;
    if (ports !== undefined && (ports === null || typeof ports[Symbol.iterator] !== 'function')) {
      throw new TypeError('Failed to construct \'MessageEvent\': ports must be a sequence.');
    }
    this.#ports = Object.freeze(ports === undefined ? [] : Array.from(ports));
  }
  get data() { return this.#data; }
  get origin() { return this.#origin; }
  get lastEventId() { return this.#lastEventId; }
  get source() { return this.#source; }
  get ports() { return this.#ports; }
}

class PromiseRejectionEvent extends Event {
  #promise;
  #reason;
  constructor(type, init = undefined) {
    requireType('PromiseRejectionEvent', arguments);
    const promise = init?.promise;
    if (promise === null || (typeof promise !== 'object' && typeof promise !== 'function')) {
      throw new TypeError(
          'Failed to construct \'PromiseRejectionEvent\': required member promise is undefined.');
    }
    super(type, init);
    this.#promise = promise;
    this.#reason = init.reason;
  }
  get promise() { return this.#promise; }
  get reason() { return this.#reason; }
}

// Where an error was thrown, from the first frame of its V8 stack ("    at f (file:1:2)").
function locate(error) {
  let stack;
  try {
    stack = error instanceof Error ? String(error.stack) : '';
  } catch {
    return {filename: '', lineno: 0, colno: 0};
  }
  const frame = /\n\s+at (?:.*\()?(.*?):(\d+):(\d+)\)?/.exec(stack);
  return frame === null ? {filename: '', lineno: 0, colno: 0} :
                          {filename: frame[1], lineno: Number(frame[2]), colno: Number(frame[3])};
}

function describe(error) {
  try {
    if (error instanceof Error) return `Uncaught ${error.name}: ${error.message}`;
    return `Uncaught ${String(error)}`;
  } catch {
    return 'Uncaught exception';
  }
}

// Dispatches `event` on the global scope (made an event target now if no listener made it one
// before); true unless a listener canceled it.
function dispatchGlobalEvent(event) {
  internal.adoptEventTarget(global);
  return EventTarget.prototype.dispatchEvent.call(global, event);
}

// HTML "report an exception". An exception thrown by an 'error' listener while one is being
// reported is only logged: dispatching again could recurse without end.
let reporting = false;
function reportException(error) {
  let unhandled = true;
  if (!reporting) {
    reporting = true;
    try {
      const event = new ErrorEvent(
          'error', {cancelable: true, message: describe(error), error, ...locate(error)});
      unhandled = dispatchGlobalEvent(event);
    } finally {
      reporting = false;
    }
  }
  if (unhandled && typeof internal.consoleError === 'function') {
    internal.consoleError('Uncaught', error);
  }
}

function reportError(error) {
  if (arguments.length === 0) {
    throw new TypeError(
        'Failed to execute \'reportError\': 1 argument required, but only 0 present.');
  }
  reportException(error);
}

internal.exposeClass(CustomEvent, 'CustomEvent');
internal.exposeClass(ErrorEvent, 'ErrorEvent');
internal.exposeClass(MessageEvent, 'MessageEvent');
internal.exposeClass(PromiseRejectionEvent, 'PromiseRejectionEvent');
internal.defineGlobal('reportError', reportError);
internal.exportInternal('MessageEvent', MessageEvent);
internal.exportInternal('PromiseRejectionEvent', PromiseRejectionEvent);
internal.exportInternal('reportException', reportException);
internal.exportInternal('dispatchGlobalEvent', dispatchGlobalEvent);
})
