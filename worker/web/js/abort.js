// AbortController and AbortSignal (DOM Standard), with AbortSignal.any()'s dependent signals.
// AbortSignal.timeout() needs timers, so it exists only when the runtime installed setTimeout
// before the web platform (internal.startTimer).
(function(global, natives, internal) {
'use strict';
const {Event, EventTarget} = internal;  // the originals, not the globals

const kCreate = Symbol('create');  // the only way to make an AbortSignal; never exposed
let abortSignal;                   // (signal, reason): set by AbortSignal's static block

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  #onabort = null;
  // AbortSignal.any(): a dependent signal follows its source signals, which are never
  // dependent themselves (a dependent source is replaced by its own sources); a source lists
  // the signals that depend on it.
  #dependent = false;
  #sources = [];
  #dependents = [];

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

  static any(signals) {
    if (signals === null || typeof signals !== 'object' ||
        typeof signals[Symbol.iterator] !== 'function') {
      throw new TypeError('AbortSignal.any: the argument must be a sequence of AbortSignals.');
    }
    const list = Array.from(signals);
    for (const signal of list) {
      if (signal === null || typeof signal !== 'object' || !(#aborted in signal)) {
        throw new TypeError('AbortSignal.any: every member must be an AbortSignal.');
      }
    }
    const result = new AbortSignal(kCreate);
    const aborted = list.find((signal) => signal.#aborted);
    if (aborted !== undefined) {
      result.#aborted = true;
      result.#reason = aborted.#reason;
      return result;
    }
    result.#dependent = true;
    for (const signal of list) {
      for (const source of signal.#dependent ? signal.#sources : [signal]) {
        if (result.#sources.includes(source)) continue;
        result.#sources.push(source);
        source.#dependents.push(result);
      }
    }
    return result;
  }

  static {
    // DOM "signal abort": the signal and the dependents it aborts all have their reason before
    // any 'abort' listener runs, the signal's listeners first.
    abortSignal = (signal, reason) => {
      if (signal.#aborted) return;
      signal.#aborted = true;
      signal.#reason = reason !== undefined ?
          reason :
          new internal.DOMException('This operation was aborted', 'AbortError');
      const dependents = signal.#dependents.filter((dependent) => !dependent.#aborted);
      for (const dependent of dependents) {
        dependent.#aborted = true;
        dependent.#reason = signal.#reason;
      }
      signal.dispatchEvent(new Event('abort'));
      for (const dependent of dependents) dependent.dispatchEvent(new Event('abort'));
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
