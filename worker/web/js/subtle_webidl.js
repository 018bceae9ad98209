// What the SubtleCrypto files share, on internal.webCrypto: WebIDL conversions of their
// arguments (BufferSource, [EnforceRange] integers, the KeyFormat and KeyUsage enums), the
// WebCrypto "normalize an algorithm" steps with each operation's registered algorithms and
// their parameter dictionaries, and the DOMExceptions WebCrypto throws (natives throw Errors
// named after them: toWebCryptoError turns those into the real thing).
(function(global, natives, internal) {
'use strict';

function domError(name, message) { return new internal.DOMException(message, name); }
const errors = {
  notSupported: (message) => domError('NotSupportedError', message),
  invalidAccess: (message) => domError('InvalidAccessError', message),
  data: (message) => domError('DataError', message),
  operation: (message) => domError('OperationError', message),
  syntax: (message) => domError('SyntaxError', message),
};
const kNativeErrorNames =
    new Set(['OperationError', 'DataError', 'NotSupportedError', 'InvalidAccessError']);
// A native's Error named after a DOMException becomes that DOMException; anything else stays.
function toWebCryptoError(error) {
  if (error instanceof Error && !(error instanceof internal.DOMException) &&
      kNativeErrorNames.has(error.name)) {
    return domError(error.name, error.message);
  }
  return error;
}

function toDOMString(value) { return typeof value === 'string' ? value : `${value}`; }

// ArrayBuffer.prototype.byteLength throws on anything but an ArrayBuffer (SharedArrayBuffer
// included): a brand check that no prototype trick fools.
const arrayBufferByteLength =
    Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
const typedArrayTag =
    Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)
        .get;
function isArrayBuffer(value) {
  try {
    arrayBufferByteLength.call(value);
    return true;
  } catch {
    return false;
  }
}
function isBufferSource(value) { return ArrayBuffer.isView(value) || isArrayBuffer(value); }

// BufferSource -> a view on its bytes (no copy), or TypeError.
function bufferSource(value, what) {
  if (ArrayBuffer.isView(value)) return value;
  if (isArrayBuffer(value)) return new Uint8Array(value);
  throw new TypeError(`${what} must be an ArrayBuffer or an ArrayBufferView`);
}
// BufferSource -> a Uint8Array copy of its bytes ("get a copy of the bytes held by").
function copyBufferSource(value, what) {
  const view = bufferSource(value, what);
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
}

// WebIDL [EnforceRange] conversion to an unsigned integer type with maximum `max`.
function enforceRange(value, max, what) {
  const number = Number(value);  // TypeError for Symbol and BigInt, as WebIDL wants
  if (!Number.isFinite(number)) throw new TypeError(`${what} must be a finite number`);
  const integer = Math.trunc(number);
  if (integer < 0 || integer > max) throw new TypeError(`${what} is out of range`);
  return integer + 0;  // -0 -> 0
}
// WebIDL unsigned long without [EnforceRange]: ToNumber, then modulo 2^32.
function toUnsignedLong(value) {
  const number = Number(value);
  if (!Number.isFinite(number)) return 0;
  return Math.trunc(number) >>> 0;
}

const kFormats = new Set(['raw', 'spki', 'pkcs8', 'jwk']);
function keyFormat(value) {
  const format = toDOMString(value);
  if (!kFormats.has(format)) throw new TypeError(`'${format}' is not a valid KeyFormat`);
  return format;
}

// KeyUsage values in the order WebCrypto lists them (and keys report them).
const kUsageOrder = [
  'encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'
];
// sequence<KeyUsage> -> the usages, deduplicated, in kUsageOrder.
function keyUsages(value) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') ||
      typeof value[Symbol.iterator] !== 'function') {
    throw new TypeError('keyUsages must be a sequence of KeyUsage values');
  }
  const seen = new Set();
  for (const item of value) {
    const usage = toDOMString(item);
    if (!kUsageOrder.includes(usage)) throw new TypeError(`'${usage}' is not a valid KeyUsage`);
    seen.add(usage);
  }
  return kUsageOrder.filter((usage) => seen.has(usage));
}

// ---- algorithm normalization ----------------------------------------------------------------
// Member converters of the algorithm dictionaries.
const convert = {
  hash: (value) => normalizeAlgorithm(value, 'digest'),
  bytes: (value, member) => copyBufferSource(value, `The '${member}' member`),
  octet: (value, member) => enforceRange(value, 0xff, `The '${member}' member`),
  ushort: (value, member) => enforceRange(value, 0xffff, `The '${member}' member`),
  ulong: (value, member) => enforceRange(value, 0xffffffff, `The '${member}' member`),
  string: (value) => toDOMString(value),
  // BigInteger is a Uint8Array, exactly.
  bigInteger: (value, member) => {
    if (!ArrayBuffer.isView(value) || typedArrayTag.call(value) !== 'Uint8Array')
      throw new TypeError(`The '${member}' member must be a Uint8Array`);
    return value.slice();
  },
  key: (value, member) => {
    if (!internal.webCrypto.isCryptoKey(value))
      throw new TypeError(`The '${member}' member must be a CryptoKey`);
    return value;
  },
};

