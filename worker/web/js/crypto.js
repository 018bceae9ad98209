// crypto.getRandomValues, crypto.randomUUID and crypto.subtle.digest (W3C WebCrypto), backed by
// OpenSSL through natives. Only digest is provided from SubtleCrypto.
(function(global, natives, internal) {
'use strict';
const {randomFill, randomUUID, digest} = natives;

const kIllegal = Symbol('illegal');  // guards the constructors; never exposed
const kIntegerArrays = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  BigInt64Array, BigUint64Array
];
const kDigests = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];

function toView(data) {
  if (ArrayBuffer.isView(data)) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('The \'data\' argument must be an ArrayBuffer or ArrayBufferView.');
}

class SubtleCrypto {
  constructor(key) {
    if (key !== kIllegal) throw new TypeError('Illegal constructor');
  }

  // Resolves with an ArrayBuffer; the work is done synchronously (digests are fast) and
  // every failure becomes a rejection, as WebCrypto requires.
  digest(algorithm, data) {
    try {
      const name = typeof algorithm === 'string' ? algorithm : algorithm?.name;
      if (name === undefined)
        throw new TypeError('The \'algorithm\' argument must have a \'name\'.');
      const normalized = kDigests.find((known) => known === String(name).toUpperCase());
      if (normalized === undefined) {
        throw new internal.DOMException(
            `Unrecognized algorithm name: ${String(name)}`, 'NotSupportedError');
      }
      return Promise.resolve(digest(normalized, toView(data)));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

const subtle = new SubtleCrypto(kIllegal);

class Crypto {
  constructor(key) {
    if (key !== kIllegal) throw new TypeError('Illegal constructor');
  }
  get subtle() { return subtle; }

  getRandomValues(array) {
    if (!ArrayBuffer.isView(array)) {
      throw new TypeError('The \'array\' argument must be an integer-typed TypedArray.');
    }
    // WebCrypto: non-integer views (Float32Array, Float64Array, DataView) are a
    // TypeMismatchError DOMException.
    if (!kIntegerArrays.some((type) => array instanceof type)) {
      throw new internal.DOMException(
          'The provided ArrayBufferView is not an integer-typed TypedArray.', 'TypeMismatchError');
    }
    if (array.byteLength > 65536) {
      throw new internal.DOMException(
          `The ArrayBufferView's byte length (${
              array
                  .byteLength}) exceeds the number of bytes of entropy available via this API (65536)`,
          'QuotaExceededError');
    }
    randomFill(array);
    return array;
  }

  randomUUID() { return randomUUID(); }
}

internal.exposeClass(SubtleCrypto, 'SubtleCrypto');
internal.exposeClass(Crypto, 'Crypto');
internal.defineGlobal('crypto', new Crypto(kIllegal));
})
