// Request (WHATWG Fetch, "Request class"), as Cloudflare Workers exposes it: method, url,
// headers, redirect, signal, the members Workers accepts and ignores (mode, credentials, cache,
// integrity, keepalive, ...; they read back with the standard's defaults or what init gave),
// and the Body mixin. Incoming requests are built through a private fast path and get
// immutable headers.

const kIncoming = Symbol('incoming request');
// (request) -> [method, url, headers, redirect, signal or null], read from the private fields
// (fetch.js: user code may replace the getters).
let requestParts;
const kClone = Symbol('clone');
// The methods the spec normalizes to upper case; others keep their case ("patch" stays).
const kKnownMethods = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
const kForbiddenMethods = ['CONNECT', 'TRACE', 'TRACK'];
const kRedirectModes = ['follow', 'error', 'manual'];
// RequestInit's enumerations (Fetch): the values each accepts, the first being the default a
// new Request gets. Made on demand: objects a request's context is born with cost every request.
const kRequestEnumNames = ['mode', 'credentials', 'cache', 'referrerPolicy', 'duplex'];
function requestEnumValues(name) {
  switch (name) {
    case 'mode':
      return ['cors', 'same-origin', 'no-cors'];
    case 'credentials':
      return ['same-origin', 'omit', 'include'];
    case 'cache':
      return ['default', 'no-store', 'reload', 'no-cache', 'force-cache', 'only-if-cached'];
    case 'referrerPolicy':
      return ['', 'no-referrer', 'no-referrer-when-downgrade', 'same-origin', 'origin',
              'strict-origin', 'origin-when-cross-origin', 'strict-origin-when-cross-origin',
              'unsafe-url'];
    default:  // duplex
      return ['half'];
  }
}

function normalizeMethod(method) {
  method = `${method}`;
  if (!kTokenChars.test(method)) throw new TypeError(`Invalid HTTP method: "${method}"`);
  const upper = method.toUpperCase();
  if (kForbiddenMethods.includes(upper)) {
    throw new TypeError(`HTTP method "${method}" is forbidden`);
  }
  return kKnownMethods.includes(upper) ? upper : method;
}

function parseRequestUrl(input) {
  const text = `${input}`;
  if (typeof URL !== 'function') return text;
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Invalid URL: ${text}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`Request URL must not include credentials: ${text}`);
  }
  return url.href;
}

function enumMember(init, name, inherited) {
  const value = init[name];
  if (value === undefined) return inherited;
  const text = `${value}`;
  if (!requestEnumValues(name).includes(text)) {
    throw new TypeError(`Failed to construct 'Request': '${text}' is not a valid ${name}.`);
  }
  return text;
}

// The members this runtime only stores (it makes no requests of its own from them), with
// their defaults; `destination` and the navigation flags only ever read back the default.
const kStoredOptionNames = ['integrity', 'keepalive', 'referrer', 'destination',
                            'isReloadNavigation', 'isHistoryNavigation'];
function defaultOptions() {
  const options = {integrity: '', keepalive: false, referrer: 'about:client', destination: '',
                   isReloadNavigation: false, isHistoryNavigation: false};
  for (const name of kRequestEnumNames) options[name] = requestEnumValues(name)[0];
  return options;
}

class Request extends Body {
  #method = 'GET';
  #url = '';
  #headers;
  #redirect = 'follow';
  #signal = null;
  #options;

