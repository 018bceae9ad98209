// The Fetch standard's Body mixin, shared by Request and Response through a hidden base class.
// A body is held whole, as a string (encoded to UTF-8 only when bytes are asked for) or as a
// Uint8Array that nothing mutates (every reader gets a copy). ReadableStream bodies are not
// supported: `body` is not exposed.

// Returns {source, type} for a BodyInit, or null for a null body (Fetch "extract a body").
function extractBody(init) {
  if (init === undefined || init === null) return null;
  if (typeof init === 'string') return {source: init, type: 'text/plain;charset=UTF-8'};
  if (init instanceof ArrayBuffer) return {source: new Uint8Array(init.slice(0)), type: null};
  if (ArrayBuffer.isView(init)) {
    const view = new Uint8Array(init.buffer, init.byteOffset, init.byteLength);
    return {source: view.slice(), type: null};
  }
  if (typeof URLSearchParams === 'function' && init instanceof URLSearchParams) {
    return {
      source: init.toString(),
      type: 'application/x-www-form-urlencoded;charset=UTF-8',
    };
  }
  // WebIDL: any other value converts to the USVString member of BodyInit.
  return {source: `${init}`, type: 'text/plain;charset=UTF-8'};
}

let bodySource;  // (body) -> null | string | Uint8Array
let bodyMarkUsed;

class Body {
  #source = null;
  #used = false;

  static {
    bodySource = (b) => b.#source;
    bodyMarkUsed = (b) => {
      if (b.#source !== null) b.#used = true;
    };
  }

  constructor(source) {
    this.#source = source;
  }

  get bodyUsed() {
    return this.#used;
  }

  #consume(method) {
    if (this.#used) {
      return Promise.reject(new TypeError(`${method}: body has already been used`));
    }
    const source = this.#source;
    if (source !== null) this.#used = true;
    return source;
  }

  async text() {
    const source = await this.#consume('text()');
    if (source === null) return '';
    return typeof source === 'string' ? source : internal.utf8Decode(source);
  }

  async json() {
    return JSON.parse(await this.text());
  }

  async arrayBuffer() {
    const source = await this.#consume('arrayBuffer()');
    if (source === null) return new ArrayBuffer(0);
    if (typeof source === 'string') return internal.utf8Encode(source).buffer;
    return source.slice().buffer;
  }
}
