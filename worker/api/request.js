// Request (WHATWG Fetch, "Request class"), as Cloudflare Workers exposes it: method, url,
// headers, redirect, signal and the Body mixin. Incoming requests are built through a private
// fast path and get immutable headers.

const kIncoming = Symbol('incoming request');
const kClone = Symbol('clone');
// The methods the spec normalizes to upper case; others keep their case ("patch" stays).
const kKnownMethods = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
const kForbiddenMethods = ['CONNECT', 'TRACE', 'TRACK'];
const kRedirectModes = ['follow', 'error', 'manual'];

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

class Request extends Body {
  #method = 'GET';
  #url = '';
  #headers;
  #redirect = 'follow';
  #signal = null;

  constructor(input, init = undefined) {
    if (input === kIncoming) {
      super(init.body);
      this.#method = init.method;
      this.#url = init.url;
      this.#headers = makeHeadersFromFlatList(init.headers, 'immutable');
      return;
    }
    if (input === kClone) {
      super(bodySource(init));
      this.#method = init.#method;
      this.#url = init.#url;
      this.#headers = new Headers(init.#headers);
      headersSetGuard(this.#headers, headersGuard(init.#headers));
      this.#redirect = init.#redirect;
      this.#signal = init.#signal;
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
    const headers = new Headers(init.headers !== undefined ? init.headers
                                : fromRequest ? input.#headers : undefined);

    let source = null;
    if (init.body !== undefined && init.body !== null) {
      if (method === 'GET' || method === 'HEAD') {
        throw new TypeError('Request with a GET or HEAD method cannot have a body.');
      }
      const extracted = extractBody(init.body);
      source = extracted.source;
      if (extracted.type !== null && !headers.has('content-type')) {
        headers.append('content-type', extracted.type);
      }
    } else if (fromRequest && init.body === undefined && bodySource(input) !== null) {
      if (input.bodyUsed) throw new TypeError('Cannot construct a Request with a used body.');
      if (method === 'GET' || method === 'HEAD') {
        throw new TypeError('Request with a GET or HEAD method cannot have a body.');
      }
      // The new request takes over the input's body, which counts as read.
      source = bodySource(input);
      bodyMarkUsed(input);
    }
    super(source);
    this.#method = method;
    this.#url = url;
    this.#headers = headers;
    this.#redirect = redirect;
    this.#signal = init.signal !== undefined ? init.signal : fromRequest ? input.#signal : null;
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
    if (this.bodyUsed) throw new TypeError('Cannot clone a Request whose body has been used.');
    return new Request(kClone, this);
  }

  get [Symbol.toStringTag]() {
    return 'Request';
  }
}

function makeIncomingRequest(method, url, flatHeaders, body) {
  return new Request(kIncoming, {method, url, headers: flatHeaders, body});
}
