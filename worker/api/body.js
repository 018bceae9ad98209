// The Fetch standard's Body mixin, shared by Request and Response through a hidden base class.
//
// A body is null, whole, or a stream. A whole body is a string (encoded to UTF-8 only when
// bytes are asked for) or a Uint8Array that nothing mutates (every reader gets a copy). It stays
// whole until someone reads `.body`: then a ReadableStream is made over it (the web platform's
// streams family, through `web.streams`), remembered in `madeOver` with the whole it came from.
// While such a stream is untouched (never read, never locked), everything that would read it
// takes the whole directly instead: text() and friends, the runtime (serializeResponse), and a
// new Request/Response built from it, which shares the whole and the stream object (so
// `new Response(res.body, res)` does no stream work and copies nothing). A stream body of any
// other kind is read chunk by chunk; each chunk must be bytes.

const kArrayBuffer = ArrayBuffer;
const kUint8Array = Uint8Array;
const kTypeError = TypeError;
const kIsView = ArrayBuffer.isView;
const kJsonParse = JSON.parse;

// Stream made lazily over a whole body -> that whole; made with the first such stream.
let madeOver = null;
const wholeUnder = (stream) => madeOver?.get(stream);

// Returns {whole, stream, length, type} for a BodyInit, or null for a null body (Fetch
// "extract a body"): `whole` a string or a Uint8Array nobody else holds, or null for a stream
// body; `stream` a ReadableStream or null; `length` a stream's declared byte length
// (FixedLengthStream) or undefined; `type` the Content-Type it implies, or null.
function extractBody(init) {
  if (init === undefined || init === null) return null;
  if (typeof init === 'string') {
    return {whole: init, stream: null, length: undefined, type: 'text/plain;charset=UTF-8'};
  }
  if (typeof init === 'object' || typeof init === 'function') {
    if (init instanceof kArrayBuffer) {
      return {whole: new kUint8Array(init.slice(0)), stream: null, length: undefined, type: null};
    }
    if (kIsView(init)) {
      const bytes = new kUint8Array(init.buffer, init.byteOffset, init.byteLength).slice();
      return {whole: bytes, stream: null, length: undefined, type: null};
    }
    // A family that never ran in this context made no object of its classes: each family's
    // brand check exists on `web` only once it has run, so checking costs nothing here.
    if (web.isReadableStream?.(init)) return extractStream(init);
    const blobBytes = web.blobBytesOf?.(init);
    if (blobBytes !== undefined) {
      return {whole: blobBytes, stream: null, length: undefined, type: init.type || null};
    }
    if (web.isFormData?.(init)) {
      const {bytes, type} = web.blobs.serializeFormData(init);
      return {whole: bytes, stream: null, length: undefined, type};
    }
    const SearchParams = web.URLSearchParams;
    if (SearchParams !== undefined && init instanceof SearchParams) {
      return {
        whole: init.toString(),
        stream: null,
        length: undefined,
        type: 'application/x-www-form-urlencoded;charset=UTF-8',
      };
    }
  }
  // WebIDL: any other value converts to the USVString member of BodyInit.
  return {whole: `${init}`, stream: null, length: undefined, type: 'text/plain;charset=UTF-8'};
}

function extractStream(stream) {
  const {streams} = web;
  if (streams.isLocked(stream) || streams.isDisturbed(stream)) {
    throw new kTypeError('The ReadableStream of a body must be neither read from nor locked.');
  }
  const whole = wholeUnder(stream);
  if (whole !== undefined) return {whole, stream, length: undefined, type: null};
  return {whole: null, stream, length: web.fixedLengthOf?.(stream), type: null};
}

const wholeLength = (whole) =>
    typeof whole === 'string' ? internal.utf8Length(whole) : whole.byteLength;

// A chunk of a body stream as bytes, or workerd's TypeError (for the runtime's pump).
internal.toBodyBytes = (chunk) => web.streams.toBytes(chunk);

let bodyIsNull;        // (body) -> whether it is a null body
let bodyTake;          // (body) -> extracted-like {whole, stream, length}, and marks it used
let bodyUnusable;      // (body) -> why it cannot be read now, or null
let bodyTee;           // (body) -> extracted-like body for a clone; this one keeps a branch
let bodyForRuntime;    // (body) -> [null | string | Uint8Array | ReadableStream, length]

class Body {
  #whole = null;        // null | string | Uint8Array
  #stream = null;       // null | ReadableStream (given, or made over #whole)
  #length = undefined;  // a stream body's declared byte length
  #used = false;        // read (or handed to another body) without going through #stream
  #headers;             // for blob()'s type and formData()'s parser

