// The helpers every other file uses, on `internal`: defineGlobal (hands a global to
// web_platform.cc, which defines it WebIDL-style: writable, configurable, non-enumerable;
// lazily for the lazy families), exposeClass (sets toStringTag, then defineGlobal),
// exportInternal, and the runtime's timers (startTimer, stopTimer). Defines `self`.
(function(global, natives, internal) {
'use strict';

function defineGlobal(name, value) { internal.exported[name] = value; }
function exposeClass(cls, name) {
  Object.defineProperty(cls.prototype, Symbol.toStringTag, {value: name, configurable: true});
  defineGlobal(name, cls);
}
// A helper a family hands to other families as a lazy property of `internal` (the family's
// `internals` in web_platform.cc): reading it builds the family.
function exportInternal(name, value) { internal.exported[name] = value; }
internal.defineGlobal = defineGlobal;
internal.exposeClass = exposeClass;
internal.exportInternal = exportInternal;
// AbortSignal.timeout, scheduler.wait and MessagePort (lazy families, which may run long after
// user code replaced the globals) use the runtime's timers: the runtime installs them before
// the web platform. Null where there are none (no event loop).
internal.startTimer = typeof global.setTimeout === 'function' ? global.setTimeout : null;
internal.stopTimer = typeof global.clearTimeout === 'function' ? global.clearTimeout : null;

// The global scope's own name for itself (WorkerGlobalScope.self).
defineGlobal('self', global);
})
