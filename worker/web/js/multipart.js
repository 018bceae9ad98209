// FormData as a body, both ways: multipart/form-data (HTML's encoding algorithm, with a random
// boundary; Fetch's parser) and application/x-www-form-urlencoded (the URL family's parser and
// serializer). The parser's work is linear in the body's size: it looks for the delimiter with
// TypedArray indexOf on its first byte and compares at most the delimiter's length (at most
// 74 bytes) at each hit; a part's header block is capped at kMaxHeaderBytes.
(function(global, natives, internal) {
'use strict';
const {utf8Encode, utf8Decode, randomFill} = natives;
const {TypeError, Uint8Array, String, Map, RegExp} = internal.originals;
const blobs = internal.blobFamily;  // blob.js and form_data.js, earlier in this family
const {FormData, adopt, bytesOf, appendEntry, formEntries} = blobs;

const kMaxHeaderBytes = 16 * 1024;
const kCR = 0x0D, kLF = 0x0A, kDash = 0x2D;

function malformed(why) {
  return new TypeError(`Failed to parse the body as multipart/form-data: ${why}`);
}

// RFC 9110 media type: {essence, parameters: Map(lower-case name -> value)}; null if empty.
function parseMediaType(text) {
  if (text === null) return null;
  const parts = String(text).split(';');
  const essence = parts[0].trim().toLowerCase();
  if (essence === '') return null;
  const parameters = new Map();
  // Re-join, so that a quoted value may hold ';'.
  const rest = parts.slice(1).join(';');
  const parameter = /\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)\s*(?:;|$)/gy;
  let match;
  let at = 0;
  while (at < rest.length && (match = parameter.exec(rest)) !== null) {
    let value = match[2];
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    const name = match[1].toLowerCase();
    if (!parameters.has(name)) parameters.set(name, value.trim());
    at = parameter.lastIndex;
  }
  return {essence, parameters};
}

// Index of `needle` in `bytes` at or after `from`, or -1.
function indexOfBytes(bytes, needle, from) {
  const first = needle[0];
  const last = bytes.length - needle.length;
  for (let at = bytes.indexOf(first, from); at !== -1 && at <= last;
       at = bytes.indexOf(first, at + 1)) {
    let i = 1;
    while (i < needle.length && bytes[at + i] === needle[i]) i++;
    if (i === needle.length) return at;
  }
  return -1;
}

// The value of a name="..." or filename="..." parameter: quotes required; HTML's escapes
// (%0A, %0D, %22) decoded back.
function dispositionParameter(header, key) {
  const match = new RegExp(`;\\s*${key}="([^"]*)"`, 'i').exec(header);
  if (match === null) return null;
  return match[1].replace(/%0A/gi, '\n').replace(/%0D/gi, '\r').replace(/%22/g, '"');
}

function parseMultipart(bytes, boundary) {
  const delimiter = utf8Encode(`\r\n--${boundary}`);  // the body starts without the CRLF
  const form = new FormData();
  let at = 0;
  const startsWithAt = (needle, offset, position) => {
    for (let i = offset; i < needle.length; i++) {
      if (bytes[position + i - offset] !== needle[i]) return false;
    }
    return true;
  };
  if (!startsWithAt(delimiter, 2, 0)) throw malformed('it does not start with the boundary');
  at = delimiter.length - 2;
  for (;;) {
    if (bytes[at] === kDash && bytes[at + 1] === kDash) return form;
    if (bytes[at] !== kCR || bytes[at + 1] !== kLF) {
      throw malformed('a boundary is not followed by CRLF or "--"');
    }
    at += 2;
    const headerEnd = indexOfBytes(bytes, [kCR, kLF, kCR, kLF], at - 2);
    if (headerEnd === -1 || headerEnd - at > kMaxHeaderBytes) {
      throw malformed('a part\'s headers do not end with an empty line');
    }
    let name = null, filename = null, contentType = null;
    const headerText = utf8Decode(bytes.subarray(at, headerEnd), false, false);
    for (const line of headerText === '' ? [] : headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw malformed(`a part has a header line without a name: "${line}"`);
      const field = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (field === 'content-disposition') {
        if (!/^form-data\s*(;|$)/i.test(value)) {
          throw malformed(`Content-Disposition is not form-data: "${value}"`);
        }
        name = dispositionParameter(value, 'name');
        filename = dispositionParameter(value, 'filename');
      } else if (field === 'content-type') {
        contentType = value;
      }
    }
    if (name === null) throw malformed('a part has no Content-Disposition name');
    const contentStart = headerEnd + 4;
    const contentEnd = indexOfBytes(bytes, delimiter, contentStart);
    if (contentEnd === -1) {
      throw malformed('a part is not closed by the boundary');
    }
    const content = bytes.subarray(contentStart, contentEnd);
    if (filename !== null) {
      appendEntry(form, name, adopt(content.slice(), contentType ?? 'text/plain', filename));
    } else {
      appendEntry(form, name, utf8Decode(content, false, false));
    }
    at = contentEnd + delimiter.length;
  }
}

// Fetch's "package data" for formData(): by the body's media type.
function parseFormBody(bytes, contentType) {
  const type = parseMediaType(contentType);
  if (type !== null && type.essence === 'multipart/form-data') {
    const boundary = type.parameters.get('boundary');
    if (boundary === undefined || boundary === '' || boundary.length > 70) {
      throw malformed('the Content-Type has no usable boundary parameter');
    }
    return parseMultipart(bytes, boundary);
  }
  if (type !== null && type.essence === 'application/x-www-form-urlencoded') {
    const form = new FormData();
    const text = utf8Decode(bytes, false, false);
    for (const [name, value] of internal.urlForms.parseForm(text)) appendEntry(form, name, value);
    return form;
  }
  throw new TypeError(
      'Failed to parse the body as FormData: its Content-Type is ' +
      `${contentType === null ? 'missing' : `"${contentType}"`}, not ` +
      'multipart/form-data or application/x-www-form-urlencoded');
}

// HTML's multipart/form-data encoding: names and filenames escape LF, CR and '"'; string
// values get CRLF line endings. Returns {bytes, type}.
function serializeFormData(form) {
  const random = new Uint8Array(16);
  randomFill(random);
  let boundary = '----wsup-formdata-';
  for (const byte of random) boundary += (byte & 0xF).toString(16) + (byte >> 4).toString(16);
  const escape = (text) => text.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
  const pieces = [];
  let total = 0;
  const add = (piece) => {
    const bytes = typeof piece === 'string' ? utf8Encode(piece) : piece;
    pieces.push(bytes);
    total += bytes.byteLength;
  };
  for (const [name, value] of formEntries(form)) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escape(name)}"`;
    if (typeof value === 'string') {
      add(`${head}\r\n\r\n${value.replace(/\r\n|\r|\n/g, '\r\n')}\r\n`);
    } else {
      head += `; filename="${escape(value.name)}"\r\n` +
          `Content-Type: ${value.type === '' ? 'application/octet-stream' : value.type}\r\n\r\n`;
      add(head);
      add(bytesOf(value));
      add('\r\n');
    }
  }
  add(`--${boundary}--\r\n`);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.byteLength;
  }
  return {bytes, type: `multipart/form-data; boundary=${boundary}`};
}

blobs.parseFormBody = parseFormBody;
blobs.parseMediaType = parseMediaType;
blobs.serializeFormData = serializeFormData;
})
