// The WHATWG host parser (URL section 3.5): IPv6 (pieces parsed by Boost.URL through
// natives.parseIPv6, serialized here), IPv4 in all its legacy number forms, opaque hosts, and
// domains (lowercased; non-ASCII domains approximate UTS #46: default-ignorables removed, NFKC,
// lowercase, Punycode per label; its exact mapping table and bidi/joiner checks are skipped).
(function(global, natives, internal) {
'use strict';
const {percentEncode, percentDecode, percentEncodeSets} = internal;
const {parseIPv6} = natives;

const kForbiddenHost = /[\0\t\n\r #/:<>?@[\\\]^|]/;
const kForbiddenDomain = /[\0-\x20#%/:<>?@[\\\]^|\x7F]/;

// Returns a number, or NaN on failure.
function parseIPv4Number(text) {
  if (text === '') return NaN;
  let radix = 10;
  if (text.length >= 2 && text[0] === '0' && (text[1] === 'x' || text[1] === 'X')) {
    text = text.slice(2);
    radix = 16;
  } else if (text.length >= 2 && text[0] === '0') {
    text = text.slice(1);
    radix = 8;
  }
  if (text === '') return 0;
  const valid = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  return valid.test(text) ? parseInt(text, radix) : NaN;
}

function endsInANumber(text) {
  const parts = text.split('.');
  if (parts[parts.length - 1] === '') {
    if (parts.length === 1) return false;
    parts.pop();
  }
  const last = parts[parts.length - 1];
  if (/^[0-9]+$/.test(last)) return true;
  return !Number.isNaN(parseIPv4Number(last));
}

// Returns the dotted-decimal serialization, or null on failure.
function parseIPv4(text) {
  const parts = text.split('.');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  if (parts.length > 4) return null;
  const numbers = parts.map(parseIPv4Number);
  if (numbers.some(Number.isNaN)) return null;
  for (let i = 0; i < numbers.length - 1; ++i) {
    if (numbers[i] > 255) return null;
  }
  const last = numbers[numbers.length - 1];
  if (last >= 256 ** (5 - numbers.length)) return null;
  let address = last;
  for (let i = 0; i < numbers.length - 1; ++i) address += numbers[i] * 256 ** (3 - i);
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
}

// Compresses the first longest run of two or more zero pieces into '::'.
function serializeIPv6(pieces) {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (pieces[i] !== 0) {
      ++i;
      continue;
    }
    let end = i;
    while (end < 8 && pieces[end] === 0) ++end;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  let out = '';
  for (let i = 0; i < 8; ++i) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLength - 1;
      continue;
    }
    out += pieces[i].toString(16);
    if (i !== 7) out += ':';
  }
  return out;
}

// RFC 3492 Punycode encoding of one label.
function punycode(label) {
  const input = Array.from(label, (ch) => ch.codePointAt(0));
  let out = input.filter((c) => c < 0x80).map((c) => String.fromCharCode(c)).join('');
  const basic = out.length;
  let handled = basic;
  if (basic > 0) out += '-';
  let n = 128;
  let delta = 0;
  let bias = 72;
  const digit = (d) => String.fromCharCode(d < 26 ? d + 97 : d + 22);
  const adapt = (d, points, first) => {
    d = first ? Math.floor(d / 700) : d >> 1;
    d += Math.floor(d / points);
    let k = 0;
    for (; d > 455; k += 36) d = Math.floor(d / 35);
    return k + Math.floor((36 * d) / (d + 38));
  };
  while (handled < input.length) {
    const m = Math.min(...input.filter((c) => c >= n));
    delta += (m - n) * (handled + 1);
    n = m;
    for (const c of input) {
      if (c < n) ++delta;
      if (c !== n) continue;
      let q = delta;
      for (let k = 36;; k += 36) {
        const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
        if (q < t) break;
        out += digit(t + ((q - t) % (36 - t)));
        q = Math.floor((q - t) / (36 - t));
      }
      out += digit(q);
      bias = adapt(delta, handled + 1, handled === basic);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++n;
  }
  return out;
}

function domainToASCII(domain) {
  if (/^[\x00-\x7F]*$/.test(domain)) return domain.toLowerCase();
  // UTS #46 maps roughly like NFKC_Casefold and deletes default-ignorable code points.
  const mapped = domain.replace(/[\u00AD\u034F\u180B-\u180D\u200B\u2060\uFE00-\uFE0F\uFEFF]/g, '')
                     .normalize('NFKC')
                     .toLowerCase()
                     .normalize('NFC')
                     .replace(/[\u3002\uFF0E\uFF61]/g, '.');
  if (/^[\x00-\x7F]*$/.test(mapped)) return mapped;
  return mapped.split('.')
      .map((label) => (/^[\x00-\x7F]*$/.test(label) ? label : 'xn--' + punycode(label)))
      .join('.');
}

// Returns the serialized host, or null on failure.
function parseHost(input, isOpaque) {
  if (input.startsWith('[')) {
    if (!input.endsWith(']')) return null;
    const pieces = parseIPv6(input.slice(1, -1));
    return pieces === null ? null : '[' + serializeIPv6(pieces) + ']';
  }
  if (isOpaque) {
    if (kForbiddenHost.test(input)) return null;
    return percentEncode(input, percentEncodeSets.c0Control);
  }
  const ascii = domainToASCII(percentDecode(input));
  if (ascii === '' || kForbiddenDomain.test(ascii)) return null;
  if (endsInANumber(ascii)) return parseIPv4(ascii);
  return ascii;
}

internal.parseHost = parseHost;
})
