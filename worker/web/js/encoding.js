// TextEncoder, TextDecoder (WHATWG Encoding: UTF-8 and the legacy single-byte encodings),
// atob and btoa (HTML, forgiving-base64).
(function(global, natives, internal) {
'use strict';
const {utf8Encode, utf8EncodeInto, utf8Decode, singleByteEncoding, singleByteDecode} = natives;
const nativeAtob = natives.atob;
const nativeBtoa = natives.btoa;

class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(input = '') { return utf8Encode(String(input)); }
  encodeInto(source, destination) {
    if (!(destination instanceof Uint8Array)) {
      throw new TypeError('The \'destination\' argument must be a Uint8Array.');
    }
    const result = {read: 0, written: 0};
    utf8EncodeInto(String(source), destination, result);
    return result;
  }
}

// The labels of the Encoding Standard that name UTF-8.
const kUtf8Labels = new Set(
    ['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8']);

function toBytes(input) {
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input))
    return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (typeof SharedArrayBuffer === 'function' && input instanceof SharedArrayBuffer)
    return new Uint8Array(input);
  throw new TypeError('The \'input\' argument must be an ArrayBuffer or ArrayBufferView.');
}

class TextDecoder {
  #encoding;  // 'utf-8', or the name of a single-byte encoding (natives_encoding.cc)
  #fatal;
  #ignoreBOM;
  #pending = null;   // bytes of an incomplete sequence held from the last streaming call
  #bomSeen = false;  // whether the start of the stream has been passed

  constructor(label = 'utf-8', options = undefined) {
    // Labels are matched after stripping ASCII whitespace, ASCII case-insensitively.
    const normalized = String(label)
                           .replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '')
                           .replace(/[A-Z]/g, (c) => c.toLowerCase());
    this.#encoding = kUtf8Labels.has(normalized) ? 'utf-8' : singleByteEncoding(normalized);
    if (this.#encoding === undefined) {
      throw new RangeError(`The "${label}" encoding is not supported`);
    }
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
  }
  get encoding() { return this.#encoding; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }

  decode(input = undefined, options = undefined) {
    const stream = Boolean(options?.stream);
    let bytes = input === undefined ? new Uint8Array(0) : toBytes(input);
    if (this.#encoding !== 'utf-8') {
      // One byte per character: nothing is ever held between streaming calls, and no BOM.
      const text = singleByteDecode(this.#encoding, bytes, this.#fatal);
      if (text === undefined) {
        throw new TypeError(`The encoded data was not valid for encoding ${this.#encoding}`);
      }
      return text;
    }
    if (this.#pending !== null) {
      const joined = new Uint8Array(this.#pending.length + bytes.length);
      joined.set(this.#pending);
      joined.set(bytes, this.#pending.length);
      bytes = joined;
      this.#pending = null;
    }
    let text;
    try {
      if (stream) {
        const [decoded, consumed] = utf8Decode(bytes, this.#fatal, true);
        // Copy: the caller may reuse its buffer before the next call.
        if (consumed < bytes.length) this.#pending = bytes.slice(consumed);
        text = decoded;
      } else {
        text = utf8Decode(bytes, this.#fatal, false);
      }
    } catch (error) {
      this.#reset();
      throw error;
    }
    if (!this.#bomSeen && text.length > 0) {
      this.#bomSeen = true;
      if (!this.#ignoreBOM && text.charCodeAt(0) === 0xFEFF) text = text.slice(1);
    }
    if (!stream) this.#reset();
    return text;
  }

  #reset() {
    this.#pending = null;
    this.#bomSeen = false;
  }
}

function atob(data) {
  if (arguments.length === 0)
    throw new TypeError('Failed to execute \'atob\': 1 argument required.');
  const decoded = nativeAtob(String(data));
  if (decoded === undefined) {
    throw new internal.DOMException(
        'The string to be decoded is not correctly encoded.', 'InvalidCharacterError');
  }
  return decoded;
}

function btoa(data) {
  if (arguments.length === 0)
    throw new TypeError('Failed to execute \'btoa\': 1 argument required.');
  const encoded = nativeBtoa(String(data));
  if (encoded === undefined) {
    throw new internal.DOMException(
        'The string to be encoded contains characters outside of the Latin1 range.',
        'InvalidCharacterError');
  }
  return encoded;
}

internal.exposeClass(TextEncoder, 'TextEncoder');
internal.exposeClass(TextDecoder, 'TextDecoder');
internal.defineGlobal('atob', atob);
internal.defineGlobal('btoa', btoa);
})
