// node:crypto, the part bundles for Workers use: createHash, createHmac (any digest OpenSSL
// knows), randomBytes, randomFillSync, randomInt, randomUUID, getRandomValues,
// timingSafeEqual, getHashes, and webcrypto/subtle (the global crypto). Hashing runs on
// OpenSSL (natives_crypto.cc); update() keeps the data it is given until digest(), which hashes
// it all in one native call.
import {Buffer} from 'node:buffer';
import * as natives from 'wsup:node-natives';

function codeError(Type, code, message) {
  const error = new Type(message);
  error.code = code;
  return error;
}

// Bytes of a string (in `encoding`), a Buffer/TypedArray/DataView, or an ArrayBuffer, copied:
// the caller may change its buffer before digest().
function toBytes(data, encoding, what) {
  if (typeof data === 'string') return Buffer.from(data, encoding ?? 'utf8');
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (data instanceof ArrayBuffer) return new Uint8Array(data).slice();
  throw codeError(
      TypeError, 'ERR_INVALID_ARG_TYPE',
      `The "${
          what}" argument must be of type string or an instance of Buffer, TypedArray, or DataView.`);
}

function output(bytes, encoding) {
  const buffer = Buffer.from(bytes);
  return encoding === undefined || encoding === 'buffer' ? buffer : buffer.toString(encoding);
}

class Digester {
  #algorithm;
  #chunks = [];
  #done = false;
  constructor(algorithm) {
    if (typeof algorithm !== 'string')
      throw codeError(
          TypeError, 'ERR_INVALID_ARG_TYPE', 'The "algorithm" argument must be of type string.');
    this.#algorithm = algorithm;
  }
  get algorithm() { return this.#algorithm; }
  update(data, inputEncoding) {
    if (this.#done) throw codeError(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
    this.#chunks.push(toBytes(data, inputEncoding, 'data'));
    return this;
  }
  takeChunks() {
    if (this.#done) throw codeError(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
    this.#done = true;
    const chunks = this.#chunks;
    this.#chunks = [];
    return chunks;
  }
  copyChunks() {
    if (this.#done) throw codeError(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
    return this.#chunks.slice();
  }
}

export class Hash extends Digester {
  constructor(algorithm) {
    super(algorithm);
    if (!natives.hasDigest(algorithm)) throw new Error('Digest method not supported');
  }
  digest(encoding) { return output(natives.digest(this.algorithm, this.takeChunks()), encoding); }
  copy() {
    const copy = new Hash(this.algorithm);
    for (const chunk of this.copyChunks()) copy.update(chunk);
    return copy;
  }
}

export class Hmac extends Digester {
  #key;
  constructor(algorithm, key, options = undefined) {
    super(algorithm);
    if (!natives.hasDigest(algorithm))
      throw codeError(TypeError, 'ERR_CRYPTO_INVALID_DIGEST', `Invalid digest: ${algorithm}`);
    if (key !== null && typeof key === 'object' && typeof key.export === 'function')
      key = key.export();
    this.#key = toBytes(key, options?.encoding, 'key');
  }
  digest(encoding) {
    return output(natives.hmac(this.algorithm, this.#key, this.takeChunks()), encoding);
  }
}

export function createHash(algorithm, options = undefined) { return new Hash(algorithm, options); }

export function createHmac(algorithm, key, options = undefined) {
  return new Hmac(algorithm, key, options);
}

// One-shot crypto.hash(algorithm, data, outputEncoding = 'hex') (Node 21+).
export function hash(algorithm, data, outputEncoding = 'hex') {
  return createHash(algorithm).update(data).digest(outputEncoding);
}

const kMaxRandom = 2 ** 31 - 1;

function checkSize(size) {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > kMaxRandom) {
    throw codeError(
        RangeError, 'ERR_OUT_OF_RANGE',
        `The value of "size" is out of range. It must be >= 0 && <= ${kMaxRandom}. Received ${
            size}`);
  }
}

export function randomFillSync(buffer, offset = 0, size = undefined) {
  if (!ArrayBuffer.isView(buffer) && !(buffer instanceof ArrayBuffer)) {
    throw codeError(
        TypeError, 'ERR_INVALID_ARG_TYPE',
        'The "buf" argument must be an instance of ArrayBuffer or ArrayBufferView.');
  }
  const bytes = ArrayBuffer.isView(buffer) ?
      new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) :
      new Uint8Array(buffer);
  const end = size === undefined ? bytes.length : offset + size;
  if (offset < 0 || end > bytes.length || offset > end) {
    throw codeError(
        RangeError, 'ERR_OUT_OF_RANGE', 'The value of "offset + size" is out of range.');
  }
  natives.randomFill(bytes.subarray(offset, end));
  return buffer;
}

export function randomBytes(size, callback = undefined) {
  checkSize(size);
  const buffer = Buffer.alloc(size);
  natives.randomFill(buffer);
  if (typeof callback === 'function') {
    queueMicrotask(() => callback(null, buffer));
    return undefined;
  }
  return buffer;
}

export function randomFill(buffer, ...args) {
  const callback = args.pop();
  if (typeof callback !== 'function')
    throw codeError(
        TypeError, 'ERR_INVALID_ARG_TYPE', 'The "callback" argument must be of type function.');
  randomFillSync(buffer, ...args);
  queueMicrotask(() => callback(null, buffer));
}

// randomInt([min,] max[, callback]): uniform in [min, max), by rejection sampling.
export function randomInt(min, max = undefined, callback = undefined) {
  if (typeof max === 'function' || max === undefined) [min, max, callback] = [0, min, max];
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min ||
      max - min > 2 ** 48) {
    throw codeError(
        RangeError, 'ERR_OUT_OF_RANGE',
        `The value of "max" is out of range. It must be greater than the value of "min" (${
            min}). Received ${max}`);
  }
  const range = max - min;
  const limit = 2 ** 48 - (2 ** 48 % range);
  const bytes = new Uint8Array(6);
  let value;
  do {
    natives.randomFill(bytes);
    value = bytes.reduce((sum, byte) => sum * 256 + byte, 0);
  } while (value >= limit);
  const result = min + (value % range);
  if (typeof callback === 'function') {
    queueMicrotask(() => callback(null, result));
    return undefined;
  }
  return result;
}

export function timingSafeEqual(a, b) {
  if (!ArrayBuffer.isView(a) && !(a instanceof ArrayBuffer) ||
      !ArrayBuffer.isView(b) && !(b instanceof ArrayBuffer)) {
    throw codeError(
        TypeError, 'ERR_INVALID_ARG_TYPE',
        'The "buf1" and "buf2" arguments must be instances of ArrayBuffer, Buffer, TypedArray, or DataView.');
  }
  const x = ArrayBuffer.isView(a) ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength) :
                                    new Uint8Array(a);
  const y = ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) :
                                    new Uint8Array(b);
  if (x.byteLength !== y.byteLength) {
    throw codeError(
        RangeError, 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH',
        'Input buffers must have the same byte length');
  }
  return natives.timingSafeEqual(x, y);
}

export function getHashes() { return natives.digestNames(); }

export function randomUUID() { return globalThis.crypto.randomUUID(); }

export function getRandomValues(array) { return globalThis.crypto.getRandomValues(array); }

export const webcrypto = globalThis.crypto;
export const subtle = globalThis.crypto.subtle;

export default {
  Hash,
  Hmac,
  createHash,
  createHmac,
  getHashes,
  getRandomValues,
  hash,
  randomBytes,
  randomFill,
  randomFillSync,
  randomInt,
  randomUUID,
  subtle,
  timingSafeEqual,
  webcrypto,
};
