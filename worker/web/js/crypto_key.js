// CryptoKey (W3C WebCrypto): type, extractable, algorithm and usages, read-only; the
// constructor is illegal. Its key material is a native handle (crypto_support.h) in a private
// field, reachable only through internal.webCrypto.keyHandle: user code can neither read it nor
// forge a key, and `instanceof CryptoKey` holds for every key SubtleCrypto returns.
//
// A key is a host object (natives.hostObjectClass(1): it carries an embedder field), so V8's
// serializer hands any key it meets in a cloned value (structuredClone, postMessage) to
// natives_clone.cc, which asks webCrypto.copyKeys for its copy: a new CryptoKey with the same
// handle (the same native material), type, extractable, algorithm and usages, as WebCrypto's
// serialization steps say. (workerd refuses to clone a CryptoKey: DataCloneError.)
(function(global, natives, internal) {
'use strict';
const webCrypto = internal.webCrypto;
const {Object} = internal.originals;
const HostObject = natives.hostObjectClass(1);
const kToken = Symbol('CryptoKey');  // guards the constructor; never exposed

// The KeyAlgorithm dictionaries keys report: a fresh copy for user code, whose changes to it
// reach nothing inside.
function copyAlgorithm(algorithm) {
  const copy = {...algorithm};
  if (algorithm.hash !== undefined) copy.hash = {name: algorithm.hash.name};
  if (algorithm.publicExponent !== undefined)
    copy.publicExponent = algorithm.publicExponent.slice();
  return copy;
}

class CryptoKey extends HostObject {
  #type;
  #extractable;
  #algorithm;  // {name, ...}: what the operations read; never handed out
  #usages;     // frozen, in WebCrypto's order
  #handle;
  #algorithmView = undefined;  // what `algorithm` returns: the same object every time
  #usagesView = undefined;

  constructor(token, type, extractable, algorithm, usages, handle) {
    if (token !== kToken) throw new TypeError('Illegal constructor');
    super();
    this.#type = type;
    this.#extractable = extractable;
    this.#algorithm = algorithm;
    this.#usages = Object.freeze(usages);
    this.#handle = handle;
  }

  get type() { return this.#type; }
  get extractable() { return this.#extractable; }
  get algorithm() { return this.#algorithmView ??= copyAlgorithm(this.#algorithm); }
  get usages() { return this.#usagesView ??= [...this.#usages]; }

  static {
    webCrypto.isCryptoKey = (value) => value !== null &&
        (typeof value === 'object' || typeof value === 'function') && #handle in value;
    webCrypto.newCryptoKey = (type, extractable, algorithm, usages, handle) =>
        new CryptoKey(kToken, type, extractable, algorithm, usages, handle);
    // The copies of keys a structured clone met (natives_clone.cc). #algorithm and #usages are
    // never changed nor handed out: the copies share them, and the handle.
    webCrypto.copyKeys = (keys) => {
      const copies = [];
      for (let i = 0; i < keys.length; ++i) {
        const key = keys[i];
        copies[i] = new CryptoKey(
            kToken, key.#type, key.#extractable, key.#algorithm, key.#usages, key.#handle);
      }
      return copies;
    };
    webCrypto.keyHandle = (key) => key.#handle;
    webCrypto.keyAlgorithm = (key) => key.#algorithm;
    webCrypto.keyUsagesOf = (key) => key.#usages;
    webCrypto.keyType = (key) => key.#type;
    webCrypto.keyExtractable = (key) => key.#extractable;
  }
}
// Instances are host objects, but CryptoKey.prototype inherits from Object.prototype alone.
Object.setPrototypeOf(CryptoKey.prototype, Object.prototype);
// WebIDL attributes are enumerable accessors on the prototype.
for (const name of ['type', 'extractable', 'algorithm', 'usages']) {
  const descriptor = Object.getOwnPropertyDescriptor(CryptoKey.prototype, name);
  Object.defineProperty(CryptoKey.prototype, name, {...descriptor, enumerable: true});
}

internal.exposeClass(CryptoKey, 'CryptoKey');
})
