// Deep equality as node:assert and node:util define it (wsup's own): strict mode compares
// primitives with Object.is and requires equal prototypes; loose mode compares primitives with
// == and ignores prototypes. Both compare own enumerable keys (and symbols), array holes, Map
// and Set members (object members matched pairwise), Dates, RegExps, boxed primitives, the
// name and message of errors, and the bytes of typed arrays and ArrayBuffers; cycles are
// followed once per pair.
import * as natives from 'wsup:node-natives';

const tag = (value) => Object.prototype.toString.call(value);

function ownKeys(value) {
  const keys = Object.keys(value);
  for (const symbol of Object.getOwnPropertySymbols(value)) {
    if (Object.prototype.propertyIsEnumerable.call(value, symbol)) keys.push(symbol);
  }
  return keys;
}

function bytesOf(value) {
  if (ArrayBuffer.isView(value))
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return new Uint8Array(value);
}

function sameBytes(a, b) {
  const x = bytesOf(a);
  const y = bytesOf(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; ++i)
    if (x[i] !== y[i]) return false;
  return true;
}

function primitiveEqual(a, b, strict) {
  // eslint-disable-next-line eqeqeq
  return strict ? Object.is(a, b) : a == b || (Number.isNaN(a) && Number.isNaN(b));
}

// Finds in `candidates` (a Set copy) a member deeply equal to `item` and removes it.
function takeEqual(candidates, item, strict, memo) {
  for (const candidate of candidates) {
    if (compare(item, candidate, strict, memo)) {
      candidates.delete(candidate);
      return true;
    }
  }
  return false;
}

function compareSets(a, b, strict, memo) {
  if (a.size !== b.size) return false;
  const rest = new Set();
  for (const item of b) {
    if (item !== null && typeof item === 'object' || !a.has(item)) rest.add(item);
  }
  for (const item of a) {
    if (item !== null && typeof item === 'object') {
      if (!takeEqual(rest, item, strict, memo)) return false;
    } else if (!b.has(item) && !(!strict && takeEqual(rest, item, strict, memo))) {
      return false;
    }
  }
  return true;
}

function compareMaps(a, b, strict, memo) {
  if (a.size !== b.size) return false;
  const rest = new Set();
  for (const [key] of b) {
    if (key !== null && typeof key === 'object' || !a.has(key)) rest.add(key);
  }
  for (const [key, value] of a) {
    if (key !== null && typeof key === 'object' || !b.has(key)) {
      let found = false;
      for (const candidate of rest) {
        if (compare(key, candidate, strict, memo) &&
            compare(value, b.get(candidate), strict, memo)) {
          rest.delete(candidate);
          found = true;
          break;
        }
      }
      if (!found) return false;
    } else if (!compare(value, b.get(key), strict, memo)) {
      return false;
    }
  }
  return true;
}

function compareObjects(a, b, strict, memo) {
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (tag(a) !== tag(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && a.length !== b.length) return false;
  if (natives.isDate(a) && a.getTime() !== b.getTime()) return false;
  if (natives.isRegExp(a) &&
      (a.source !== b.source || a.flags !== b.flags || a.lastIndex !== b.lastIndex))
    return false;
  if (natives.isBoxedPrimitive(a) && !Object.is(a.valueOf(), b.valueOf())) return false;
  if ((natives.isNativeError(a) || a instanceof Error) &&
      (a.message !== b.message || a.name !== b.name))
    return false;
  if (ArrayBuffer.isView(a) || natives.isArrayBuffer(a) || natives.isSharedArrayBuffer(a)) {
    if (!sameBytes(a, b)) return false;
    if (ArrayBuffer.isView(a) && !(a instanceof DataView)) {
      // The indices are the bytes just compared; only other own keys remain.
      const keysA = ownKeys(a).filter((key) => typeof key !== 'string' || !/^\d+$/.test(key));
      const keysB = ownKeys(b).filter((key) => typeof key !== 'string' || !/^\d+$/.test(key));
      return compareKeys(a, b, keysA, keysB, strict, memo);
    }
  }
  if (natives.isMap(a) && !compareMaps(a, b, strict, memo)) return false;
  if (natives.isSet(a) && !compareSets(a, b, strict, memo)) return false;
  return compareKeys(a, b, ownKeys(a), ownKeys(b), strict, memo);
}

function compareKeys(a, b, keysA, keysB, strict, memo) {
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) {
    if (!Object.prototype.propertyIsEnumerable.call(b, key)) return false;
    if (!compare(a[key], b[key], strict, memo)) return false;
  }
  return true;
}

function compare(a, b, strict, memo) {
  if (a === b) return strict ? Object.is(a, b) : true;
  const objectA = a !== null && (typeof a === 'object' || typeof a === 'function');
  const objectB = b !== null && (typeof b === 'object' || typeof b === 'function');
  if (!objectA || !objectB) return objectA || objectB ? false : primitiveEqual(a, b, strict);
  if (typeof a === 'function' || typeof b === 'function') return false;
  // A pair already being compared further up is assumed equal (cycles).
  let seen = memo.get(a);
  if (seen === undefined) memo.set(a, seen = new Set());
  if (seen.has(b)) return true;
  seen.add(b);
  return compareObjects(a, b, strict, memo);
}

export function deepEqual(a, b, strict) { return compare(a, b, strict, new Map()); }
