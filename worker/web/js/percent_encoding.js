// Percent-encoding (WHATWG URL section 1.3) and application/x-www-form-urlencoded (section 5),
// shared by url_host.js, url_search_params.js and url.js through `internal`.
(function(global, natives, internal) {
'use strict';
const {utf8Encode} = natives;
const utf8Decode = (bytes) => natives.utf8Decode(bytes, false, false);

// Each set is a 128-bit mask over ASCII in four 32-bit words (small: it is copied into every
// context); every code point above U+007E is in every set.
function asciiSet(base, extra) {
  const mask = base === null ? [0, 0, 0, 0] : base.slice();
  const add = (c) => {
    mask[c >> 5] |= 1 << (c & 31);
  };
  for (let c = 0; c < 0x20; ++c) add(c);
  add(0x7F);
  for (const ch of extra) add(ch.charCodeAt(0));
  return mask;
}
const inSet = (set, c) => ((set[c >> 5] >>> (c & 31)) & 1) === 1;
const c0Control = asciiSet(null, '');
const fragment = asciiSet(c0Control, ' "<>`');
const query = asciiSet(c0Control, ' "#<>');
const specialQuery = asciiSet(query, '\'');
const path = asciiSet(query, '?`{}');
const userinfo = asciiSet(path, '/:;=@[\\]^|');
const component = asciiSet(userinfo, '$%&+,');
const form = asciiSet(component, '!\'()~');
internal.percentEncodeSets = {
  c0Control,
  fragment,
  query,
  specialQuery,
  path,
  userinfo,
  component,
  form
};

const kHex = '0123456789ABCDEF';
function encodeByte(byte) { return '%' + kHex[byte >> 4] + kHex[byte & 15]; }

// UTF-8 percent-encodes every code point of `text` that is in `set` (lone surrogates become
// U+FFFD first). With spaceAsPlus, U+0020 becomes '+' (form encoding).
function percentEncode(text, set, spaceAsPlus = false) {
  let i = 0;
  for (; i < text.length; ++i) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || inSet(set, c)) break;
  }
  if (i === text.length) return text;
  let out = text.slice(0, i);
  for (; i < text.length; ++i) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0x20 && spaceAsPlus)
        out += '+';
      else
        out += inSet(set, c) ? encodeByte(c) : text[i];
      continue;
    }
    let end = i + 1;
    if (c >= 0xD800 && c <= 0xDBFF && end < text.length) {
      const next = text.charCodeAt(end);
      if (next >= 0xDC00 && next <= 0xDFFF) ++end;
    }
    for (const byte of utf8Encode(text.slice(i, end))) out += encodeByte(byte);
    i = end - 1;
  }
  return out;
}

function hexValue(c) {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

// Percent-decodes the UTF-8 bytes of `text` and decodes them as UTF-8 without BOM handling.
// With plusAsSpace, '+' is a space (form decoding).
function percentDecode(text, plusAsSpace = false) {
  if (plusAsSpace) text = text.replaceAll('+', ' ');
  if (!text.includes('%')) return text;
  const bytes = utf8Encode(text);
  const out = new Uint8Array(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; ++i) {
    if (bytes[i] === 0x25 && i + 2 < bytes.length) {
      const high = hexValue(bytes[i + 1]);
      const low = hexValue(bytes[i + 2]);
      if (high >= 0 && low >= 0) {
        out[length++] = high * 16 + low;
        i += 2;
        continue;
      }
    }
    out[length++] = bytes[i];
  }
  return utf8Decode(out.subarray(0, length));
}

// application/x-www-form-urlencoded parser: a list of [name, value] pairs.
function parseForm(input) {
  const pairs = [];
  for (const sequence of input.split('&')) {
    if (sequence === '') continue;
    const eq = sequence.indexOf('=');
    const name = eq < 0 ? sequence : sequence.slice(0, eq);
    const value = eq < 0 ? '' : sequence.slice(eq + 1);
    pairs.push([percentDecode(name, true), percentDecode(value, true)]);
  }
  return pairs;
}

function serializeForm(pairs) {
  let out = '';
  for (const [name, value] of pairs) {
    if (out !== '') out += '&';
    out += percentEncode(name, form, true) + '=' + percentEncode(value, form, true);
  }
  return out;
}

internal.percentEncode = percentEncode;
internal.percentDecode = percentDecode;
internal.parseForm = parseForm;
internal.serializeForm = serializeForm;
internal.exportInternal('urlForms', {parseForm, serializeForm});
})
