// The Fetch standard's Body mixin, shared by Request and Response through a hidden base class.
//
// A body is null, whole, or a stream. A whole body is a string (encoded to UTF-8 only when
// bytes are asked for) or a Uint8Array that nothing mutates (every reader gets a copy). It stays
// whole until someone reads `.body`: then a ReadableStream is made over it by the web platform's
// streams family (web.streams.wholeStream), which finds the whole again (wholeOf) while the
// stream is untouched (never read, never locked). Until then everything that would read the
// stream takes the whole directly instead: text() and friends, the runtime
// (serializeResponse), and a new Request/Response built from it, which shares the whole and the
// stream object (so `new Response(res.body, res)` does no stream work and copies nothing). A
// stream body of any other kind is read chunk by chunk; each chunk must be bytes.
//
// A body fetch() received is a fourth kind, *fetched* (fetch.js's {open, take}): its chunks wait
// in the runtime until someone reads `.body` (or text() and friends), which opens its stream. A
// fetched body handed to the runtime before that, or whose stream nobody read or locked, is
// taken by the runtime instead (bodyForRuntime with `pipe`), which sends the subrequest's bytes
// to the client in C++: `return fetch(request)` and `new Response(res.body, res)` build no
// stream and run no JavaScript per chunk.
//
// Every function here is one more object in every request's fresh context (the snapshot holds
// them per context), so rarely used logic lives in the streams and Blob families, which only a
// request that uses them builds.

const kArrayBuffer = ArrayBuffer;
const kUint8Array = Uint8Array;
const kTypeError = TypeError;
const kIsView = ArrayBuffer.isView;
const kJsonParse = JSON.parse;

// Returns {whole, stream, length, type} for a BodyInit, or null for a null body (Fetch
// "extract a body"): `whole` a string or a Uint8Array nobody else changes, or null for a
// stream body; `stream` a ReadableStream or null; `length` a stream's declared byte length
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
    if (web.isReadableStream?.(init)) {
      const {streams} = web;
      const whole = streams.wholeOf(init);
      if (whole !== undefined) return {whole, stream: init, length: undefined, type: null};
      if (streams.isLocked(init) || streams.isDisturbed(init)) {
        throw new kTypeError('The ReadableStream of a body must be neither read from nor locked.');
      }
      return {whole: null, stream: init, length: web.fixedLengthOf?.(init), type: null};
    }
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

// A chunk of a body stream as bytes, or workerd's TypeError (for the runtime's pump).
internal.toBodyBytes = (chunk) => web.streams.toBytes(chunk);

let bodyTake;        // (body) -> null for a null body, else {whole, stream, length}; marks it used
let bodyUnusable;    // (body) -> why it cannot be read now, or null
let bodyTee;         // (body) -> {whole, stream, length} for a clone; this one keeps a branch
let bodyForRuntime;  // (body, fields, pipe) -> fields[2] = null | string | Uint8Array |
                     // ReadableStream | a subrequest's id (only when `pipe`: a fetched body the
                     // runtime sends on itself), fields[3] = its byte length or undefined
                     // (serializeResponse's contract)
// A fetched body's stream, while the runtime may still take it -> its take() (fetch.js). Made
// on first use, never at snapshot time: a WeakMap in every request's snapshot context would put
// an ephemeron table in every context, which V8 10.2 cannot have marked while it deserializes
// one (worker/deserialization_gc_guard.h).
let fetchedStreams = null;

class Body {
  #whole = null;        // null | string | Uint8Array
  #stream = null;       // null | ReadableStream (given, or made over #whole)
  #length = undefined;  // a stream body's declared byte length
  #used = false;        // read (or handed to another body) without going through #stream
  #fetched = null;      // a fetched body whose stream is not open yet: fetch.js's {open, take}
  #headers;             // for blob()'s type and formData()'s parser

