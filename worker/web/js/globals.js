// structuredClone (HTML), performance (High Resolution Time) and navigator.
(function(global, natives, internal) {
'use strict';
const {EventTarget} = internal;  // the original, not the global
const {performanceNow, timeOrigin} = natives;
const nativeClone = natives.structuredClone;
const kIllegal = Symbol('illegal');  // guards the constructors; never exposed

function structuredClone(value, options = undefined) {
  if (arguments.length === 0)
    throw new TypeError('Failed to execute \'structuredClone\': 1 argument required.');
  const transfer = options?.transfer;
  if (transfer !== undefined && Array.from(transfer).length > 0) {
    throw new internal.DOMException(
        'structuredClone: the transfer option is not supported', 'DataCloneError');
  }
  return nativeClone(value, internal.DOMException);
}

// now() is real monotonic time in ms since process start (Workers freezes it per request;
// wsup does not), timeOrigin the wall-clock time of process start in ms since the epoch.
class Performance extends EventTarget {
  constructor(key) {
    if (key !== kIllegal) throw new TypeError('Illegal constructor');
    super();
  }
  get timeOrigin() { return timeOrigin(); }
  now() { return performanceNow(); }
  toJSON() { return {timeOrigin: timeOrigin()}; }
}

class Navigator {
  constructor(key) {
    if (key !== kIllegal) throw new TypeError('Illegal constructor');
  }
  get userAgent() { return 'wsup/0.1'; }
}

internal.defineGlobal('structuredClone', structuredClone);
internal.exposeClass(Performance, 'Performance');
internal.exposeClass(Navigator, 'Navigator');
internal.defineGlobal('performance', new Performance(kIllegal));
internal.defineGlobal('navigator', new Navigator(kIllegal));
})
