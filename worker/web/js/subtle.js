// SubtleCrypto (W3C WebCrypto) and Workers' timingSafeEqual extension. Every method returns a
// promise (settled by the time the call returns: the work is synchronous, on the worker's
// thread, and bounded by internal.webCrypto.limits) and rejects instead of throwing, WebIDL's
// argument errors included. The constructor is illegal; the one instance is internal.subtle,
// which crypto.js hands out as crypto.subtle.
(function(global, natives, internal) {
'use strict';
const webCrypto = internal.webCrypto;
const {errors, keyKinds, limits, normalizeAlgorithm, isCryptoKey, keyHandle, keyAlgorithm} =
    webCrypto;
const {
  digest, hmacSign, hmacVerify, sign, verify, aesGcm, aesCbc, aesCtr, aesKw, rsaOaep, pbkdf2,
  hkdf, deriveShared, timingSafeEqual, utf8Encode, utf8Decode
} = natives;
const kToken = Symbol('SubtleCrypto');  // guards the constructor; never exposed

// ---- checks shared by the operations --------------------------------------------------------
function requireArguments(count, needed, method) {
  if (count < needed) {
    throw new TypeError(`SubtleCrypto.${method}: ${needed} arguments required, but only ${
        count} present`);
  }
}
function requireKey(value, what) {
  if (!isCryptoKey(value)) throw new TypeError(`${what} must be a CryptoKey`);
  return value;
}
// An algorithm argument is an object or a DOMString (WebIDL's union conversion).
function algorithmArgument(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') ?
      value :
      webCrypto.toDOMString(value);
}
// The operation's algorithm must be the key's, and the key must allow the usage.
function checkKeyFor(normalized, key, usage) {
  if (normalized.name !== keyAlgorithm(key).name) {
    throw errors.invalidAccess(
        `The key is a ${keyAlgorithm(key).name} key, not a ${normalized.name} one`);
  }
  if (!webCrypto.keyUsagesOf(key).includes(usage))
    throw errors.invalidAccess(`The key's usages do not include '${usage}'`);
}
function requireType(key, type, operation) {
  if (webCrypto.keyType(key) !== type)
    throw errors.invalidAccess(`${operation} needs a ${type} key`);
}
// The data argument's bytes: a copy when user getters on the algorithm could still change them
// (WebCrypto copies the data before normalizing the algorithm).
function dataBytes(data, algorithm, what) {
  return typeof algorithm === 'string' ? webCrypto.bufferSource(data, what) :
                                         webCrypto.copyBufferSource(data, what);
}

// ---- the algorithms' operations -------------------------------------------------------------
function signWith(algorithm, key, data) {
  const hash = keyAlgorithm(key).hash?.name;
  if (algorithm.name === 'HMAC') return hmacSign(hash, keyHandle(key), data);
  requireType(key, 'private', `${algorithm.name} signing`);
  return sign(algorithm.name, keyHandle(key), algorithm.hash?.name ?? hash, data,
              algorithm.saltLength);
}
function verifyWith(algorithm, key, signature, data) {
  const hash = keyAlgorithm(key).hash?.name;
  if (algorithm.name === 'HMAC') return hmacVerify(hash, keyHandle(key), signature, data);
  requireType(key, 'public', `${algorithm.name} verification`);
  return verify(algorithm.name, keyHandle(key), algorithm.hash?.name ?? hash, signature, data,
                algorithm.saltLength);
}

const kGcmTagLengths = [32, 64, 96, 104, 112, 120, 128];
function cipherWith(encrypting, algorithm, key, data) {
  const handle = keyHandle(key);
  switch (algorithm.name) {
    case 'AES-CBC':
      if (algorithm.iv.byteLength !== 16) throw errors.operation('AES-CBC: iv must be 16 bytes');
      return aesCbc(encrypting, handle, algorithm.iv, data);
    case 'AES-CTR':
      if (algorithm.counter.byteLength !== 16)
        throw errors.operation('AES-CTR: counter must be 16 bytes');
      if (algorithm.length === 0 || algorithm.length > 128)
        throw errors.operation('AES-CTR: length must be between 1 and 128');
      return aesCtr(handle, algorithm.counter, algorithm.length, data);
    case 'AES-GCM': {
      const tagLength = algorithm.tagLength ?? 128;
      if (!kGcmTagLengths.includes(tagLength))
        throw errors.operation(`AES-GCM: ${tagLength} is not a valid tagLength`);
      if (algorithm.iv.byteLength === 0) throw errors.operation('AES-GCM: iv must not be empty');
      return aesGcm(encrypting, handle, algorithm.iv, data, algorithm.additionalData,
                    tagLength / 8);
    }
    case 'RSA-OAEP':
      requireType(key, encrypting ? 'public' : 'private',
                  `RSA-OAEP ${encrypting ? 'encryption' : 'decryption'}`);
      return rsaOaep(encrypting, handle, keyAlgorithm(key).hash.name, algorithm.label, data);
  }
  throw errors.notSupported(`${algorithm.name} cannot encrypt`);
}

const kHashBytes = {'SHA-1': 20, 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64};
// deriveBits' steps per algorithm; `length` is a number of bits or null.
function deriveBitsWith(algorithm, key, length) {
  const handle = keyHandle(key);
  switch (algorithm.name) {
    case 'PBKDF2':
    case 'HKDF': {
      if (length === null || length % 8 !== 0)
        throw errors.operation(`${algorithm.name}: length must be a multiple of 8`);
      const hash = algorithm.hash.name;
      if (algorithm.name === 'HKDF') {
        if (length > 255 * kHashBytes[hash] * 8)
          throw errors.operation('HKDF: length is above 255 times the hash\'s');
        return hkdf(hash, handle, algorithm.salt, algorithm.info, length / 8);
      }
      const {iterations} = algorithm;
      if (iterations === 0) throw errors.operation('PBKDF2: iterations must not be zero');
      if (iterations > limits.pbkdf2Iterations) {
        throw errors.notSupported(`PBKDF2: iteration counts above ${
            limits.pbkdf2Iterations} are not supported (requested ${iterations})`);
      }
      if (iterations * Math.ceil(length / 8 / kHashBytes[hash]) > limits.pbkdf2Work) {
        throw errors.notSupported(`PBKDF2: ${length} bits at ${
            iterations} iterations would outlast a request's CPU limit`);
      }
      return pbkdf2(hash, handle, algorithm.salt, iterations, length / 8);
    }
    case 'ECDH':
    case 'X25519': {
      const peer = algorithm.public;
      requireType(key, 'private', `${algorithm.name} key derivation`);
      if (webCrypto.keyType(peer) !== 'public')
        throw errors.invalidAccess('The \'public\' member must be a public key');
      const peerAlgorithm = keyAlgorithm(peer);
      if (peerAlgorithm.name !== algorithm.name ||
          peerAlgorithm.namedCurve !== keyAlgorithm(key).namedCurve) {
        throw errors.invalidAccess('The \'public\' key is not of the base key\'s algorithm');
      }
      const secret = deriveShared(handle, keyHandle(peer));
      if (length === null) return secret;
      if (length > secret.byteLength * 8)
        throw errors.operation(`${algorithm.name}: length is above the shared secret's`);
      const bits = new Uint8Array(secret, 0, Math.ceil(length / 8)).slice();
      if (length % 8 !== 0) bits[bits.length - 1] &= (0xff << (8 - (length % 8))) & 0xff;
      return bits.buffer;
    }
  }
  throw errors.notSupported(`${algorithm.name} cannot derive bits`);
}

// importKey's steps after the arguments are converted.
function importKeyWith(format, keyData, algorithm, extractable, usages) {
  const key = keyKinds[algorithm.name].importKey(format, keyData, algorithm, extractable, usages);
  if (key.type !== 'public' && usages.length === 0)
    throw errors.syntax('A secret or private key needs at least one usage');
  return key;
}
function exportKeyWith(format, key) {
  const kind = keyKinds[keyAlgorithm(key).name];
  if (kind.exportKey === undefined)
    throw errors.notSupported(`${keyAlgorithm(key).name} keys cannot be exported`);
  if (!webCrypto.keyExtractable(key)) throw errors.invalidAccess('The key is not extractable');
  return kind.exportKey(format, key);
}
// wrapKey and unwrapKey use the algorithm's own wrap operation, or else encrypt/decrypt.
function normalizeWrapAlgorithm(algorithm, operation, fallback) {
  try {
    return normalizeAlgorithm(algorithm, operation);
  } catch (error) {
    if (!(error instanceof internal.DOMException) || error.name !== 'NotSupportedError') throw error;
    return normalizeAlgorithm(algorithm, fallback);
  }
}
function parseJwk(bytes) {
  let value;
  try {
    value = JSON.parse(utf8Decode(bytes, false, false));
  } catch {
    throw errors.data('The unwrapped key is not a JSON Web Key');
  }
  return webCrypto.keyDataFor('jwk', value);
}

// ---- SubtleCrypto ---------------------------------------------------------------------------
// Runs a method's steps: their result, or their exception, as a promise.
function settle(steps) {
  try {
    return Promise.resolve(steps());
  } catch (error) {
    return Promise.reject(webCrypto.toWebCryptoError(error));
  }
}

class SubtleCrypto {
  #brand;
  constructor(token) {
    if (token !== kToken) throw new TypeError('Illegal constructor');
    this.#brand = true;
  }
  static #check(self, count, needed, method) {
    if (self === null || typeof self !== 'object' || !(#brand in self))
      throw new TypeError('Illegal invocation');
    requireArguments(count, needed, method);
  }

  digest(algorithm, data) {
    return settle(() => {
      SubtleCrypto.#check(this, arguments.length, 2, 'digest');
      algorithm = algorithmArgument(algorithm);
      const bytes = dataBytes(data, algorithm, 'data');
      return digest(normalizeAlgorithm(algorithm, 'digest').name, bytes);
    });
  }

  // encrypt and decrypt: the same steps, one operation name apart.
  static #cipher(self, count, operation, algorithm, key, data) {
    return settle(() => {
      SubtleCrypto.#check(self, count, 3, operation);
      algorithm = algorithmArgument(algorithm);
      requireKey(key, 'key');
      const bytes = dataBytes(data, algorithm, 'data');
      const normalized = normalizeAlgorithm(algorithm, operation);
      checkKeyFor(normalized, key, operation);
      return cipherWith(operation === 'encrypt', normalized, key, bytes);
    });
  }
  encrypt(algorithm, key, data) {
    return SubtleCrypto.#cipher(this, arguments.length, 'encrypt', algorithm, key, data);
  }
  decrypt(algorithm, key, data) {
    return SubtleCrypto.#cipher(this, arguments.length, 'decrypt', algorithm, key, data);
  }

  sign(algorithm, key, data) {
    return settle(() => {
      SubtleCrypto.#check(this, arguments.length, 3, 'sign');
      algorithm = algorithmArgument(algorithm);
      requireKey(key, 'key');
      const bytes = dataBytes(data, algorithm, 'data');
      const normalized = normalizeAlgorithm(algorithm, 'sign');
      checkKeyFor(normalized, key, 'sign');
      return signWith(normalized, key, bytes);
    });
  }

  verify(algorithm, key, signature, data) {
    return settle(() => {
      SubtleCrypto.#check(this, arguments.length, 4, 'verify');
      algorithm = algorithmArgument(algorithm);
      requireKey(key, 'key');
      const signatureBytes = dataBytes(signature, algorithm, 'signature');
      const bytes = dataBytes(data, algorithm, 'data');
      const normalized = normalizeAlgorithm(algorithm, 'verify');
      checkKeyFor(normalized, key, 'verify');
      return verifyWith(normalized, key, signatureBytes, bytes);
    });
  }

  generateKey(algorithm, extractable, keyUsages) {
    return settle(() => {
      SubtleCrypto.#check(this, arguments.length, 3, 'generateKey');
      algorithm = algorithmArgument(algorithm);
      const usages = webCrypto.keyUsages(keyUsages);
      const normalized = normalizeAlgorithm(algorithm, 'generateKey');
      const result = keyKinds[normalized.name].generateKey(normalized, Boolean(extractable), usages);
      const unusable = isCryptoKey(result) ? result.type === 'secret' && usages.length === 0 :
                                             result.privateKey.usages.length === 0;
      if (unusable) throw errors.syntax('The generated key would have no usages');
      return result;
    });
  }

  deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
    return settle(() => {
      SubtleCrypto.#check(this, arguments.length, 5, 'deriveKey');
      algorithm = algorithmArgument(algorithm);
      requireKey(baseKey, 'baseKey');
      derivedKeyType = algorithmArgument(derivedKeyType);
      const usages = webCrypto.keyUsages(keyUsages);
      const normalized = normalizeAlgorithm(algorithm, 'deriveBits');
      const importAlgorithm = normalizeAlgorithm(derivedKeyType, 'importKey');
      const lengthAlgorithm = normalizeAlgorithm(derivedKeyType, 'getKeyLength');
      checkKeyFor(normalized, baseKey, 'deriveKey');
      const length = keyKinds[lengthAlgorithm.name].keyLength(lengthAlgorithm);
      const secret = deriveBitsWith(normalized, baseKey, length);
      return importKeyWith('raw', new Uint8Array(secret), importAlgorithm, Boolean(extractable),
                           usages);
    });
  }

  deriveBits(algorithm, baseKey, length = null) {
    return settle(() => {
      SubtleCrypto.#check(this, arguments.length, 2, 'deriveBits');
      algorithm = algorithmArgument(algorithm);
      requireKey(baseKey, 'baseKey');
      const bits = length === null || length === undefined ? null : webCrypto.toUnsignedLong(length);
      const normalized = normalizeAlgorithm(algorithm, 'deriveBits');
      checkKeyFor(normalized, baseKey, 'deriveBits');
      return deriveBitsWith(normalized, baseKey, bits);
    });
  }

  importKey(format, keyData, algorithm, extractable, keyUsages) {
    return settle(() => {
      SubtleCrypto.#check(this, arguments.length, 5, 'importKey');
      format = webCrypto.keyFormat(format);
      const data = webCrypto.keyDataFor(format, keyData);
      algorithm = algorithmArgument(algorithm);
      const usages = webCrypto.keyUsages(keyUsages);
      const normalized = normalizeAlgorithm(algorithm, 'importKey');
      return importKeyWith(format, data, normalized, Boolean(extractable), usages);
    });
  }

  exportKey(format, key) {
    return settle(() => {
      SubtleCrypto.#check(this, arguments.length, 2, 'exportKey');
      format = webCrypto.keyFormat(format);
      return exportKeyWith(format, requireKey(key, 'key'));
    });
  }

  wrapKey(format, key, wrappingKey, wrapAlgorithm) {
    return settle(() => {
      SubtleCrypto.#check(this, arguments.length, 4, 'wrapKey');
      format = webCrypto.keyFormat(format);
      requireKey(key, 'key');
      requireKey(wrappingKey, 'wrappingKey');
      wrapAlgorithm = algorithmArgument(wrapAlgorithm);
      const normalized = normalizeWrapAlgorithm(wrapAlgorithm, 'wrapKey', 'encrypt');
      checkKeyFor(normalized, wrappingKey, 'wrapKey');
      const exported = exportKeyWith(format, key);
      const bytes = format === 'jwk' ? utf8Encode(JSON.stringify(exported)) : exported;
      if (normalized.name === 'AES-KW') return aesKw(true, keyHandle(wrappingKey), bytes);
      return cipherWith(true, normalized, wrappingKey, bytes);
    });
  }

  unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm,
            extractable, keyUsages) {
    return settle(() => {
      SubtleCrypto.#check(this, arguments.length, 7, 'unwrapKey');
      format = webCrypto.keyFormat(format);
      const wrapped = webCrypto.copyBufferSource(wrappedKey, 'wrappedKey');
      requireKey(unwrappingKey, 'unwrappingKey');
      unwrapAlgorithm = algorithmArgument(unwrapAlgorithm);
      unwrappedKeyAlgorithm = algorithmArgument(unwrappedKeyAlgorithm);
      const usages = webCrypto.keyUsages(keyUsages);
      const normalized = normalizeWrapAlgorithm(unwrapAlgorithm, 'unwrapKey', 'decrypt');
      const importAlgorithm = normalizeAlgorithm(unwrappedKeyAlgorithm, 'importKey');
      checkKeyFor(normalized, unwrappingKey, 'unwrapKey');
      const bytes = new Uint8Array(normalized.name === 'AES-KW' ?
                                       aesKw(false, keyHandle(unwrappingKey), wrapped) :
                                       cipherWith(false, normalized, unwrappingKey, wrapped));
      const keyData = format === 'jwk' ? parseJwk(bytes) : bytes;
      return importKeyWith(format, keyData, importAlgorithm, Boolean(extractable), usages);
    });
  }

  // Workers' extension: whether two buffers hold the same bytes, in time independent of where
  // they differ. Synchronous; a TypeError when their lengths differ.
  timingSafeEqual(a, b) {
    SubtleCrypto.#check(this, arguments.length, 2, 'timingSafeEqual');
    const first = webCrypto.bufferSource(a, 'The first argument');
    const second = webCrypto.bufferSource(b, 'The second argument');
    if (first.byteLength !== second.byteLength)
      throw new TypeError('timingSafeEqual: the two buffers must have the same byte length');
    return timingSafeEqual(first, second);
  }
}
// WebIDL operations are enumerable.
for (const name of Object.getOwnPropertyNames(SubtleCrypto.prototype)) {
  if (name === 'constructor') continue;
  const descriptor = Object.getOwnPropertyDescriptor(SubtleCrypto.prototype, name);
  Object.defineProperty(SubtleCrypto.prototype, name, {...descriptor, enumerable: true});
}

internal.exposeClass(SubtleCrypto, 'SubtleCrypto');
internal.exportInternal('subtle', new SubtleCrypto(kToken));
})