  static {
    bodyIsNull = (b) => b.#whole === null && b.#stream === null;
    bodyTake = (b) => {
      const taken = {whole: b.#whole, stream: b.#stream, length: b.#length};
      b.#used = true;
      return taken;
    };
    bodyUnusable = (b) => b.#unusable();
    bodyTee = (b) => {
      if (b.#stream === null || wholeUnder(b.#stream) === b.#whole) {
        return {whole: b.#whole, stream: null, length: undefined};
      }
      const [mine, theirs] = web.streams.tee(b.#stream);
      b.#stream = mine;
      return {whole: null, stream: theirs, length: b.#length};
    };
    bodyForRuntime = (b) => {
      if (b.#whole !== null && b.#untouched()) return [b.#whole, wholeLength(b.#whole)];
      if (b.#stream === null) return [null, undefined];
      return [b.#stream, b.#length];
    };
  }

  // `extracted`: what extractBody returned (or null); `headers`: the owner's Headers.
  constructor(extracted, headers) {
    if (extracted !== null) {
      this.#whole = extracted.whole;
      this.#stream = extracted.stream;
      this.#length = extracted.length;
    }
    this.#headers = headers;
  }

  // Whether the stream, if any, is still the one made over the whole and nobody touched it.
  #untouched() {
    const stream = this.#stream;
    if (stream === null) return true;
    if (wholeUnder(stream) !== this.#whole) return false;
    const {streams} = web;
    return !streams.isLocked(stream) && !streams.isDisturbed(stream);
  }

  #isUsed() {
    if (this.#used) return true;
    return this.#stream !== null && web.streams.isDisturbed(this.#stream);
  }

  #unusable() {
    if (this.#isUsed()) return 'its body has already been read';
    if (this.#stream !== null && web.streams.isLocked(this.#stream)) {
      return 'its body is locked to a reader';
    }
    return null;
  }

  get body() {
    if (this.#stream === null && this.#whole !== null) {
      const whole = this.#whole;
      const stream = web.streams.wholeStream(
          () => typeof whole === 'string' ? internal.utf8Encode(whole) : whole.slice());
      madeOver ??= new WeakMap();
      madeOver.set(stream, whole);
      this.#stream = stream;
      // Read already, without a stream: the stream shows it, as reading it would have.
      if (this.#used) web.streams.retire(stream);
    }
    return this.#stream;
  }

  get bodyUsed() {
    return this.#isUsed();
  }

  // The body's bytes (a string for a whole string body), or null for a null body; rejects
  // with the standard TypeError when it was read already or is locked.
  async #consume(method) {
    const why = this.#unusable();
    if (why !== null) throw new kTypeError(`${method}: ${why}`);
    if (this.#whole === null && this.#stream === null) return null;
    if (this.#whole !== null && this.#untouched()) {
      this.#used = true;
      if (this.#stream !== null) web.streams.retire(this.#stream);
      return this.#whole;
    }
    this.#used = true;
    return web.streams.readAllBytes(this.#stream);
  }

  // Bytes that the caller may keep and change.
  async #ownBytes(method) {
    const source = await this.#consume(method);
    if (source === null) return new kUint8Array(0);
    if (typeof source === 'string') return internal.utf8Encode(source);
    // A whole Uint8Array is shared (with clones, with the lazily made stream): copy it.
    return source === this.#whole ? source.slice() : source;
  }

  async text() {
    const source = await this.#consume('text()');
    if (source === null) return '';
    const text = typeof source === 'string' ? source : internal.utf8Decode(source);
    // UTF-8 decode drops a leading byte order mark.
    return text.charCodeAt(0) === 0xFEFF ? text.slice(1) : text;
  }

  async json() {
    return kJsonParse(await this.text());
  }

  async arrayBuffer() {
    const bytes = await this.#ownBytes('arrayBuffer()');
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ?
        bytes.buffer :
        bytes.slice().buffer;
  }

  async bytes() {
    return this.#ownBytes('bytes()');
  }

  async blob() {
    const bytes = await this.#ownBytes('blob()');
    return web.blobs.adopt(bytes, this.#headers.get('content-type') ?? '');
  }

  async formData() {
    const type = this.#headers.get('content-type');
    const source = await this.#consume('formData()');
    const bytes = source === null ? new kUint8Array(0) :
        typeof source === 'string' ? internal.utf8Encode(source) : source;
    return web.blobs.parseFormBody(bytes, type);
  }
}
