// Event and EventTarget (DOM Standard), without the tree: a target has no parent, so dispatch
// runs the target's own listeners only (AT_TARGET phase). Objects EventTarget's constructor did
// not make (the global scope, MessagePort's host objects) become event targets through
// internal.adoptEventTarget.
(function(global, natives, internal) {
'use strict';

let dispatch;  // (event, target, listeners, remove): set by Event's static block

class Event {
  #type;
  #bubbles;
  #cancelable;
  #composed;
  #defaultPrevented = false;
  #stopPropagation = false;
  #stopImmediate = false;
  #target = null;
  #currentTarget = null;
  #phase = 0;
  #timeStamp = natives.performanceNow();

  constructor(type, init = undefined) {
    if (arguments.length === 0)
      throw new TypeError('Failed to construct \'Event\': 1 argument required.');
    this.#type = String(type);
    this.#bubbles = Boolean(init?.bubbles);
    this.#cancelable = Boolean(init?.cancelable);
    this.#composed = Boolean(init?.composed);
  }
  get type() { return this.#type; }
  get bubbles() { return this.#bubbles; }
  get cancelable() { return this.#cancelable; }
  get composed() { return this.#composed; }
  get defaultPrevented() { return this.#defaultPrevented; }
  get returnValue() { return !this.#defaultPrevented; }
  get target() { return this.#target; }
  get srcElement() { return this.#target; }
  get currentTarget() { return this.#currentTarget; }
  get eventPhase() { return this.#phase; }
  get timeStamp() { return this.#timeStamp; }
  get isTrusted() { return false; }
  get cancelBubble() { return this.#stopPropagation; }
  set cancelBubble(value) {
    if (value) this.#stopPropagation = true;
  }
  composedPath() { return this.#currentTarget === null ? [] : [this.#currentTarget]; }
  preventDefault() {
    if (this.#cancelable) this.#defaultPrevented = true;
  }
  stopPropagation() { this.#stopPropagation = true; }
  stopImmediatePropagation() { this.#stopPropagation = this.#stopImmediate = true; }

  // Runs `listeners` (a snapshot of the target's list) per DOM "inner invoke". A static block
  // rather than a static method: it sees Event's private fields but adds no property to Event.
  static {
    dispatch = (event, target, listeners, remove) => {
      if (event.#phase !== 0) {
        throw new internal.DOMException(
            'The event is already being dispatched.', 'InvalidStateError');
      }
      event.#target = event.#currentTarget = target;
      event.#phase = 2;  // AT_TARGET
      event.#stopPropagation = event.#stopImmediate = false;
      try {
        for (const listener of listeners) {
          if (listener.removed) continue;
          if (listener.once) remove(listener);
          const callback = listener.callback;
          try {
            if (typeof callback === 'function')
              callback.call(target, event);
            else
              callback.handleEvent(event);
          } catch (error) {
            internal.reportError(error);
          }
          if (event.#stopImmediate) break;
        }
      } finally {
        event.#phase = 0;
        event.#currentTarget = null;
      }
      return !event.#defaultPrevented;
    };
  }
}
for (const [name, value] of [
         ['NONE', 0], ['CAPTURING_PHASE', 1], ['AT_TARGET', 2], ['BUBBLING_PHASE', 3]]) {
  Object.defineProperty(Event, name, {value, enumerable: true});
  Object.defineProperty(Event.prototype, name, {value, enumerable: true});
}

// A listener throwing must not stop the others: its exception is reported as an uncaught one
// (event_types.js: an ErrorEvent on the global scope, then the runtime's log).
internal.reportError = (error) => internal.reportException(error);

function flattenOptions(options) {
  if (typeof options === 'boolean')
    return {capture: options, once: false, passive: false, signal: undefined};
  if (options === null || typeof options !== 'object')
    return {capture: false, once: false, passive: false, signal: undefined};
  return {
    capture: Boolean(options.capture),
    once: Boolean(options.once),
    passive: Boolean(options.passive),
    signal: options.signal
  };
}

// Taken at install: an EventTarget made after user code replaced Map or WeakMap (an
// AbortController made by a lazily built family, a port adopted late) must still work.
const kMap = Map;
const kWeakMap = WeakMap;
// The global scope's listener map once adopted: a variable, not an entry of `adopted`, so that
// a script's top level that listens on the global scope makes no WeakMap (a per-script snapshot
// must know of every WeakMap its context holds).
let globalListeners;
let adopted = null;  // WeakMap: other adopted object -> its listener map, made on first adoption
let listenersOf;     // (target) -> its listener map, or undefined: set by the static block

class EventTarget {
  #listeners = new kMap();  // type -> array of {callback, capture, once, removed}

  static {
    listenersOf = (target) => {
      if (#listeners in target) return target.#listeners;
      return target === global ? globalListeners : adopted?.get(target);
    };
  }

  addEventListener(type, callback, options = undefined) {
    const listeners = targetListeners(this);
    if (callback === null || callback === undefined) return;
    if (typeof callback !== 'function' && typeof callback !== 'object') {
      throw new TypeError('The \'callback\' argument must be a function or an object.');
    }
    const {capture, once, passive, signal} = flattenOptions(options);
    if (signal !== undefined && signal.aborted) return;
    type = String(type);
    let list = listeners.get(type);
    if (list === undefined) listeners.set(type, list = []);
    if (list.some((l) => l.callback === callback && l.capture === capture)) return;
    const listener = {callback, capture, once, passive, removed: false};
    list.push(listener);
    if (signal !== undefined) {
      signal.addEventListener('abort', () => this.removeEventListener(type, callback, {capture}));
    }
  }

  removeEventListener(type, callback, options = undefined) {
    const listeners = targetListeners(this);
    const capture = typeof options === 'boolean' ? options : Boolean(options?.capture);
    const list = listeners.get(String(type));
    if (list === undefined) return;
    const index = list.findIndex((l) => l.callback === callback && l.capture === capture);
    if (index < 0) return;
    list[index].removed = true;
    list.splice(index, 1);
  }

  dispatchEvent(event) {
    const listeners = targetListeners(this);
    if (!(event instanceof Event)) throw new TypeError('The \'event\' argument must be an Event.');
    const list = listeners.get(event.type);
    const snapshot = list === undefined ? [] : list.slice();
    return dispatch(event, this, snapshot, (listener) => {
      listener.removed = true;
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
    });
  }
}

function targetListeners(target) {
  const listeners = target !== null && typeof target === 'object' ? listenersOf(target) : undefined;
  if (listeners === undefined) throw new TypeError('Illegal invocation');
  return listeners;
}

// Makes `object` an event target for EventTarget.prototype's methods.
internal.adoptEventTarget = (object) => {
  if (object === global) {
    if (globalListeners === undefined) globalListeners = new kMap();
    return;
  }
  if (adopted === null) adopted = new kWeakMap();
  if (listenersOf(object) === undefined) adopted.set(object, new kMap());
};
internal.exposeClass(Event, 'Event');
internal.exposeClass(EventTarget, 'EventTarget');
internal.Event = Event;
internal.EventTarget = EventTarget;
})
