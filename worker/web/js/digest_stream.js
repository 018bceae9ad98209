// Cloudflare Workers' crypto.DigestStream: a WritableStream that hashes what is written to it
// (incrementally, in C++: natives.digestStart/Update/Finish keep an EVP_MD_CTX behind a handle)
// and keeps none of it; `digest` is a promise of the hash, an ArrayBuffer, once the stream
// closes. As in workerd: SHA-1/256/384/512 and MD5 (by name, ASCII case-insensitive, or
// {name}), chunks of ArrayBuffer, ArrayBufferView or string (hashed as UTF-8), `bytesWritten` a
// BigInt. Unlike workerd, `digest` rejects when the stream errors (a chunk of another type)
// instead of staying pending; it rejects with the reason when the stream is aborted.
//
// The class extends the streams family's WritableStream, so it is made on the first read of
// crypto.DigestStream (crypto.js), not when the crypto family runs: getRandomValues alone does
// not build the streams family.
(function(global, natives, internal) {
'use strict';
const {digestStart, digestUpdate, digestFinish, digestCancel} = natives;
const {Object, Symbol, TypeError, Promise, ArrayBuffer, BigInt, String} = internal.originals;

const kAlgorithms = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512', 'MD5'];

function asciiLowercase(text) {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

// DigestStream's HashAlgorithmIdentifier: a name, or a dictionary with one.
function algorithmName(algorithm) {
  let name;
  if (typeof algorithm === 'string') {
    name = algorithm;
  } else if (algorithm !== null && typeof algorithm === 'object' && algorithm.name !== undefined) {
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

function makeDigestStream() {
  const {WritableStream} = internal.streams;  // builds the streams family

  class DigestStream extends WritableStream {
    #digest;
    #written;

    constructor(algorithm) {
      if (arguments.length === 0) {
        throw new TypeError('Failed to construct \'DigestStream\': 1 argument required.');
      }
      // The hashing state: freed as soon as the stream closes, aborts or errors, and by V8 with
      // the handle if the stream is dropped unfinished.
      let handle = digestStart(algorithmName(algorithm));
      const written = {bytes: 0};
      let resolve, reject;
      const digest = new Promise((onResolve, onReject) => {
        resolve = onResolve;
        reject = onReject;
      });
      // A script that aborts the stream and never reads `digest` asked for that: no
      // unhandledrejection. Whoever does read it still sees the rejection.
      digest.catch(() => {});
      const fail = (reason) => {
        if (handle !== null) digestCancel(handle);
        handle = null;
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
          written.bytes += digestUpdate(handle, chunk);
        },
        close() {
          const value = digestFinish(handle);
          handle = null;
          resolve(value);
        },
        abort(reason) { fail(reason); },
      });
      this.#digest = digest;
      this.#written = written;
    }

    get digest() { return this.#digest; }
    get bytesWritten() { return BigInt(this.#written.bytes); }
  }
  Object.defineProperty(
      DigestStream.prototype, Symbol.toStringTag, {value: 'DigestStream', configurable: true});
  return DigestStream;
}

internal.makeDigestStream = makeDigestStream;
})
