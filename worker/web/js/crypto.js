// crypto.getRandomValues and crypto.randomUUID (W3C WebCrypto), backed by OpenSSL through
// natives; crypto.subtle is internal.subtle, the SubtleCrypto family (subtle*.js), which only
// runs when it is first asked for: a script that only wants random values does not pay for it.
(function(global, natives, internal) {
'use strict';
const {randomFill, randomUUID} = natives;

const kIllegal = Symbol('illegal');  // guards the constructor; never exposed
const kIntegerArrays = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  BigInt64Array, BigUint64Array
];

class Crypto {
  constructor(key) {
    if (key !== kIllegal) throw new TypeError('Illegal constructor');
  }
  get subtle() { return internal.subtle; }

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

internal.exposeClass(Crypto, 'Crypto');
internal.defineGlobal('crypto', new Crypto(kIllegal));
})
