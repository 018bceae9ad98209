// The WHATWG basic URL parser (URL section 4.4), state by state, and the URL serializer.
// A URL record is {scheme, username, password, host (serialized string or null), port (number
// or null), path (array of segments, or a string when opaque), query, fragment}.
(function(global, natives, internal) {
'use strict';
const {percentEncode, percentEncodeSets: sets, parseHost} = internal;

const kSpecialPorts = {
  __proto__: null,
  'ftp': 21,
  'file': null,
  'http': 80,
  'https': 443,
  'ws': 80,
  'wss': 443
};
const isSpecialScheme = (scheme) => scheme in kSpecialPorts;
const defaultPort = (scheme) => kSpecialPorts[scheme] ?? null;

const S = {
  SCHEME_START: 1,
  SCHEME: 2,
  NO_SCHEME: 3,
  SPECIAL_RELATIVE_OR_AUTHORITY: 4,
  PATH_OR_AUTHORITY: 5,
  RELATIVE: 6,
  RELATIVE_SLASH: 7,
  SPECIAL_AUTHORITY_SLASHES: 8,
  SPECIAL_AUTHORITY_IGNORE_SLASHES: 9,
  AUTHORITY: 10,
  HOST: 11,
  HOSTNAME: 12,
  PORT: 13,
  FILE: 14,
  FILE_SLASH: 15,
  FILE_HOST: 16,
  PATH_START: 17,
  PATH: 18,
  OPAQUE_PATH: 19,
  QUERY: 20,
  FRAGMENT: 21,
};
internal.urlStates = S;

const isAlpha = (c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isDigit = (c) => c >= '0' && c <= '9';
const isWindowsDriveLetter = (s) =>
    s.length === 2 && isAlpha(s[0]) && (s[1] === ':' || s[1] === '|');
const isNormalizedWindowsDriveLetter = (s) => s.length === 2 && isAlpha(s[0]) && s[1] === ':';
function startsWithWindowsDriveLetter(input, pointer) {
  if (input.length - pointer < 2) return false;
  if (!isWindowsDriveLetter(input.slice(pointer, pointer + 2))) return false;
  if (input.length - pointer === 2) return true;
  return '/\\?#'.includes(input[pointer + 2]);
}
const isSingleDot = (s) => s === '.' || s.toLowerCase() === '%2e';
const isDoubleDot = (s) => {
  s = s.toLowerCase();
  return s === '..' || s === '.%2e' || s === '%2e.' || s === '%2e%2e';
};
function shortenPath(url) {
  if (url.scheme === 'file' && url.path.length === 1 && isNormalizedWindowsDriveLetter(url.path[0]))
    return;
  url.path.pop();
}
function copyAuthority(url, base) {
  url.username = base.username;
  url.password = base.password;
  url.host = base.host;
  url.port = base.port;
}
const hasCredentials = (url) => url.username !== '' || url.password !== '';

function newRecord() {
  return {
    scheme: '',
    username: '',
    password: '',
    host: null,
    port: null,
    path: [],
    query: null,
    fragment: null
  };
}

// An absolute http(s) URL already in the form the parser would give it back in: every URL
// the runtime hands a script as request.url is one. For those the record is read off the
// string, because the state machine below runs cold in each request's fresh context (~130 µs
// for its first URL). The pattern and the checks after it admit only strings the full parser
// leaves unchanged: lowercase scheme, a host that parseHost gives back as it is, a port that is
// not the default, no userinfo, fragment, whitespace or non-ASCII, path and query characters
// outside their percent-encode sets, and no dot segments.
const kCanonicalHttp = new RegExp(
    '^(https?)://([a-z0-9-]+(?:\\.[a-z0-9-]+)*)(?::([1-9][0-9]{0,4}))?' +
    '(/[A-Za-z0-9\\-._~!$&\'()*+,;=:@%/]*)?(?:\\?([A-Za-z0-9\\-._~!$&()*+,;=:@%/?]*))?$');
const kDotSegment = /^(?:\.|%2e){1,2}$/i;

function parseCanonicalHttp(input) {
  const match = kCanonicalHttp.exec(input);
  if (match === null) return null;
  const [, scheme, host, portText, pathText = '', query = null] = match;
  if (parseHost(host, false) !== host) return null;  // IPv4 numbers in other forms, failures
  let port = null;
  if (portText !== undefined) {
    port = Number(portText);
    if (port > 65535) return null;
    if (port === defaultPort(scheme)) port = null;
  }
  const path = pathText === '' ? [''] : pathText.slice(1).split('/');
  for (const segment of path) {
    if (kDotSegment.test(segment)) return null;
  }
  return {scheme, username: '', password: '', host, port, path, query, fragment: null};
}

// Returns the URL record, or null on failure. With stateOverride, modifies `url` in place
// (the setters) and returns it, or null when the value is rejected.
function basicParse(input, base = null, url = null, stateOverride = 0) {
  if (url === null && base === null) {
    const canonical = parseCanonicalHttp(input);
    if (canonical !== null) return canonical;
  }
  if (url === null) {
    url = newRecord();
    input = input.replace(/^[\0-\x20]+|[\0-\x20]+$/g, '');
  }
  input = input.replace(/[\t\n\r]/g, '');
  let state = stateOverride || S.SCHEME_START;
  let buffer = '';
  let atSignSeen = false;
  let insideBrackets = false;
  let passwordTokenSeen = false;
  const length = input.length;
  for (let pointer = 0; pointer <= length; ++pointer) {
    const c = pointer < length ? input[pointer] : undefined;  // undefined is EOF
    const special = isSpecialScheme(url.scheme);
    switch (state) {
      case S.SCHEME_START:
        if (c !== undefined && isAlpha(c)) {
          buffer += c.toLowerCase();
          state = S.SCHEME;
        } else if (!stateOverride) {
          state = S.NO_SCHEME;
          --pointer;
        } else {
          return null;
        }
        break;
      case S.SCHEME:
        if (c !== undefined && (isAlpha(c) || isDigit(c) || c === '+' || c === '-' || c === '.')) {
          buffer += c.toLowerCase();
        } else if (c === ':') {
          if (stateOverride) {
            if (special !== isSpecialScheme(buffer)) return url;
            if ((hasCredentials(url) || url.port !== null) && buffer === 'file') return url;
            if (url.scheme === 'file' && url.host === '') return url;
          }
          url.scheme = buffer;
          if (stateOverride) {
            if (url.port === defaultPort(url.scheme)) url.port = null;
            return url;
          }
          buffer = '';
          if (url.scheme === 'file') {
            state = S.FILE;
          } else if (isSpecialScheme(url.scheme) && base !== null && base.scheme === url.scheme) {
            state = S.SPECIAL_RELATIVE_OR_AUTHORITY;
          } else if (isSpecialScheme(url.scheme)) {
            state = S.SPECIAL_AUTHORITY_SLASHES;
          } else if (input[pointer + 1] === '/') {
            state = S.PATH_OR_AUTHORITY;
            ++pointer;
          } else {
            url.path = '';
            state = S.OPAQUE_PATH;
          }
        } else if (!stateOverride) {
          buffer = '';
          state = S.NO_SCHEME;
          pointer = -1;
        } else {
          return null;
        }
        break;
      case S.NO_SCHEME:
        if (base === null || (typeof base.path === 'string' && c !== '#')) return null;
        if (typeof base.path === 'string') {
          url.scheme = base.scheme;
          url.path = base.path;
          url.query = base.query;
          url.fragment = '';
          state = S.FRAGMENT;
        } else {
          state = base.scheme === 'file' ? S.FILE : S.RELATIVE;
          --pointer;
        }
        break;
      case S.SPECIAL_RELATIVE_OR_AUTHORITY:
        if (c === '/' && input[pointer + 1] === '/') {
          state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
          ++pointer;
        } else {
          state = S.RELATIVE;
          --pointer;
        }
        break;
      case S.PATH_OR_AUTHORITY:
        if (c === '/') {
          state = S.AUTHORITY;
        } else {
          state = S.PATH;
          --pointer;
        }
        break;
      case S.RELATIVE:
        url.scheme = base.scheme;
        if (c === '/' || (isSpecialScheme(url.scheme) && c === '\\')) {
          state = S.RELATIVE_SLASH;
        } else {
          copyAuthority(url, base);
          url.path = base.path.slice();
          url.query = base.query;
          if (c === '?') {
            url.query = '';
            state = S.QUERY;
          } else if (c === '#') {
            url.fragment = '';
            state = S.FRAGMENT;
          } else if (c !== undefined) {
            url.query = null;
            shortenPath(url);
            state = S.PATH;
            --pointer;
          }
        }
        break;
      case S.RELATIVE_SLASH:
        if (special && (c === '/' || c === '\\')) {
          state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
        } else if (c === '/') {
          state = S.AUTHORITY;
        } else {
          copyAuthority(url, base);
          state = S.PATH;
          --pointer;
        }
        break;
      case S.SPECIAL_AUTHORITY_SLASHES:
        state = S.SPECIAL_AUTHORITY_IGNORE_SLASHES;
        if (c === '/' && input[pointer + 1] === '/')
          ++pointer;
        else
          --pointer;
        break;
      case S.SPECIAL_AUTHORITY_IGNORE_SLASHES:
        if (c !== '/' && c !== '\\') {
          state = S.AUTHORITY;
          --pointer;
        }
        break;
      case S.AUTHORITY:
        if (c === '@') {
          if (atSignSeen) buffer = '%40' + buffer;
          atSignSeen = true;
          const colon = passwordTokenSeen ? -1 : buffer.indexOf(':');
          if (colon >= 0) {
            passwordTokenSeen = true;
            url.username += percentEncode(buffer.slice(0, colon), sets.userinfo);
            url.password += percentEncode(buffer.slice(colon + 1), sets.userinfo);
          } else if (passwordTokenSeen) {
            url.password += percentEncode(buffer, sets.userinfo);
          } else {
            url.username += percentEncode(buffer, sets.userinfo);
          }
          buffer = '';
        } else if (
            c === undefined || c === '/' || c === '?' || c === '#' || (special && c === '\\')) {
          if (atSignSeen && buffer === '') return null;
          pointer -= buffer.length + 1;
          buffer = '';
          state = S.HOST;
        } else {
          buffer += c;
        }
        break;
      case S.HOST:
      case S.HOSTNAME:
        if (stateOverride && url.scheme === 'file') {
          --pointer;
          state = S.FILE_HOST;
        } else if (c === ':' && !insideBrackets) {
          if (buffer === '') return null;
          if (stateOverride === S.HOSTNAME) return null;
          const host = parseHost(buffer, !special);
          if (host === null) return null;
          url.host = host;
          buffer = '';
          state = S.PORT;
        } else if (
            c === undefined || c === '/' || c === '?' || c === '#' || (special && c === '\\')) {
          --pointer;
          if (special && buffer === '') return null;
          if (stateOverride && buffer === '' && (hasCredentials(url) || url.port !== null))
            return null;
          const host = parseHost(buffer, !special);
          if (host === null) return null;
          url.host = host;
          buffer = '';
          state = S.PATH_START;
          if (stateOverride) return url;
        } else {
          if (c === '[') insideBrackets = true;
          if (c === ']') insideBrackets = false;
          buffer += c;
        }
        break;
      case S.PORT:
        if (c !== undefined && isDigit(c)) {
          buffer += c;
        } else if (
            c === undefined || c === '/' || c === '?' || c === '#' || (special && c === '\\') ||
            stateOverride) {
          if (buffer !== '') {
            const port = parseInt(buffer, 10);
            if (port > 65535) return null;
            url.port = port === defaultPort(url.scheme) ? null : port;
            buffer = '';
          }
          if (stateOverride) return url;
          state = S.PATH_START;
          --pointer;
        } else {
          return null;
        }
        break;
      case S.FILE:
        url.scheme = 'file';
        url.host = '';
        if (c === '/' || c === '\\') {
          state = S.FILE_SLASH;
        } else if (base !== null && base.scheme === 'file') {
          url.host = base.host;
          url.path = base.path.slice();
          url.query = base.query;
          if (c === '?') {
            url.query = '';
            state = S.QUERY;
          } else if (c === '#') {
            url.fragment = '';
            state = S.FRAGMENT;
          } else if (c !== undefined) {
            url.query = null;
            if (!startsWithWindowsDriveLetter(input, pointer))
              shortenPath(url);
            else
              url.path = [];
            state = S.PATH;
            --pointer;
          }
        } else {
          state = S.PATH;
          --pointer;
        }
        break;
      case S.FILE_SLASH:
        if (c === '/' || c === '\\') {
          state = S.FILE_HOST;
        } else {
          if (base !== null && base.scheme === 'file') {
            url.host = base.host;
            if (!startsWithWindowsDriveLetter(input, pointer) &&
                isNormalizedWindowsDriveLetter(base.path[0] ?? '')) {
              url.path.push(base.path[0]);
            }
          }
          state = S.PATH;
          --pointer;
        }
        break;
      case S.FILE_HOST:
        if (c === undefined || c === '/' || c === '\\' || c === '?' || c === '#') {
          --pointer;
          if (!stateOverride && isWindowsDriveLetter(buffer)) {
            state = S.PATH;  // buffer is kept: it becomes the first path segment
          } else if (buffer === '') {
            url.host = '';
            if (stateOverride) return url;
            state = S.PATH_START;
          } else {
            let host = parseHost(buffer, false);
            if (host === null) return null;
            if (host === 'localhost') host = '';
            url.host = host;
            if (stateOverride) return url;
            buffer = '';
            state = S.PATH_START;
          }
        } else {
          buffer += c;
        }
        break;
      case S.PATH_START:
        if (special) {
          state = S.PATH;
          if (c !== '/' && c !== '\\') --pointer;
        } else if (!stateOverride && c === '?') {
          url.query = '';
          state = S.QUERY;
        } else if (!stateOverride && c === '#') {
          url.fragment = '';
          state = S.FRAGMENT;
        } else if (c !== undefined) {
          state = S.PATH;
          if (c !== '/') --pointer;
        } else if (stateOverride && url.host === null) {
          url.path.push('');
        }
        break;
      case S.PATH:
        if (c === undefined || c === '/' || (special && c === '\\') ||
            (!stateOverride && (c === '?' || c === '#'))) {
          const slash = c === '/' || (special && c === '\\');
          if (isDoubleDot(buffer)) {
            shortenPath(url);
            if (!slash) url.path.push('');
          } else if (isSingleDot(buffer) && !slash) {
            url.path.push('');
          } else if (!isSingleDot(buffer)) {
            if (url.scheme === 'file' && url.path.length === 0 && isWindowsDriveLetter(buffer)) {
              buffer = buffer[0] + ':';
            }
            url.path.push(percentEncode(buffer, sets.path));
          }
          buffer = '';
          if (c === '?') {
            url.query = '';
            state = S.QUERY;
          } else if (c === '#') {
            url.fragment = '';
            state = S.FRAGMENT;
          }
        } else {
          buffer += c;
        }
        break;
      case S.OPAQUE_PATH:
        if (c === '?') {
          url.query = '';
          state = S.QUERY;
        } else if (c === '#') {
          url.fragment = '';
          state = S.FRAGMENT;
        } else if (c !== undefined) {
          const end = input.slice(pointer).search(/[?#]/);
          const chunk = end < 0 ? input.slice(pointer) : input.slice(pointer, pointer + end);
          url.path += percentEncode(chunk, sets.c0Control);
          pointer += chunk.length - 1;
        }
        break;
      case S.QUERY:
        if ((!stateOverride && c === '#') || c === undefined) {
          url.query += percentEncode(buffer, special ? sets.specialQuery : sets.query);
          buffer = '';
          if (c === '#') {
            url.fragment = '';
            state = S.FRAGMENT;
          }
        } else {
          buffer += c;
        }
        break;
      case S.FRAGMENT:
        if (c !== undefined) {
          url.fragment += percentEncode(input.slice(pointer), sets.fragment);
          pointer = length - 1;
        }
        break;
    }
  }
  return url;
}

function serializePath(url) {
  if (typeof url.path === 'string') return url.path;
  let out = '';
  for (const segment of url.path) out += '/' + segment;
  return out;
}

function serialize(url, excludeFragment = false) {
  let out = url.scheme + ':';
  if (url.host !== null) {
    out += '//';
    if (hasCredentials(url)) {
      out += url.username;
      if (url.password !== '') out += ':' + url.password;
      out += '@';
    }
    out += url.host;
    if (url.port !== null) out += ':' + url.port;
  } else if (typeof url.path !== 'string' && url.path.length > 1 && url.path[0] === '') {
    out += '/.';
  }
  out += serializePath(url);
  if (url.query !== null) out += '?' + url.query;
  if (!excludeFragment && url.fragment !== null) out += '#' + url.fragment;
  return out;
}

internal.basicParse = basicParse;
internal.serializeUrl = serialize;
internal.serializePath = serializePath;
internal.isSpecialScheme = isSpecialScheme;
})
