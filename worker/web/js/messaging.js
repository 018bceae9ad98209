// MessageChannel and MessagePort (HTML "Channel messaging"), within one context: a message
// posted on one port is cloned (structured clone, with its transfer list) at once and delivered
// to the other port's 'message' listeners on a later task, through the runtime's timers
// (internal.startTimer), one message per task. A port's queue is held until start() (or an
// onmessage handler) enables it, as the standard says.
//
// A port is a host object (natives.hostObjectClass: it carries an embedder field), so V8's
// serializer hands any port it meets in a cloned value to natives_clone.cc, which keeps ports
// named in the transfer list and refuses the others (DataCloneError). Its state lives in a
// WeakMap, and EventTarget adopts it (internal.adoptEventTarget), since an object made by a
// native cannot carry the private fields of JavaScript classes.
(function(global, natives, internal) {
'use strict';
const {EventTarget} = internal;
const HostObject = natives.hostObjectClass();

const kCreate = Symbol('create');  // the only way to make a MessagePort; never exposed
const states = new WeakMap();      // port -> its state

function stateOf(port) {
  const state = states.get(port);
  if (state === undefined) throw new TypeError('Illegal invocation');
  return state;
}

class MessagePort extends EventTarget {
  // A derived constructor that returns an object of its own: no super() call, so no fields.
  constructor(key) {
    if (key !== kCreate) throw new TypeError('Illegal constructor');
    const port = Reflect.construct(HostObject, [], new.target);
    internal.adoptEventTarget(port);
    states.set(port, {
      peer: null,        // the entangled port, null once closed or shipped
      queue: [],         // messages received but not dispatched yet: {data, ports} or {error}
      enabled: false,    // start() was called (or onmessage set)
      scheduled: false,  // a delivery task is pending
      closed: false,
      shipped: false,  // transferred: this object no longer stands for the port
      onmessage: null,
      onmessageerror: null,
    });
    return port;
  }

  postMessage(message, transfer = undefined) {
    const state = stateOf(this);
    if (arguments.length === 0) {
      throw new TypeError(
          'Failed to execute \'postMessage\' on \'MessagePort\': 1 argument required.');
    }
    let list = [];
    if (Array.isArray(transfer) ||
        (transfer !== undefined && transfer !== null &&
         typeof transfer[Symbol.iterator] === 'function')) {
      list = Array.from(transfer);
    } else if (transfer !== undefined && transfer !== null) {
      list = transfer.transfer === undefined ? [] : Array.from(transfer.transfer);
    }
    if (list.includes(this)) {
      throw new internal.DOMException(
          'Failed to execute \'postMessage\' on \'MessagePort\': the source port cannot be ' +
              'transferred.',
          'DataCloneError');
    }
    // Cloned even when nobody will receive it: clone errors are thrown all the same.
    const clone = internal.cloneWithTransfer(message, list);
    const target = state.peer;
    if (target === null) return;
    const targetState = states.get(target);
    targetState.queue.push({data: clone.value, ports: clone.ports});
    schedule(target, targetState);
  }

  start() {
    const state = stateOf(this);
    if (state.enabled || state.shipped) return;
    state.enabled = true;
    schedule(this, state);
  }

  close() {
    const state = stateOf(this);
    state.closed = true;
    state.queue.length = 0;
    const peer = state.peer;
    state.peer = null;
    if (peer !== null) states.get(peer).peer = null;
  }

  get onmessage() { return stateOf(this).onmessage; }
  set onmessage(handler) {
    const state = stateOf(this);
    if (state.onmessage !== null) this.removeEventListener('message', state.onmessage);
    state.onmessage = typeof handler === 'function' ? handler : null;
    if (state.onmessage !== null) this.addEventListener('message', state.onmessage);
    this.start();  // setting onmessage enables the queue
  }
  get onmessageerror() { return stateOf(this).onmessageerror; }
  set onmessageerror(handler) {
    const state = stateOf(this);
    if (state.onmessageerror !== null)
      this.removeEventListener('messageerror', state.onmessageerror);
    state.onmessageerror = typeof handler === 'function' ? handler : null;
    if (state.onmessageerror !== null) this.addEventListener('messageerror', state.onmessageerror);
  }
}

// One delivery task at a time per port; each task dispatches one message, so microtasks run
// between two messages as between two tasks.
function schedule(port, state) {
  if (!state.enabled || state.scheduled || state.queue.length === 0) return;
  if (internal.startTimer === null) return;  // no event loop here: nothing can deliver
  state.scheduled = true;
  internal.startTimer(() => deliver(port, state), 0);
}

function deliver(port, state) {
  state.scheduled = false;
  if (state.closed || state.shipped || state.queue.length === 0) return;
  const message = state.queue.shift();
  try {
    port.dispatchEvent(
        new internal.MessageEvent('message', {data: message.data, ports: message.ports}));
  } finally {
    schedule(port, state);
  }
}

class MessageChannel {
  #port1;
  #port2;
  constructor() {
    this.#port1 = new MessagePort(kCreate);
    this.#port2 = new MessagePort(kCreate);
    states.get(this.#port1).peer = this.#port2;
    states.get(this.#port2).peer = this.#port1;
  }
  get port1() { return this.#port1; }
  get port2() { return this.#port2; }
}

// structuredClone's and postMessage's transfer of ports (globals.js): each port becomes a new
// MessagePort object with the old one's entanglement and queued messages; the old object is
// left closed. A closed port can be shipped too: the new object is entangled with nothing.
internal.messagePorts = {
  isPort(value) { return states.has(value); },
  isShipped(port) { return states.get(port).shipped; },
  ship(ports) {
    return ports.map((port) => {
      const old = states.get(port);
      const moved = new MessagePort(kCreate);
      const state = states.get(moved);
      state.peer = old.peer;
      state.closed = old.closed;
      state.queue = old.queue;
      if (old.peer !== null) states.get(old.peer).peer = moved;
      old.peer = null;
      old.queue = [];
      old.shipped = true;
      old.closed = true;
      return moved;
    });
  },
};

internal.exposeClass(MessagePort, 'MessagePort');
internal.exposeClass(MessageChannel, 'MessageChannel');
})
