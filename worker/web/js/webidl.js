// The helpers every other file uses, on `internal`: defineGlobal (hands a global to
// web_platform.cc, which defines it WebIDL-style: writable, configurable, non-enumerable;
// lazily for the lazy families), exposeClass (sets toStringTag, then defineGlobal), and
// startTimer.
(function(global, natives, internal) {
'use strict';

function defineGlobal(name, value) { internal.exported[name] = value; }
function exposeClass(cls, name) {
  Object.defineProperty(cls.prototype, Symbol.toStringTag, {value: name, configurable: true});
  defineGlobal(name, cls);
}
internal.defineGlobal = defineGlobal;
internal.exposeClass = exposeClass;
// AbortSignal.timeout (abort.js, which may run long after user code replaced the global) uses
// the runtime's setTimeout: the runtime installs its timers before the web platform.
internal.startTimer = typeof global.setTimeout === 'function' ? global.setTimeout : null;
})
