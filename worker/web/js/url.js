// The URL class (WHATWG URL section 6.1) over url_parser.js's records, with setters and a
// searchParams object kept in sync with `search` both ways.
(function(global, natives, internal) {
'use strict';
const {URLSearchParams} = internal;  // url_search_params.js's, not the global
const {
  basicParse,
  serializeUrl,
  serializePath,
  isSpecialScheme,
  urlStates: S,
  percentEncode,
  percentEncodeSets: sets,
  linkSearchParams,
  setSearchParamsList
} = internal;

function parseWithBase(url, base) {
  let baseRecord = null;
  if (base !== undefined) {
    baseRecord = basicParse(String(base));
    if (baseRecord === null) return null;
  }
  return basicParse(String(url), baseRecord);
}

// "Potentially strip trailing spaces from an opaque path": once nothing follows an opaque path,
// its trailing spaces would not survive a reparse, so they go.
function stripTrailingSpacesFromOpaquePath(record) {
  if (typeof record.path !== 'string' || record.fragment !== null || record.query !== null) return;
  record.path = record.path.replace(/ +$/, '');
}

const cannotHaveCredentialsOrPort = (r) => r.host === null || r.host === '' || r.scheme === 'file';

class URL {
  #record;
  #searchParams;

  constructor(url, base = undefined) {
    if (arguments.length === 0)
      throw new TypeError('Failed to construct \'URL\': 1 argument required.');
    const record = parseWithBase(url, base);
    if (record === null) throw new TypeError(`Invalid URL: ${String(url)}`);
    this.#record = record;
    this.#searchParams = new URLSearchParams(record.query ?? '');
    linkSearchParams(this.#searchParams, (serialized) => {
      this.#record.query = serialized === '' ? null : serialized;
      if (serialized === '') stripTrailingSpacesFromOpaquePath(this.#record);
    });
  }

  static canParse(url, base = undefined) { return parseWithBase(url, base) !== null; }
  // The URL, or null where the constructor would throw.
  static parse(url, base = undefined) {
    if (arguments.length === 0)
      throw new TypeError('Failed to execute \'parse\' on \'URL\': 1 argument required.');
    // Converted once: a throwing toString propagates, only a failed parse gives null.
    const text = String(url);
    const baseText = base === undefined ? undefined : String(base);
    return parseWithBase(text, baseText) === null ? null : new URL(text, baseText);
  }

  get href() { return serializeUrl(this.#record); }
  set href(value) {
    const record = basicParse(String(value));
    if (record === null) throw new TypeError(`Invalid URL: ${String(value)}`);
    this.#record = record;
    setSearchParamsList(this.#searchParams, record.query);
  }
  toString() { return serializeUrl(this.#record); }
  toJSON() { return serializeUrl(this.#record); }

  get origin() {
    const r = this.#record;
    if (r.scheme === 'blob') {
      const inner = typeof r.path === 'string' ? basicParse(r.path) : null;
      if (inner !== null && (inner.scheme === 'http' || inner.scheme === 'https'))
        return new URL(r.path).origin;
      return 'null';
    }
    if (!isSpecialScheme(r.scheme) || r.scheme === 'file') return 'null';
    return `${r.scheme}://${r.host}${r.port === null ? '' : ':' + r.port}`;
  }

  get protocol() { return this.#record.scheme + ':'; }
  set protocol(value) { basicParse(String(value) + ':', null, this.#record, S.SCHEME_START); }

  get username() { return this.#record.username; }
  set username(value) {
    if (cannotHaveCredentialsOrPort(this.#record)) return;
    this.#record.username = percentEncode(String(value), sets.userinfo);
  }
  get password() { return this.#record.password; }
  set password(value) {
    if (cannotHaveCredentialsOrPort(this.#record)) return;
    this.#record.password = percentEncode(String(value), sets.userinfo);
  }

  get host() {
    const r = this.#record;
    if (r.host === null) return '';
    return r.port === null ? r.host : `${r.host}:${r.port}`;
  }
  set host(value) {
    if (typeof this.#record.path === 'string') return;
    this.#applySetter(String(value), S.HOST);
  }
  get hostname() { return this.#record.host ?? ''; }
  set hostname(value) {
    if (typeof this.#record.path === 'string') return;
    this.#applySetter(String(value), S.HOSTNAME);
  }
  get port() { return this.#record.port === null ? '' : String(this.#record.port); }
  set port(value) {
    if (cannotHaveCredentialsOrPort(this.#record)) return;
    value = String(value);
    if (value === '')
      this.#record.port = null;
    else
      this.#applySetter(value, S.PORT);
  }

  get pathname() { return serializePath(this.#record); }
  set pathname(value) {
    if (typeof this.#record.path === 'string') return;
    const copy = {...this.#record, path: []};
    if (basicParse(String(value), null, copy, S.PATH_START) !== null) this.#record = copy;
  }

  get search() {
    const query = this.#record.query;
    return query === null || query === '' ? '' : '?' + query;
  }
  set search(value) {
    value = String(value);
    if (value === '') {
      this.#record.query = null;
      setSearchParamsList(this.#searchParams, null);
      stripTrailingSpacesFromOpaquePath(this.#record);
      return;
    }
    const input = value[0] === '?' ? value.slice(1) : value;
    this.#record.query = '';
    basicParse(input, null, this.#record, S.QUERY);
    setSearchParamsList(this.#searchParams, input);
  }
  get searchParams() { return this.#searchParams; }

  get hash() {
    const fragment = this.#record.fragment;
    return fragment === null || fragment === '' ? '' : '#' + fragment;
  }
  set hash(value) {
    value = String(value);
    if (value === '') {
      this.#record.fragment = null;
      stripTrailingSpacesFromOpaquePath(this.#record);
      return;
    }
    this.#record.fragment = '';
    basicParse(value[0] === '#' ? value.slice(1) : value, null, this.#record, S.FRAGMENT);
  }

  // Setters leave the URL unchanged when the value is rejected: parse into a copy.
  #applySetter(value, state) {
    const copy = {...this.#record};
    if (typeof copy.path !== 'string') copy.path = copy.path.slice();
    if (basicParse(value, null, copy, state) !== null) this.#record = copy;
  }
}
for (const name
         of ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port',
             'pathname', 'search', 'searchParams', 'hash', 'toString', 'toJSON']) {
  const descriptor = Object.getOwnPropertyDescriptor(URL.prototype, name);
  Object.defineProperty(URL.prototype, name, {...descriptor, enumerable: true});
}

internal.exposeClass(URL, 'URL');
internal.exportInternal('URL', URL);
})
