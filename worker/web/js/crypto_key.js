// CryptoKey (W3C WebCrypto): type, extractable, algorithm and usages, read-only; the
// constructor is illegal. Its key material is a native handle (crypto_support.h) in a private
// field, reachable only through internal.webCrypto.keyHandle: user code can neither read it nor
// forge a key, and `instanceof CryptoKey` holds for every key SubtleCrypto returns.
(function(global, natives, internal) {
'use strict';
const webCrypto = internal.webCrypto;
const kToken = Symbol('CryptoKey');  // guards the constructor; never exposed

// The KeyAlgorithm dictionaries keys report: a fresh copy for user code, whose changes to it
// reach nothing inside.
function copyAlgorithm(algorithm) {
  const copy = {...algorithm};
  if (algorithm.hash !== undefined) copy.hash = {name: algorithm.hash.name};
  if (algorithm.publicExponent !== undefined) copy.publicExponent = algorithm.publicExponent.slice();
  return copy;
}

class CryptoKey {
  #type;
  #extractable;
  #algorithm;  // {name, ...}: what the operations read; never handed out
  #usages;     // frozen, in WebCrypto's order
  #handle;
  #algorithmView = undefined;  // what `algorithm` returns: the same object every time
  #usagesView = undefined;

  constructor(token, type, extractable, algorithm, usages, handle) {
    if (token !== kToken) throw new TypeError('Illegal constructor');
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
    webCrypto.isCryptoKey = (value) =>
        value !== null && (typeof value === 'object' || typeof value === 'function') &&
        #handle in value;
    webCrypto.newCryptoKey = (type, extractable, algorithm, usages, handle) =>
        new CryptoKey(kToken, type, extractable, algorithm, usages, handle);
    webCrypto.keyHandle = (key) => key.#handle;
    webCrypto.keyAlgorithm = (key) => key.#algorithm;
    webCrypto.keyUsagesOf = (key) => key.#usages;
    webCrypto.keyType = (key) => key.#type;
    webCrypto.keyExtractable = (key) => key.#extractable;
  }
}
// WebIDL attributes are enumerable accessors on the prototype.
for (const name of ['type', 'extractable', 'algorithm', 'usages']) {
  const descriptor = Object.getOwnPropertyDescriptor(CryptoKey.prototype, name);
  Object.defineProperty(CryptoKey.prototype, name, {...descriptor, enumerable: true});
}

internal.exposeClass(CryptoKey, 'CryptoKey');
})
