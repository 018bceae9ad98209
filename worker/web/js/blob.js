// Blob and File (W3C File API). A Blob's bytes are one Uint8Array that nothing mutates, so
// slice() and the fetch API share it instead of copying. Hands the other files and the fetch
// API internal.blobBytesOf (a Blob's bytes, or undefined for anything else) and, through
// internal.blobs, a way to make a Blob or File that adopts bytes without copying them.
(function(global, natives, internal) {
'use strict';
const {utf8Encode, utf8Decode} = natives;
const {TypeError, Uint8Array, ArrayBuffer, String, Number, Math, Date, Symbol} = internal.originals;
const {isView} = ArrayBuffer;

const kAdopt = Symbol('adopt bytes');  // private construction path; never exposed
let bytesOf;  // (value) -> Uint8Array | undefined: set by Blob's static block

// File API "type" normalization: ASCII lower case, or '' when any character is outside
// U+0020..U+007E.
function normalizeType(type) {
  type = String(type);
  for (let i = 0; i < type.length; i++) {
    const c = type.charCodeAt(i);
    if (c < 0x20 || c > 0x7E) return '';
  }
  return type.toLowerCase();
}

function partBytes(part, nativeEndings) {
  const blob = bytesOf(part);
  if (blob !== undefined) return blob;
  if (part instanceof ArrayBuffer) return new Uint8Array(part.slice(0));
  if (isView(part)) return new Uint8Array(part.buffer, part.byteOffset, part.byteLength).slice();
  let text = String(part);
  if (nativeEndings) text = text.replace(/\r\n?/g, '\n');
  return utf8Encode(text);
}

function concat(pieces, total) {
  if (pieces.length === 1) return pieces[0];
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    joined.set(piece, offset);
    offset += piece.byteLength;
  }
  return joined;
}

function bytesFromParts(parts, options, what) {
  if (parts === undefined) return new Uint8Array(0);
  if (typeof parts !== 'object' || parts === null || typeof parts[Symbol.iterator] !== 'function') {
    throw new TypeError(
        `Failed to construct '${what}': The provided value cannot be converted ` +
        'to a sequence.');
  }
  const endings = options?.endings === undefined ? 'transparent' : String(options.endings);
  if (endings !== 'transparent' && endings !== 'native') {
    throw new TypeError(`Failed to construct '${what}': '${endings}' is not a valid endings value`);
  }
  const pieces = [];
  let total = 0;
  for (const part of parts) {
    const bytes = partBytes(part, endings === 'native');
    pieces.push(bytes);
    total += bytes.byteLength;
  }
  return concat(pieces, total);
}

// Start or end of Blob.slice(): relative to the end when negative, clamped to [0, size].
function clampIndex(value, size, fallback) {
  if (value === undefined) return fallback;
  const n = Math.trunc(Number(value)) || 0;
  return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
}

class Blob {
  #bytes;
  #type;

  static {
    bytesOf = (value) =>
        (typeof value === 'object' && value !== null && #bytes in value) ? value.#bytes : undefined;
  }

  constructor(blobParts = undefined, options = undefined) {
    if (blobParts === kAdopt) {
      this.#bytes = options.bytes;
      this.#type = options.type;
      return;
    }
    if (options !== undefined && options !== null && typeof options !== 'object' &&
        typeof options !== 'function') {
      throw new TypeError('Failed to construct \'Blob\': parameter 2 is not an object.');
    }
    this.#bytes = bytesFromParts(blobParts, options, new.target === File ? 'File' : 'Blob');
    this.#type = options?.type === undefined ? '' : normalizeType(options.type);
  }

  get size() { return this.#bytes.byteLength; }
  get type() { return this.#type; }

  slice(start = undefined, end = undefined, contentType = undefined) {
    const size = this.#bytes.byteLength;
    const from = clampIndex(start, size, 0);
    const to = clampIndex(end, size, size);
    const type = contentType === undefined ? '' : normalizeType(contentType);
    return new Blob(kAdopt, {bytes: this.#bytes.subarray(from, Math.max(from, to)), type});
  }

  async text() {
    const text = utf8Decode(this.#bytes, false, false);
    return text.charCodeAt(0) === 0xFEFF ? text.slice(1) : text;
  }
  async arrayBuffer() { return this.#bytes.slice().buffer; }
  async bytes() { return this.#bytes.slice(); }
  stream() { return internal.streams.wholeStream(this.#bytes); }
}

class File extends Blob {
  #name;
  #lastModified;

  constructor(fileBits, fileName, options = undefined) {
    if (fileBits === kAdopt) {
      super(kAdopt, fileName);
      this.#name = fileName.name;
      this.#lastModified = fileName.lastModified;
      return;
    }
    if (arguments.length < 2) {
      throw new TypeError(
          'Failed to construct \'File\': 2 arguments required, but only ' +
          `${arguments.length} present.`);
    }
    super(fileBits, options);
    this.#name = String(fileName);
    const lastModified = options?.lastModified;
    this.#lastModified =
        lastModified === undefined ? Date.now() : Math.trunc(Number(lastModified)) || 0;
  }

  get name() { return this.#name; }
  get lastModified() { return this.#lastModified; }
  get webkitRelativePath() { return ''; }
}

internal.blobBytesOf = bytesOf;
// The family's helpers: form_data.js and multipart.js add theirs; internal.blobs for the others.
const blobs = {
  Blob,
  File,
  bytesOf,
  // A Blob (or, with `name`, a File) that owns `bytes`, which nobody may change afterwards.
  adopt(bytes, type, name = undefined) {
    if (name === undefined) return new Blob(kAdopt, {bytes, type: normalizeType(type)});
    return new File(kAdopt, {bytes, type: normalizeType(type), name, lastModified: Date.now()});
  },
};
internal.blobFamily = blobs;
internal.exportInternal('blobs', blobs);
internal.exposeClass(Blob, 'Blob');
internal.exposeClass(File, 'File');
})
