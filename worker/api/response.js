// Response (WHATWG Fetch, "Response class"): status, statusText, ok, headers, url, redirected,
// type, the Body mixin, clone(), and the static json(), redirect() and error(). Also
// internal.serializeResponse, through which the runtime reads the answer (worker/api/README.md).

const kNullBodyStatuses = [101, 103, 204, 205, 304];
const kRedirectStatuses = [301, 302, 303, 307, 308];
const kReasonPhrase = /^[\t\x20-\x7e\x80-\xff]*$/;
const kClonedResponse = Symbol('cloned response');
const kFetchedResponse = Symbol('fetched response');
// (status, statusText, flatHeaders, url, redirected, fetched | null) -> the Response fetch()
// resolves with (fetch.js): immutable headers, the final URL, any status the upstream sent, and
// a fetched body (body.js) or none.
let makeFetchedResponse;

class Response extends Body {
  #status = 200;
  #statusText = '';
  #headers;
  #type = 'default';
  #url = '';
  #redirected = false;

  constructor(body = null, init = undefined) {
    if (body === kFetchedResponse) {
      const headers = makeHeadersFromFlatList(init.flatHeaders, 'immutable');
      super(init.fetched === null ?
                null :
                {whole: null, stream: null, length: undefined, fetched: init.fetched},
            headers);
      this.#status = init.status;
      this.#statusText = init.statusText;
      this.#headers = headers;
      this.#url = init.url;
      this.#redirected = init.redirected;
      return;
    }
    if (body === kClonedResponse) {
      const headers = new Headers(init.#headers);
      headersSetGuard(headers, headersGuard(init.#headers));
      super(bodyTee(init), headers);
      this.#status = init.#status;
      this.#statusText = init.#statusText;
      this.#headers = headers;
      this.#type = init.#type;
      this.#url = init.#url;
      this.#redirected = init.#redirected;
      return;
    }
    if (init !== undefined && init !== null && typeof init !== 'object') {
      throw new TypeError("Failed to construct 'Response': parameter 2 is not an object.");
    }
    init ??= {};
    const status = init.status === undefined ? 200 : Number(init.status);
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`Failed to construct 'Response': The status provided (${init.status}) ` +
                           'is outside the range [200, 599].');
    }
    const statusText = init.statusText === undefined ? '' : `${init.statusText}`;
    if (!kReasonPhrase.test(statusText)) {
      throw new TypeError(`Failed to construct 'Response': Invalid statusText.`);
    }
    const headers = new Headers(init.headers);
    const extracted = extractBody(body);
    if (extracted !== null) {
      if (kNullBodyStatuses.includes(status)) {
        throw new TypeError(`Response with null body status ${status} cannot have a body.`);
      }
      if (extracted.type !== null && !headers.has('content-type')) {
        headers.append('content-type', extracted.type);
      }
    }
    super(extracted, headers);
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = headers;
  }

  static json(data, init = undefined) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Response.json: value is not JSON serializable');
    const headers = new Headers(init?.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(text, {status: init?.status, statusText: init?.statusText, headers});
  }

  static redirect(url, status = 302) {
    const location = parseRequestUrl(url);
    status = Number(status);
    if (!kRedirectStatuses.includes(status)) {
      throw new RangeError(`Invalid redirect status code ${status}`);
    }
    const response = new Response(null, {status, headers: {location}});
    headersSetGuard(response.#headers, 'immutable');
    return response;
  }

  static error() {
    const response = new Response(null);
    response.#status = 0;
    response.#type = 'error';
    headersSetGuard(response.#headers, 'immutable');
    return response;
  }

  get status() {
    return this.#status;
  }
  get statusText() {
    return this.#statusText;
  }
  get ok() {
    return this.#status >= 200 && this.#status <= 299;
  }
  get headers() {
    return this.#headers;
  }
  get url() {
    return this.#url;
  }
  get redirected() {
    return this.#redirected;
  }
  get type() {
    return this.#type;
  }

  clone() {
    const why = bodyUnusable(this);
    if (why !== null) throw new TypeError(`Cannot clone a Response: ${why}.`);
    return new Response(kClonedResponse, this);
  }

  get [Symbol.toStringTag]() {
    return 'Response';
  }

  // [status, flat header list, body, length] for the runtime, or null (and the reason in
  // internal.lastSerializeError) when `value` is not a usable Response. `body`: null, a string,
  // a Uint8Array (whole bodies, also behind an untouched stream made over one), a
  // ReadableStream for the runtime to read, or a number: the id of the subrequest whose body
  // this is, untouched, for the runtime to send on itself (body.js, fetched bodies); `length`:
  // the byte length when it is known (a whole body's, a FixedLengthStream's), else undefined.
  static #serialize(value) {
    internal.lastSerializeError = undefined;
    if (typeof value !== 'object' || value === null || !(#status in value)) {
      internal.lastSerializeError = "the handler's result is not a Response";
      return null;
    }
    if (value.#type === 'error') {
      internal.lastSerializeError = 'the handler returned Response.error()';
      return null;
    }
    const why = bodyUnusable(value);
    if (why !== null) {
      internal.lastSerializeError = `the Response cannot be sent: ${why}`;
      return null;
    }
    const fields = [value.#status, flattenHeaders(value.#headers), null, undefined];
    bodyForRuntime(value, fields, true);
    return fields;
  }
  static {
    internal.serializeResponse = (value) => Response.#serialize(value);
    makeFetchedResponse = (status, statusText, flatHeaders, url, redirected, fetched) =>
        new Response(kFetchedResponse, {status, statusText, flatHeaders, url, redirected, fetched});
  }
}