  static {
    bodyTake = (b) => {
      b.#open();
      if (b.#whole === null && b.#stream === null) return null;
      b.#used = true;
      return {whole: b.#whole, stream: b.#stream, length: b.#length};
    };
    bodyUnusable = (b) => {
      if (b.#used || (b.#stream !== null && web.streams.isDisturbed(b.#stream))) {
        return 'its body has already been read';
      }
      if (b.#stream !== null && web.streams.isLocked(b.#stream)) {
        return 'its body is locked to a reader';
      }
      return null;
    };
    bodyTee = (b) => {
      b.#open();
      if (b.#stream === null || web.streams.wholeOf(b.#stream) === b.#whole) {
        return {whole: b.#whole, stream: null, length: undefined};
      }
      const [mine, theirs] = web.streams.tee(b.#stream);
      b.#stream = mine;
      return {whole: null, stream: theirs, length: b.#length};
    };
    bodyForRuntime = (b, fields, pipe = false) => {
      if (pipe) {
        const id = b.#takeFetched();
        if (id !== 0) {
          fields[2] = id;
          return;
        }
      }
      b.#open();
      const whole = b.#whole;
      if (whole !== null && b.#untouched()) {
        fields[2] = whole;
        fields[3] = typeof whole === 'string' ? internal.utf8Length(whole) : whole.byteLength;
      } else if (b.#stream !== null) {
        fields[2] = b.#stream;
        fields[3] = b.#length;
      }
    };
  }

  // `extracted`: what extractBody returned (or null); `headers`: the owner's Headers.
  constructor(extracted, headers) {
    if (extracted !== null) {
      this.#whole = extracted.whole;
      this.#stream = extracted.stream;
      this.#length = extracted.length;
      this.#fetched = extracted.fetched ?? null;
    }
    this.#headers = headers;
  }

  // A fetched body's stream, opened on first need.
  #open() {
    if (this.#fetched === null) return;
    this.#stream = this.#fetched.open();
    this.#fetched = null;
  }

  // The subrequest's id when the runtime may send this fetched body on itself (never opened, or
  // its stream untouched), else 0. Taking it marks the body read, as sending it would.
  #takeFetched() {
    let id = 0;
    if (this.#fetched !== null) {
      id = this.#fetched.take();
      if (id !== 0) {
        this.#fetched = null;
        this.#used = true;
      }
    } else if (this.#stream !== null) {
      const take = fetchedStreams?.get(this.#stream);
      if (take !== undefined && !web.streams.isLocked(this.#stream) &&
          !web.streams.isDisturbed(this.#stream)) {
        id = take();
        // Locked and closed, as reading it would leave it; its cancel() does nothing now.
        if (id !== 0) web.streams.retire(this.#stream);
      }
    }
    return id;
  }

  // Whether the stream, if any, is still the one made over the whole and nobody touched it.
  #untouched() {
    return this.#stream === null || web.streams.wholeOf(this.#stream) === this.#whole;
  }

  get body() {
    this.#open();
    if (this.#stream === null && this.#whole !== null) {
      this.#stream = web.streams.wholeStream(this.#whole);
      // Read already, without a stream: the stream shows it, as reading it would have.
      if (this.#used) web.streams.retire(this.#stream);
    }
    return this.#stream;
  }

  get bodyUsed() {
    return this.#used || (this.#stream !== null && web.streams.isDisturbed(this.#stream));
  }

  // The body's bytes (a string for a whole string body, shared), or null for a null body;
  // rejects with the standard TypeError when it was read already or is locked.
  async #consume(method) {
    const why = bodyUnusable(this);
    if (why !== null) throw new kTypeError(`${method}: ${why}`);
    this.#open();
    if (this.#whole === null && this.#stream === null) return null;  // a null body is never used
    this.#used = true;
    if (this.#whole !== null && this.#untouched()) {
      if (this.#stream !== null) web.streams.retire(this.#stream);
      return this.#whole;
    }
    return web.streams.readAllBytes(this.#stream);
  }

  // Bytes the caller may keep and change.
  async #ownBytes(method) {
    const source = await this.#consume(method);
    if (source === null) return new kUint8Array(0);
    if (typeof source === 'string') return internal.utf8Encode(source);
    // A whole Uint8Array is shared (with clones, with the stream made over it): copy it.
    return source === this.#whole ? source.slice() : source;
  }

  async text() {
    const source = await this.#consume('text()');
    if (source === null) return '';
    const text = typeof source === 'string' ? source : internal.utf8Decode(source);
    // UTF-8 decode drops a leading byte order mark.
    return text.charCodeAt(0) === 0xFEFF ? text.slice(1) : text;
  }

  async json() { return kJsonParse(await this.text()); }

  async arrayBuffer() {
    const bytes = await this.#ownBytes('arrayBuffer()');
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ?
        bytes.buffer :
        bytes.slice().buffer;
  }

  async bytes() { return this.#ownBytes('bytes()'); }

  async blob() {
    const bytes = await this.#ownBytes('blob()');
    return web.blobs.adopt(bytes, this.#headers.get('content-type') ?? '');
  }

  async formData() {
    // The parser only reads the bytes (a File's content is copied out), so a whole Uint8Array
    // is lent to it as it is.
    const source = await this.#consume('formData()');
    const bytes = source === null  ? new kUint8Array(0) :
        typeof source === 'string' ? internal.utf8Encode(source) :
                                     source;
    return web.blobs.parseFormBody(bytes, this.#headers.get('content-type'));
  }
}
