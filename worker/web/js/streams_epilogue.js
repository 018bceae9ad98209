// The streams family, part three: exposes the polyfill's classes as globals and hands the fetch
// API (worker/api/body.js) what it needs to build, read and hand over body streams, through
// `internal` only (internal.streams, lazy; internal.isReadableStream once the family has run).
const kClasses = [
  'ReadableStream',
  'ReadableStreamDefaultReader',
  'ReadableStreamBYOBReader',
  'ReadableStreamBYOBRequest',
  'ReadableStreamDefaultController',
  'ReadableByteStreamController',
  'WritableStream',
  'WritableStreamDefaultWriter',
  'WritableStreamDefaultController',
  'TransformStream',
  'TransformStreamDefaultController',
  'ByteLengthQueuingStrategy',
  'CountQueuingStrategy',
];
for (const name of kClasses) internal.defineGlobal(name, exports[name]);

const {ReadableStream, ReadableStreamDefaultReader, TransformStream, WritableStream} = exports;
// The prototype's own functions, taken now: user code may replace the properties later.
const lockedGetter = Object.getOwnPropertyDescriptor(ReadableStream.prototype, 'locked').get;
const {getReader, tee, cancel} = ReadableStream.prototype;
const {read, releaseLock} = ReadableStreamDefaultReader.prototype;
const readerCancel = ReadableStreamDefaultReader.prototype.cancel;
const {apply} = Reflect;
const {isView} = ArrayBuffer;
const hasOwn = Object.prototype.hasOwnProperty;

// A ReadableStream made by this family (the getter checks the brand; a look-alike throws).
function isReadableStream(value) {
  if (typeof value !== 'object' || value === null) return false;
  try {
    apply(lockedGetter, value, []);
    return true;
  } catch {
    return false;
  }
}
const isLocked = (stream) => apply(lockedGetter, stream, []);
// The polyfill's [[disturbed]] slot: a read or a cancel happened.
const isDisturbed = (stream) => apply(hasOwn, stream, ['_disturbed']) && stream._disturbed === true;

// A body chunk as a Uint8Array over the same memory, or workerd's TypeError.
function toBytes(chunk) {
  if (chunk instanceof Uint8Array) return chunk;
  if (isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError('This ReadableStream did not return bytes.');
}

const {utf8Encode} = natives;
const madeOver = new WeakMap();  // stream made by wholeStream -> the whole it yields

// A byte stream over a whole body (a string, yielded as UTF-8, or a Uint8Array nobody
// mutates): one chunk, a copy the stream may own (byte streams detach the buffers enqueued into
// them), made on the first pull; then it closes. wholeOf() finds the whole again while nobody has
// touched the stream, so that whoever would read it can take the whole directly.
function wholeStream(whole) {
  const stream = new ReadableStream({
    __proto__: null,
    type: 'bytes',
    pull(controller) {
      const bytes = typeof whole === 'string' ? utf8Encode(whole) : whole.slice();
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
  madeOver.set(stream, whole);
  return stream;
}

// The whole a wholeStream() stream was made over, while it is untouched (never read from,
// never locked); else undefined.
function wholeOf(stream) {
  const whole = madeOver.get(stream);
  return whole === undefined || isLocked(stream) || isDisturbed(stream) ? undefined : whole;
}

// Reads `stream` to its end: a promise of a Uint8Array that owns its whole buffer. A chunk
// that is not bytes cancels the stream and rejects with toBytes's TypeError.
async function readAllBytes(stream) {
  const reader = apply(getReader, stream, []);
  const chunks = [];
  let total = 0;
  for (;;) {
    const result = await apply(read, reader, []);
    if (result.done) break;
    let bytes;
    try {
      bytes = toBytes(result.value);
    } catch (error) {
      apply(readerCancel, reader, [error]).catch(() => {});
      throw error;
    }
    chunks.push(bytes);
    total += bytes.byteLength;
  }
  apply(releaseLock, reader, []);
  if (chunks.length === 1) return chunks[0].slice();
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return joined;
}

// Marks a stream whose bytes were taken another way as read: locked by a reader, disturbed and
// closed, as reading it would have left it.
function retire(stream) {
  const reader = apply(getReader, stream, []);
  apply(readerCancel, reader, []).catch(() => {});
}

internal.exportInternal('streams', {
  ReadableStream,
  WritableStream,
  TransformStream,
  isReadableStream,
  isLocked,
  isDisturbed,
  toBytes,
  wholeStream,
  wholeOf,
  readAllBytes,
  retire,
  tee: (stream) => apply(tee, stream, []),
  cancel: (stream, reason) => apply(cancel, stream, [reason]),
});
internal.isReadableStream = isReadableStream;
})
