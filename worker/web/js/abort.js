// AbortController and AbortSignal (DOM Standard). AbortSignal.timeout() needs timers, so it
// exists only when the runtime installed setTimeout before the web platform (internal.startTimer);
// AbortSignal.any() is not provided.
(function(global, natives, internal) {
'use strict';
const {Event, EventTarget} = internal;  // the originals, not the globals

const kCreate = Symbol('create');  // the only way to make an AbortSignal; never exposed
let abortSignal;                   // (signal, reason): set by AbortSignal's static block

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  #onabort = null;

  constructor(key) {
    if (key !== kCreate) throw new TypeError('Illegal constructor');
    super();
  }
  get aborted() { return this.#aborted; }
  get reason() { return this.#reason; }
  throwIfAborted() {
    if (this.#aborted) throw this.#reason;
  }

  get onabort() { return this.#onabort; }
  set onabort(handler) {
    if (this.#onabort !== null) this.removeEventListener('abort', this.#onabort);
    this.#onabort = typeof handler === 'function' ? handler : null;
    if (this.#onabort !== null) this.addEventListener('abort', this.#onabort);
  }

  static abort(reason = undefined) {
    const signal = new AbortSignal(kCreate);
    abortSignal(signal, reason);
    return signal;
  }

  static {
    abortSignal = (signal, reason) => {
      if (signal.#aborted) return;
      signal.#aborted = true;
      signal.#reason = reason !== undefined ?
          reason :
          new internal.DOMException('This operation was aborted', 'AbortError');
      signal.dispatchEvent(new Event('abort'));
    };
  }
}

class AbortController {
  #signal = new AbortSignal(kCreate);
  get signal() { return this.#signal; }
  abort(reason = undefined) { abortSignal(this.#signal, reason); }
}

// AbortSignal.timeout(ms): a signal aborted with a "TimeoutError" DOMException after `ms`.
const {startTimer} = internal;
if (startTimer !== null) {
  Object.defineProperty(AbortSignal, 'timeout', {
    value: function timeout(milliseconds) {
      const ms = Number(milliseconds);
      if (arguments.length < 1 || !Number.isFinite(ms) || ms < 0) {
        throw new TypeError(
            'AbortSignal.timeout: parameter 1 is not a valid number of ' +
            'milliseconds.');
      }
      const controller = new AbortController();
      startTimer(() => {
        controller.abort(
            new internal.DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      }, ms);
      return controller.signal;
    },
    writable: true,
    configurable: true,
  });
}

internal.exposeClass(AbortSignal, 'AbortSignal');
internal.exposeClass(AbortController, 'AbortController');
})