  constructor(input, init = undefined) {
    if (input === kIncoming) {
      const headers = makeHeadersFromFlatList(init.headers, 'immutable');
      super(init.body === null ? null : {whole: init.body, stream: null, length: undefined},
            headers);
      this.#method = init.method;
      this.#url = init.url;
      this.#headers = headers;
      this.#options = null;
      return;
    }
    if (input === kClone) {
      const headers = new Headers(init.#headers);
      headersSetGuard(headers, headersGuard(init.#headers));
      super(bodyTee(init), headers);
      this.#method = init.#method;
      this.#url = init.#url;
      this.#headers = headers;
      this.#redirect = init.#redirect;
      this.#signal = init.#signal;
      this.#options = init.#options;
      return;
    }
    if (arguments.length < 1) {
      throw new TypeError("Failed to construct 'Request': 1 argument required, but only 0 present.");
    }
    if (init !== undefined && init !== null && typeof init !== 'object') {
      throw new TypeError("Failed to construct 'Request': parameter 2 is not an object.");
    }
    init ??= {};
    const fromRequest = input instanceof Request;
    const url = fromRequest ? input.#url : parseRequestUrl(input);
    const method = init.method !== undefined ? normalizeMethod(init.method)
                                             : fromRequest ? input.#method : 'GET';
    let redirect = fromRequest ? input.#redirect : 'follow';
    if (init.redirect !== undefined) {
      redirect = `${init.redirect}`;
      if (!kRedirectModes.includes(redirect)) {
        throw new TypeError(`Invalid redirect value: "${redirect}"`);
      }
    }
    const inherited = fromRequest ? input.#options ?? defaultOptions() : defaultOptions();
    const options = {
      integrity: init.integrity !== undefined ? `${init.integrity}` : inherited.integrity,
      keepalive: init.keepalive !== undefined ? Boolean(init.keepalive) : inherited.keepalive,
      referrer: init.referrer !== undefined ? `${init.referrer}` : inherited.referrer,
      destination: '',
      isReloadNavigation: false,
      isHistoryNavigation: false,
    };
    if (init.mode !== undefined && `${init.mode}` === 'navigate') {
      throw new TypeError("Failed to construct 'Request': Cannot construct a Request with a " +
                          "RequestInit whose mode member is set as 'navigate'.");
    }
    for (const name of kRequestEnumNames) options[name] = enumMember(init, name, inherited[name]);
    const headers = new Headers(init.headers !== undefined ? init.headers
                                : fromRequest ? input.#headers : undefined);

    let body = null;
    if (init.body !== undefined && init.body !== null) {
      if (method === 'GET' || method === 'HEAD') {
        throw new TypeError('Request with a GET or HEAD method cannot have a body.');
      }
      body = extractBody(init.body);
      if (body.type !== null && !headers.has('content-type')) {
        headers.append('content-type', body.type);
      }
    } else if (fromRequest && init.body === undefined) {
      const why = bodyUnusable(input);
      if (why !== null) {
        throw new TypeError(`Failed to construct 'Request': the input Request is unusable: ${
            why}.`);
      }
      // The new request takes over the input's body, which counts as read.
      body = bodyTake(input);
      if (body !== null && (method === 'GET' || method === 'HEAD')) {
        throw new TypeError('Request with a GET or HEAD method cannot have a body.');
      }
    }
    super(body, headers);
    this.#method = method;
    this.#url = url;
    this.#headers = headers;
    this.#redirect = redirect;
    this.#signal = init.signal !== undefined ? init.signal : fromRequest ? input.#signal : null;
    this.#options = options;
  }

  get method() {
    return this.#method;
  }
  get url() {
    return this.#url;
  }
  get headers() {
    return this.#headers;
  }
  get redirect() {
    return this.#redirect;
  }
  get signal() {
    if (this.#signal === null && typeof AbortController === 'function') {
      this.#signal = new AbortController().signal;
    }
    return this.#signal;
  }
  get cf() {
    return undefined;
  }

  clone() {
    const why = bodyUnusable(this);
    if (why !== null) throw new TypeError(`Cannot clone a Request: ${why}.`);
    return new Request(kClone, this);
  }

  get [Symbol.toStringTag]() {
    return 'Request';
  }

  static {
    requestParts = (r) => [r.#method, r.#url, r.#headers, r.#redirect, r.#signal];
    // The members stored and read back, each a getter made by the one function below: their
    // code is shared, which keeps a request's fresh context small (see body.js).
    const optionsOf = (request) => request.#options ?? defaultOptions();
    for (const name of [...kRequestEnumNames, ...kStoredOptionNames]) {
      Object.defineProperty(Request.prototype, name, {
        get: function() {
          return optionsOf(this)[name];
        },
        configurable: true,
      });
    }
  }
}

function makeIncomingRequest(method, url, flatHeaders, body) {
  return new Request(kIncoming, {method, url, headers: flatHeaders, body});
}
