// structuredClone (HTML, with transfer; CryptoKeys are cloned, natives_clone.cc), performance (High
// Resolution Time), navigator and scheduler (Cloudflare's scheduler.wait).
(function(global, natives, internal) {
'use strict';
const {EventTarget} = internal;  // the original, not the global
const {performanceNow, timeOrigin, userAgent} = natives;
const nativeClone = natives.structuredClone;
const kIllegal = Symbol('illegal');  // guards the constructors; never exposed

// HTML StructuredSerializeWithTransfer + deserialize: returns {value, ports}, `ports` being the
// MessagePorts that stand in the copy for the transferred ones. MessagePorts can only exist
// once messaging.js ran in this context, which is when internal.messagePorts appears.
function cloneWithTransfer(value, transfer) {
  const buffers = [];
  const ports = [];
  const messagePorts = internal.messagePorts;
  for (const item of transfer) {
    if (messagePorts !== undefined && messagePorts.isPort(item)) {
      if (messagePorts.isShipped(item)) {
        throw new internal.DOMException(
            'A MessagePort in the transfer list was already transferred.', 'DataCloneError');
      }
      ports.push(item);
    } else {
      buffers.push(item);  // the native refuses anything but a detachable ArrayBuffer
    }
  }
  const ship = ports.length === 0 ? undefined : (list) => messagePorts.ship(list);
  // CryptoKeys exist only once the SubtleCrypto family ran, which is when webCrypto appears.
  const copyKeys = internal.webCrypto?.copyKeys;
  const [copy, shipped] = nativeClone(value, internal.DOMException, buffers, ports, ship, copyKeys);
  return {value: copy, ports: shipped};
}

function structuredClone(value, options = undefined) {
  if (arguments.length === 0)
    throw new TypeError('Failed to execute \'structuredClone\': 1 argument required.');
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new TypeError('Failed to execute \'structuredClone\': options must be an object.');
  }
  const transfer = options?.transfer;
  if (transfer !== undefined &&
      (transfer === null || typeof transfer[Symbol.iterator] !== 'function')) {
    throw new TypeError('Failed to execute \'structuredClone\': transfer must be a sequence.');
  }
  return cloneWithTransfer(value, transfer === undefined ? [] : Array.from(transfer)).value;
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
  // cluster.yaml's user_agent ("Cloudflare-Workers" unless set).
  get userAgent() { return userAgent(); }
}

// Cloudflare's scheduler: wait(ms, {signal}) resolves after `ms` through the request's timers,
// or rejects with the signal's reason when it aborts first.
class Scheduler {
  constructor(key) {
    if (key !== kIllegal) throw new TypeError('Illegal constructor');
  }
  wait(delay, options = undefined) {
    const ms = Number(delay);
    const signal = options?.signal;
    return new Promise((resolve, reject) => {
      if (internal.startTimer === null) {
        throw new TypeError('scheduler.wait: there are no timers here');
      }
      if (signal !== undefined && signal.aborted) {
        reject(signal.reason);
        return;
      }
      let onAbort;
      const id = internal.startTimer(() => {
        if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
        resolve();
      }, Number.isFinite(ms) && ms > 0 ? ms : 0);
      if (signal !== undefined) {
        onAbort = () => {
          internal.stopTimer(id);
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, {once: true});
      }
    });
  }
}

internal.defineGlobal('structuredClone', structuredClone);
internal.exposeClass(Performance, 'Performance');
internal.exposeClass(Navigator, 'Navigator');
internal.defineGlobal('performance', new Performance(kIllegal));
internal.defineGlobal('navigator', new Navigator(kIllegal));
Object.defineProperty(
    Scheduler.prototype, Symbol.toStringTag, {value: 'Scheduler', configurable: true});
internal.defineGlobal('scheduler', new Scheduler(kIllegal));
internal.exportInternal('cloneWithTransfer', cloneWithTransfer);
})
