// node:buffer: the `buffer` npm package (feross/buffer, pinned in third_party/npm-packages.txt)
// as an ES module, plus what Node's Buffer does and buffer@6 does not: the 'base64url' encoding
// (decoded as base64, whose decoder there takes '-' and '_' too, and encoded by rewriting
// base64's output), and equals() taking any Uint8Array.
const buffer = __wsupRequire('buffer');
const {Buffer, SlowBuffer, INSPECT_MAX_BYTES, kMaxLength} = buffer;

const isBase64Url = (encoding) =>
    typeof encoding === 'string' && encoding.toLowerCase() === 'base64url';
const toBase64Url = (base64) => base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

const originalFrom = Buffer.from;
Buffer.from = function from(value, encodingOrOffset, length) {
  if (typeof value === 'string' && isBase64Url(encodingOrOffset)) encodingOrOffset = 'base64';
  return originalFrom.call(this, value, encodingOrOffset, length);
};
const originalByteLength = Buffer.byteLength;
Buffer.byteLength = function byteLength(string, encoding) {
  return originalByteLength.call(this, string, isBase64Url(encoding) ? 'base64' : encoding);
};
const originalIsEncoding = Buffer.isEncoding;
Buffer.isEncoding = function isEncoding(encoding) {
  return isBase64Url(encoding) || originalIsEncoding.call(this, encoding);
};
const originalToString = Buffer.prototype.toString;
Buffer.prototype.toString = function toString(encoding, start, end) {
  if (!isBase64Url(encoding)) return originalToString.apply(this, arguments);
  return toBase64Url(originalToString.call(this, 'base64', start, end));
};
const originalWrite = Buffer.prototype.write;
Buffer.prototype.write = function write(string, offset, length, encoding) {
  const args = Array.from(arguments);
  const last = args.length - 1;
  if (last > 0 && isBase64Url(args[last])) args[last] = 'base64';
  return originalWrite.apply(this, args);
};

const originalEquals = Buffer.prototype.equals;
Buffer.prototype.equals = function equals(other) {
  if (other instanceof Uint8Array && !Buffer.isBuffer(other)) {
    other = Buffer.from(other.buffer, other.byteOffset, other.byteLength);
  }
  return originalEquals.call(this, other);
};

const kStringMaxLength = (1 << 29) - 24;  // V8's String::kMaxLength on 64-bit
const constants = Object.freeze({MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength});
const atob = globalThis.atob;
const btoa = globalThis.btoa;

export {Buffer, SlowBuffer, INSPECT_MAX_BYTES, kMaxLength, kStringMaxLength, constants, atob, btoa};
export default {
  Buffer,
  SlowBuffer,
  INSPECT_MAX_BYTES,
  kMaxLength,
  kStringMaxLength,
  constants,
  atob,
  btoa,
};
