// Runs in a script's snapshot context before the script's top level (worker/global_scope.cc).
// Returns leave(), which runs after the top level and the warm-up requests, just before the
// context is added to the snapshot, and returns {problems: the reasons (strings) it cannot be,
// weakCollections: whether the script made a WeakMap or WeakSet (3. below)}.
//
// 1. V8 10.2 leaves some shipped built-ins out of every context a SnapshotCreator makes and
//    adds them to each context later made from the snapshot. Bundles call them at top level, so
//    the top level gets stand-ins written to the spec; leave() deletes them again (V8 would add a
//    second property of the same name to a holder that still has one) and a top level that
//    captured one (`const at = Array.prototype.at`) keeps a working stand-in.
// 3. Whether the top level makes a WeakMap or a WeakSet: V8 10.2 crashes when a full, atomic
//    mark-compact runs while a context holding one is deserialized, so the runtime then turns
//    incremental marking on (worker/script_preparation.cc). Counted through proxies of the two
//    constructors, put back by leave(); the web platform's families that keep WeakMaps say so
//    themselves (GlobalScope::note_weak_collections).
// 2. Math.random() at global scope is refused (`refuse`, a native, throws and records where), as
//    on Cloudflare Workers: a value drawn while the snapshot is made would be shared by every
//    request. In a warm-up request `refuse` lets it through (warm-up state is shared by design:
//    GlobalScope::refuse_random_at_global_scope). The guard stays Math.random only until
//    leave(); a reference the top level kept keeps working afterwards.
(function(refuse) {
'use strict';
const {defineProperty, getOwnPropertyDescriptor, getPrototypeOf, isExtensible} = Object;
const {deleteProperty} = Reflect;
const ownProperty = Object.prototype.hasOwnProperty;
const hasOwn = (holder, key) => ownProperty.call(holder, key);
const {trunc, min} = Math;

// ECMA-262 ToIntegerOrInfinity (unary + is ToNumber: it throws for Symbols and BigInts).
function toIntegerOrInfinity(value) {
  const number = +value;
  return number !== number ? 0 : trunc(number) + 0;
}
function toLength(value) {
  const length = toIntegerOrInfinity(value);
  return length <= 0 ? 0 : min(length, Number.MAX_SAFE_INTEGER);
}
function toObject(value, method) {
  if (value === null || value === undefined) {
    throw new TypeError(`${method} called on null or undefined`);
  }
  return Object(value);
}
// The index `at(index)` reads, or -1 when it is out of range.
function relativeIndex(index, length) {
  let k = toIntegerOrInfinity(index);
  if (k < 0) k += length;
  return k < 0 || k >= length ? -1 : k;
}
function requireCallable(predicate) {
  if (typeof predicate !== 'function')
    throw new TypeError(`${String(predicate)} is not a function`);
}

// Method syntax: like the built-ins, these are not constructors and have the right name;
// parameters past the first are read from `arguments` so that `length` is right too.
const arrayMethods = {
  at(index) {
    const o = toObject(this, 'Array.prototype.at');
    const k = relativeIndex(index, toLength(o.length));
    return k === -1 ? undefined : o[k];
  },
  findLast(predicate) {
    const o = toObject(this, 'Array.prototype.findLast');
    const length = toLength(o.length);
    requireCallable(predicate);
    for (let k = length - 1; k >= 0; --k) {
      const value = o[k];
      if (predicate.call(arguments[1], value, k, o)) return value;
    }
    return undefined;
  },
  findLastIndex(predicate) {
    const o = toObject(this, 'Array.prototype.findLastIndex');
    const length = toLength(o.length);
    requireCallable(predicate);
    for (let k = length - 1; k >= 0; --k) {
      if (predicate.call(arguments[1], o[k], k, o)) return k;
    }
    return -1;
  },
};

const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype);
// Throws a TypeError for anything but a typed array, as ValidateTypedArray does.
const typedArrayLength = getOwnPropertyDescriptor(TypedArrayPrototype, 'length').get;
const typedArrayMethods = {
  at(index) {
    const k = relativeIndex(index, typedArrayLength.call(this));
    return k === -1 ? undefined : this[k];
  },
  findLast(predicate) {
    const length = typedArrayLength.call(this);
    requireCallable(predicate);
    for (let k = length - 1; k >= 0; --k) {
      const value = this[k];
      if (predicate.call(arguments[1], value, k, this)) return value;
    }
    return undefined;
  },
  findLastIndex(predicate) {
    const length = typedArrayLength.call(this);
    requireCallable(predicate);
    for (let k = length - 1; k >= 0; --k) {
      if (predicate.call(arguments[1], this[k], k, this)) return k;
    }
    return -1;
  },
};

const stringMethods = {
  at(index) {
    if (this === null || this === undefined) {
      throw new TypeError('String.prototype.at called on null or undefined');
    }
    const string = `${this}`;
    const k = relativeIndex(index, string.length);
    return k === -1 ? undefined : string[k];
  },
};

const objectMethods = {
  hasOwn(object, key) { return ownProperty.call(toObject(object, 'Object.hasOwn'), key); },
};

// V8's default (--stack-trace-limit), which every context made from the snapshot gets back.
const kStackTraceLimit = 10;
const method = {
  writable: true,
  enumerable: false,
  configurable: true
};
const plain = {
  writable: true,
  enumerable: true,
  configurable: true
};
const unscopables = Array.prototype[Symbol.unscopables];
const standIns = [
  [Array.prototype, 'Array.prototype', arrayMethods, method],
  [
    unscopables, 'Array.prototype[Symbol.unscopables]',
    {at: true, findLast: true, findLastIndex: true}, plain
  ],
  [TypedArrayPrototype, '%TypedArray%.prototype', typedArrayMethods, method],
  [String.prototype, 'String.prototype', stringMethods, method],
  [Object, 'Object', objectMethods, method],
  [Error, 'Error', {stackTraceLimit: kStackTraceLimit}, plain],
];
const installed = [];  // [holder, where, name]
for (const [holder, where, values, attributes] of standIns) {
  for (const name of Object.keys(values)) {
    if (hasOwn(holder, name)) continue;  // a V8 that does install it
    defineProperty(holder, name, {...attributes, value: values[name]});
    installed.push([holder, where, name]);
  }
}

const builtinRandom = Math.random;
let atGlobalScope = true;
const guardedRandom = {
  random() {
    if (atGlobalScope) refuse('Math.random()');
    return builtinRandom();
  },
}.random;
defineProperty(Math, 'random', {value: guardedRandom});

let weakCollections = false;
const counted = [];  // [name, builtin, proxy]
for (const name of ['WeakMap', 'WeakSet']) {
  const builtin = globalThis[name];
  const counting = new Proxy(builtin, {
    construct(target, args, newTarget) {
      weakCollections = true;
      return Reflect.construct(target, args, newTarget);
    },
  });
  defineProperty(globalThis, name, {value: counting});
  counted.push([name, builtin, counting]);
}

// The globals V8 adds to every context made from a snapshot, and so a script may not define.
const kAddedGlobals = ['Atomics', 'SharedArrayBuffer', 'WebAssembly'];

return function leave() {
  atGlobalScope = false;
  const problems = [];
  for (const [name, builtin, counting] of counted) {
    if (globalThis[name] === counting) defineProperty(globalThis, name, {value: builtin});
  }
  // A top level that put its own Math.random in place (a seeded generator) keeps it.
  if (Math.random === guardedRandom &&
      !Reflect.defineProperty(Math, 'random', {value: builtinRandom})) {
    problems.push('the top level made Math.random unchangeable');
  }
  const holders = new Map();
  for (const [holder, where, name] of installed) {
    holders.set(holder, where);
    if (where === 'Error' && name === 'stackTraceLimit' && hasOwn(holder, name) &&
        holder[name] !== kStackTraceLimit) {
      problems.push(
          'the top level sets Error.stackTraceLimit, which every context made from ' +
          'a snapshot gets back at V8\'s default');
    }
    if (hasOwn(holder, name) && !deleteProperty(holder, name)) {
      problems.push(`the top level made ${where}.${name} unchangeable`);
    }
  }
  holders.set(globalThis, 'the global object');
  for (const [holder, where] of holders) {
    if (!isExtensible(holder)) {
      problems.push(`the top level made ${where} non-extensible (frozen or sealed)`);
    }
  }
  for (const name of kAddedGlobals) {
    if (hasOwn(globalThis, name)) {
      problems.push(
          `the top level defines the global ${name}, which V8 adds itself to every ` +
          'context made from a snapshot');
    }
  }
  return {problems, weakCollections};
};
})
