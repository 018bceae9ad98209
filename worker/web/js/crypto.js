// crypto.getRandomValues and crypto.randomUUID (W3C WebCrypto), backed by OpenSSL through
// natives; crypto.subtle is internal.subtle, the SubtleCrypto family (subtle*.js), which only
// runs when it is first asked for: a script that only wants random values does not pay for it.
// crypto.DigestStream (Workers' extension, below) is made on its first read, in the same way.
(function(global, natives, internal) {
'use strict';
const {randomFill, randomUUID} = natives;

const kIllegal = Symbol('illegal');  // guards the constructor; never exposed
let digestStreamClass;               // made on first use: it builds the streams family
const kIntegerArrays = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  BigInt64Array, BigUint64Array
];

class Crypto {
  constructor(key) {
    if (key !== kIllegal) throw new TypeError('Illegal constructor');
  }
  get subtle() { return internal.subtle; }
  get DigestStream() { return digestStreamClass ??= makeDigestStream(); }

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

// Cloudflare Workers' crypto.DigestStream: a WritableStream that hashes what is written to it
// (incrementally, in C++: natives.digestStart/Update/Finish keep an EVP_MD_CTX behind a handle)
// and keeps none of it; `digest` is a promise of the hash, an ArrayBuffer, once the stream
// closes. As in workerd: SHA-1/256/384/512 and MD5 (by name, ASCII case-insensitive, or
// {name}), chunks of ArrayBuffer, ArrayBufferView or string (hashed as UTF-8), `bytesWritten` a
// BigInt. Unlike workerd, `digest` rejects when the stream errors (a chunk of another type)
// instead of staying pending; it rejects with the reason when the stream is aborted.
//
// The class extends the streams family's WritableStream, so it is made on the first read of
// crypto.DigestStream, not when this family runs: getRandomValues alone does not build the
// streams family. Everything it needs is made inside this function, so a context that uses
// crypto but never reads crypto.DigestStream carries one closure for it.
function makeDigestStream() {
  const {digestStart, digestUpdate, digestFinish, digestCancel, digestBytes} = natives;
  const {Object, Symbol, TypeError, Promise, ArrayBuffer, String} = internal.originals;

  const kAlgorithms = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512', 'MD5'];

  function asciiLowercase(text) {
    return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
  }

  // DigestStream's HashAlgorithmIdentifier: a name, or a dictionary with one.
  function algorithmName(algorithm) {
    let name;
    if (typeof algorithm === 'string') {
      name = algorithm;
    } else if (
        algorithm !== null && typeof algorithm === 'object' && algorithm.name !== undefined) {
      name = String(algorithm.name);
    } else {
      throw new TypeError(
          'Failed to construct \'DigestStream\': the algorithm must be a string or an object with ' +
          'a name.');
    }
    const wanted = asciiLowercase(name);
    const found = kAlgorithms.find((known) => asciiLowercase(known) === wanted);
    if (found === undefined) {
      throw new internal.DOMException(
          `DigestStream: unrecognized or unsupported digest algorithm "${name}" (SHA-1, ` +
              'SHA-256, SHA-384, SHA-512 and MD5 are).',
          'NotSupportedError');
    }
    return found;
  }

  // A chunk digestUpdate takes (a string is hashed as its UTF-8), or a TypeError.
  function checkChunk(chunk) {
    if (typeof chunk === 'string' || chunk instanceof ArrayBuffer || ArrayBuffer.isView(chunk)) {
      return;
    }
    throw new TypeError(
        'DigestStream is a byte stream but received an object of non-ArrayBuffer/' +
        'ArrayBufferView/string type on its writable side.');
  }

  const {WritableStream} = internal.streams;  // builds the streams family

  class DigestStream extends WritableStream {
    #digest;
    #handle;

    constructor(algorithm) {
      if (arguments.length === 0) {
        throw new TypeError('Failed to construct \'DigestStream\': 1 argument required.');
      }
      // The hashing state: freed as soon as the stream closes, aborts or errors, and by V8 with
      // the handle if the stream is dropped unfinished. The handle keeps the byte count.
      const handle = digestStart(algorithmName(algorithm));
      let resolve, reject;
      const digest = new Promise((onResolve, onReject) => {
        resolve = onResolve;
        reject = onReject;
      });
      // A script that aborts the stream and never reads `digest` asked for that: no
      // unhandledrejection. Whoever does read it still sees the rejection.
      digest.catch(() => {});
      const fail = (reason) => {
        digestCancel(handle);  // does nothing if already finished or cancelled
        reject(reason);
      };
      super({
        __proto__: null,
        write(chunk) {
          try {
            checkChunk(chunk);
          } catch (error) {
            fail(error);
            throw error;  // errors the stream: the writer's promise rejects with it
          }
          digestUpdate(handle, chunk);
        },
        close() { resolve(digestFinish(handle)); },
        abort(reason) { fail(reason); },
      });
      this.#digest = digest;
      this.#handle = handle;
    }

    get digest() { return this.#digest; }
    get bytesWritten() { return digestBytes(this.#handle); }
  }
  Object.defineProperty(
      DigestStream.prototype, Symbol.toStringTag, {value: 'DigestStream', configurable: true});
  return DigestStream;
}

internal.exposeClass(Crypto, 'Crypto');
internal.defineGlobal('crypto', new Crypto(kIllegal));
})
