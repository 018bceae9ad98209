// The helpers every other file uses, on `internal`: defineGlobal (hands a global to
// web_platform.cc, which defines it WebIDL-style: writable, configurable, non-enumerable;
// lazily for the lazy families), exposeClass (sets toStringTag, then defineGlobal),
// exportInternal, and the runtime's timers (startTimer, stopTimer). Defines `self`.
(function(global, natives, internal) {
'use strict';

// Taken now, at install: the lazy families call exposeClass after user code may have replaced
// Object or Symbol.
const {defineProperty} = Object;
const {toStringTag} = Symbol;
function defineGlobal(name, value) { internal.exported[name] = value; }
function exposeClass(cls, name) {
  defineProperty(cls.prototype, toStringTag, {value: name, configurable: true});
  defineGlobal(name, cls);
}
// A helper a family hands to other families and to the fetch API as a lazy property of
// `internal` (the family's `internals` in web_platform.cc): reading it builds the family.
function exportInternal(name, value) { internal.exported[name] = value; }
internal.defineGlobal = defineGlobal;
internal.exposeClass = exposeClass;
internal.exportInternal = exportInternal;
// The builtins as they are now, when the context is made and before any user code has run:
// files that run lazily, after user code may have replaced globals, take these instead.
internal.originals = {
  Object,
  Promise,
  Symbol,
  TypeError,
  RangeError,
  Error,
  Number,
  Math,
  Uint8Array,
  ArrayBuffer,
  DataView,
  String,
  Boolean,
  Function,
  Date,
  isFinite,
  Map,
  WeakMap,
  Reflect,
  RegExp,
  queueMicrotask: typeof global.queueMicrotask === 'function' ? global.queueMicrotask : undefined,
};
// AbortSignal.timeout, scheduler.wait and MessagePort (lazy families, which may run long after
// user code replaced the globals) use the runtime's timers: the runtime installs them before
// the web platform. Null where there are none (no event loop).
internal.startTimer = typeof global.setTimeout === 'function' ? global.setTimeout : null;
internal.stopTimer = typeof global.clearTimeout === 'function' ? global.clearTimeout : null;

// The global scope's own name for itself (WorkerGlobalScope.self).
defineGlobal('self', global);
})
