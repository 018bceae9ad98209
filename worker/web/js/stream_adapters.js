// The transform streams built on the streams family: TextEncoderStream and TextDecoderStream
// (WHATWG Encoding), CompressionStream and DecompressionStream (WHATWG Compression: gzip,
// deflate, deflate-raw, by zlib in natives_streams.cc), and Cloudflare Workers'
// IdentityTransformStream and FixedLengthStream (bytes in, the same bytes out; the latter
// errors when the bytes written are more or fewer than it declared). A FixedLengthStream's
// readable side keeps its length (internal.fixedLengthOf), which a Response whose body it is
// sends as Content-Length.
(function(global, natives, internal) {
'use strict';
const {streams} = internal;  // builds the streams family first
const {TransformStream, toBytes} = streams;
const {utf8Encode, zlibNew, zlibPush} = natives;
const {TypeError, RangeError, Uint8Array, ArrayBuffer, Number, String, WeakMap} =
    internal.originals;

// The GenericTransformStream mixin: `readable` and `writable` of a private TransformStream.
class GenericTransform {
  #transform;
  constructor(transformer) { this.#transform = new TransformStream(transformer); }
  get readable() { return this.#transform.readable; }
  get writable() { return this.#transform.writable; }
}

class TextEncoderStream extends GenericTransform {
  constructor() {
    let pending = '';  // a high surrogate that ended the last chunk
    super({
      __proto__: null,
      transform(chunk, controller) {
        let text = pending + String(chunk);
        pending = '';
        const last = text.charCodeAt(text.length - 1);
        if (last >= 0xD800 && last <= 0xDBFF) {
          pending = text[text.length - 1];
          text = text.slice(0, -1);
        }
        if (text.length > 0) controller.enqueue(utf8Encode(text));
      },
      flush(controller) {
        if (pending !== '') controller.enqueue(new Uint8Array([0xEF, 0xBF, 0xBD]));
      },
    });
  }
  get encoding() { return 'utf-8'; }
}

class TextDecoderStream extends GenericTransform {
  #decoder;
  constructor(label = 'utf-8', options = undefined) {
    const decoder = new internal.TextDecoder(label, options);
    super({
      __proto__: null,
      transform(chunk, controller) {
        if (!(chunk instanceof ArrayBuffer) && !ArrayBuffer.isView(chunk)) {
          throw new TypeError('TextDecoderStream: chunk must be an ArrayBuffer or ArrayBufferView');
        }
        const text = decoder.decode(chunk, {stream: true});
        if (text.length > 0) controller.enqueue(text);
      },
      flush(controller) {
        const text = decoder.decode();
        if (text.length > 0) controller.enqueue(text);
      },
    });
    this.#decoder = decoder;
  }
  get encoding() { return this.#decoder.encoding; }
  get fatal() { return this.#decoder.fatal; }
  get ignoreBOM() { return this.#decoder.ignoreBOM; }
}

const kFormats = ['gzip', 'deflate', 'deflate-raw'];

function zlibTransformer(format, compress, what) {
  format = String(format);
  const index = kFormats.indexOf(format);
  if (index === -1) {
    throw new TypeError(
        `Failed to construct '${what}': Unsupported compression format: '${format}'`);
  }
  const handle = zlibNew(index, compress);
  const push = (controller, bytes, finish) => {
    for (const out of zlibPush(handle, bytes, finish)) controller.enqueue(out);
  };
  return {
    __proto__: null,
    transform(chunk, controller) {
      if (!(chunk instanceof ArrayBuffer) && !ArrayBuffer.isView(chunk)) {
        throw new TypeError(`${what}: chunk must be an ArrayBuffer or ArrayBufferView`);
      }
      push(controller, toBytes(chunk), false);
    },
    flush(controller) { push(controller, undefined, true); },
  };
}

class CompressionStream extends GenericTransform {
  constructor(format) {
    if (arguments.length < 1) {
      throw new TypeError('Failed to construct \'CompressionStream\': 1 argument required.');
    }
    super(zlibTransformer(format, true, 'CompressionStream'));
  }
}

class DecompressionStream extends GenericTransform {
  constructor(format) {
    if (arguments.length < 1) {
      throw new TypeError('Failed to construct \'DecompressionStream\': 1 argument required.');
    }
    super(zlibTransformer(format, false, 'DecompressionStream'));
  }
}

// Workers' byte pass-through: what is written comes out unchanged; chunks must be bytes.
class IdentityTransformStream extends TransformStream {
  constructor() {
    super({__proto__: null, transform(chunk, controller) { controller.enqueue(toBytes(chunk)); }});
  }
}

const declaredLengths = new WeakMap();  // readable side of a FixedLengthStream -> its length

class FixedLengthStream extends TransformStream {
  constructor(expectedLength) {
    const length = Number(expectedLength);
    if (arguments.length < 1 || !Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(
          `FixedLengthStream: the length must be a non-negative integer, got ${expectedLength}`);
    }
    let written = 0;
    super({
      __proto__: null,
      transform(chunk, controller) {
        const bytes = toBytes(chunk);
        written += bytes.byteLength;
        if (written > length) {
          throw new TypeError(
              `FixedLengthStream: more bytes were written than the ${length} it declared`);
        }
        controller.enqueue(bytes);
      },
      flush() {
        if (written < length) {
          throw new TypeError(
              `FixedLengthStream: closed after ${written} of the ${length} bytes it declared`);
        }
      },
    });
    declaredLengths.set(this.readable, length);
  }
}

internal.fixedLengthOf = (readable) => declaredLengths.get(readable);
internal.exposeClass(TextEncoderStream, 'TextEncoderStream');
internal.exposeClass(TextDecoderStream, 'TextDecoderStream');
internal.exposeClass(CompressionStream, 'CompressionStream');
internal.exposeClass(DecompressionStream, 'DecompressionStream');
internal.exposeClass(IdentityTransformStream, 'IdentityTransformStream');
internal.exposeClass(FixedLengthStream, 'FixedLengthStream');
})
