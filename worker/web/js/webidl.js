// The helpers every other file uses, on `internal`: defineGlobal (hands a global to
// web_platform.cc, which defines it WebIDL-style: writable, configurable, non-enumerable;
// lazily for the lazy families), exposeClass (sets toStringTag, then defineGlobal),
// exportInternal, and startTimer.
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
// AbortSignal.timeout (abort.js, which may run long after user code replaced the global) uses
// the runtime's setTimeout: the runtime installs its timers before the web platform.
internal.startTimer = typeof global.setTimeout === 'function' ? global.setTimeout : null;
})
