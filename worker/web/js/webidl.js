// The helpers every other file uses, on `internal`: defineGlobal (hands a global to
// web_platform.cc, which defines it WebIDL-style: writable, configurable, non-enumerable;
// lazily for the lazy families), exposeClass (sets toStringTag, then defineGlobal),
// defineInternal (hands a value other families read as internal[name], a lazy property listed
// with the family in web_platform.cc), and startTimer.
(function(global, natives, internal) {
'use strict';

function defineGlobal(name, value) { internal.exported[name] = value; }
function exposeClass(cls, name) {
  Object.defineProperty(cls.prototype, Symbol.toStringTag, {value: name, configurable: true});
  defineGlobal(name, cls);
}
internal.defineGlobal = defineGlobal;
internal.exposeClass = exposeClass;
internal.defineInternal = defineGlobal;  // the same hand-over: web_platform.cc says which is which
// AbortSignal.timeout (abort.js, which may run long after user code replaced the global) uses
// the runtime's setTimeout: the runtime installs its timers before the web platform.
internal.startTimer = typeof global.setTimeout === 'function' ? global.setTimeout : null;
})