// Dictionaries as [member, converter, required], inherited members first, then by name (the
// order WebIDL reads them in).
const A = [];
const kHashed = [['hash', 'hash', true]];
const kDictionaries = {
  RsaHashedKeyGenParams:
      [['modulusLength', 'ulong', true], ['publicExponent', 'bigInteger', true], ...kHashed],
  RsaHashedImportParams: kHashed,
  RsaPssParams: [['saltLength', 'ulong', true]],
  RsaOaepParams: [['label', 'bytes', false]],
  EcKeyParams: [['namedCurve', 'string', true]],
  EcdsaParams: kHashed,
  EcdhKeyDeriveParams: [['public', 'key', true]],
  AesLengthParams: [['length', 'ushort', true]],
  AesCbcParams: [['iv', 'bytes', true]],
  AesCtrParams: [['counter', 'bytes', true], ['length', 'octet', true]],
  AesGcmParams:
      [['additionalData', 'bytes', false], ['iv', 'bytes', true], ['tagLength', 'octet', false]],
  HmacParams: [...kHashed, ['length', 'ulong', false]],
  Pbkdf2Params: [...kHashed, ['iterations', 'ulong', true], ['salt', 'bytes', true]],
  HkdfParams: [...kHashed, ['info', 'bytes', true], ['salt', 'bytes', true]],
};
const D = kDictionaries;
const kRsa = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'RSA-OAEP'];
const kAes = ['AES-CTR', 'AES-CBC', 'AES-GCM', 'AES-KW'];
function each(names, dictionary) { return names.map((name) => [name, dictionary]); }
// The registered algorithms of each operation, with the dictionary of its parameters.
const kOperations = {
  digest: each(['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'], A),
  sign: [
    ['HMAC', A], ['RSASSA-PKCS1-v1_5', A], ['RSA-PSS', D.RsaPssParams], ['ECDSA', D.EcdsaParams],
    ['Ed25519', A]
  ],
  encrypt: [
    ['RSA-OAEP', D.RsaOaepParams], ['AES-CTR', D.AesCtrParams], ['AES-CBC', D.AesCbcParams],
    ['AES-GCM', D.AesGcmParams]
  ],
  generateKey: [
    ...each(kRsa, D.RsaHashedKeyGenParams), ...each(['ECDSA', 'ECDH'], D.EcKeyParams),
    ...each(kAes, D.AesLengthParams), ['HMAC', D.HmacParams], ...each(['Ed25519', 'X25519'], A)
  ],
  importKey: [
    ...each(kRsa, D.RsaHashedImportParams), ...each(['ECDSA', 'ECDH'], D.EcKeyParams),
    ...each(kAes, A), ['HMAC', D.HmacParams], ...each(['PBKDF2', 'HKDF', 'Ed25519', 'X25519'], A)
  ],
  deriveBits: [
    ...each(['ECDH', 'X25519'], D.EcdhKeyDeriveParams), ['HKDF', D.HkdfParams],
    ['PBKDF2', D.Pbkdf2Params]
  ],
  getKeyLength: [
    ...each(['AES-CTR', 'AES-CBC', 'AES-GCM', 'AES-KW'], D.AesLengthParams), ['HMAC', D.HmacParams],
    ...each(['HKDF', 'PBKDF2'], A)
  ],
  wrapKey: [['AES-KW', A]],
};
kOperations.verify = kOperations.sign;
kOperations.decrypt = kOperations.encrypt;
kOperations.unwrapKey = kOperations.wrapKey;
// Per operation: ASCII-uppercased name -> [registered name, dictionary].
const kRegistry = {__proto__: null};
for (const [operation, entries] of Object.entries(kOperations)) {
  kRegistry[operation] = new Map(entries.map((entry) => [entry[0].toUpperCase(), entry]));
}

function asciiUpper(text) {
  return /^[\x00-\x7f]*$/.test(text) ? text.toUpperCase() : null;  // no Unicode case folding
}

// WebCrypto's "normalize an algorithm": (object or DOMString) -> a fresh object with the
// registered name and the converted members of the operation's dictionary for it.
function normalizeAlgorithm(algorithm, operation) {
  if (algorithm === null || (typeof algorithm !== 'object' && typeof algorithm !== 'function'))
    return normalizeAlgorithm({name: toDOMString(algorithm)}, operation);
  const rawName = algorithm.name;
  if (rawName === undefined)
    throw new TypeError('The algorithm must have a \'name\' member');
  const name = toDOMString(rawName);
  const entry = kRegistry[operation].get(asciiUpper(name));
  if (entry === undefined)
    throw errors.notSupported(`Unrecognized algorithm name for ${operation}: '${name}'`);
  const [registeredName, dictionary] = entry;
  const normalized = {name: registeredName};
  for (const [member, converter, required] of dictionary) {
    const value = algorithm[member];
    if (value === undefined) {
      if (required) {
        throw new TypeError(`${registeredName}: the algorithm's '${member}' member is required`);
      }
      continue;
    }
    normalized[member] = convert[converter](value, member);
  }
  return normalized;
}

// The bounds wsup puts on inputs whose cost is otherwise unbounded: every call runs on the
// worker's one thread, and a request's CPU limit (50 ms by default) cannot interrupt native code.
// The costs are CPU time on the 2-core development VM (worker/web/README.md, "Bounded cost").
const limits = {
  // Cloudflare's cap: one 32-byte PBKDF2-SHA-256 derivation at this count takes ~26 ms.
  pbkdf2Iterations: 100000,
  // iterations x output blocks: a derivation costs at most twice the one above.
  pbkdf2Work: 200000,
  // RSA key generation (a random prime search): ~210 ms on average at 2048 bits, 1.3 s at 4096.
  // 2048 is what JWT libraries generate by default; it already outlasts the default CPU limit.
  rsaGenerateBits: 2048,
  // RSA keys imported: a private-key operation takes ~35 ms at 8192 bits, ~300 at 16384.
  rsaImportBits: 8192,
  rsaMinimumBits: 256,
};

internal.webCrypto = {
  errors,
  toWebCryptoError,
  toDOMString,
  isBufferSource,
  bufferSource,
  copyBufferSource,
  enforceRange,
  toUnsignedLong,
  keyFormat,
  keyUsages,
  normalizeAlgorithm,
  limits,
  isCryptoKey: null,  // set by crypto_key.js
};
})
