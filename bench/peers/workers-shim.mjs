// A tiny Workers-style API for Node.js, just enough for the benchmark scripts in bench/scripts/:
// addEventListener("fetch"), FetchEvent.respondWith, Request, Response, Headers. The same
// classes serve the plain form (script evaluated once) and the vm form (script evaluated in a
// fresh vm context per request; the classes are handed in from this realm, so instanceof
// checks below use realm-independent tests).
import { Buffer } from "node:buffer";
import { webcrypto } from "node:crypto";

const toBuffer = (body) => {
  if (body === null || body === undefined) return Buffer.alloc(0);
  if (typeof body === "string") return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (Object.prototype.toString.call(body) === "[object ArrayBuffer]") return Buffer.from(body);
  if (body && typeof body.bytes === "function") return body.bytes();  // our Response/Request
  return Buffer.from(String(body));
};

export class Headers {
  #map = new Map();
  constructor(init) {
    if (!init) return;
    const pairs = init instanceof Headers || Array.isArray(init) ? init : Object.entries(init);
    for (const [name, value] of pairs) this.append(name, value);
  }
  get(name) {
    const value = this.#map.get(String(name).toLowerCase());
    return value === undefined ? null : value;
  }
  has(name) { return this.#map.has(String(name).toLowerCase()); }
  set(name, value) { this.#map.set(String(name).toLowerCase(), String(value)); }
  append(name, value) {
    const key = String(name).toLowerCase();
    const old = this.#map.get(key);
    this.#map.set(key, old === undefined ? String(value) : `${old}, ${value}`);
  }
  delete(name) { this.#map.delete(String(name).toLowerCase()); }
  forEach(callback, thisArg) { for (const [k, v] of this.#map) callback.call(thisArg, v, k, this); }
  entries() { return this.#map.entries(); }
  keys() { return this.#map.keys(); }
  values() { return this.#map.values(); }
  [Symbol.iterator]() { return this.#map.entries(); }
}

class Body {
  #bytes;
  constructor(body) { this.#bytes = toBuffer(body); }
  bytes() { return this.#bytes; }
  async arrayBuffer() {
    const b = this.#bytes;
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  }
  async text() { return this.#bytes.toString("utf8"); }
  async json() { return JSON.parse(this.#bytes.toString("utf8")); }
}

export class Request extends Body {
  constructor(url, init = {}) {
    super(init.body);
    this.url = String(url);
    this.method = (init.method || "GET").toUpperCase();
    this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
  }
}

export class Response extends Body {
  constructor(body = null, init = {}) {
    super(body);
    this.status = init.status ?? 200;
    this.statusText = init.statusText ?? "";
    this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
  }
  get ok() { return this.status >= 200 && this.status < 300; }
  static json(value, init = {}) {
    const headers = new Headers(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(JSON.stringify(value), { ...init, headers });
  }
}

// Returns { addEventListener, handler() } for one evaluation of a script.
export function fetchRegistry() {
  let handler = null;
  return {
    addEventListener(type, listener) { if (type === "fetch") handler = listener; },
    handler() { return handler; },
  };
}

// Runs the fetch listener on `request`; resolves to the Response it answered with.
export function dispatchFetch(listener, request) {
  return new Promise((resolve, reject) => {
    let responded = false;
    const event = {
      type: "fetch",
      request,
      respondWith(response) { responded = true; resolve(response); },
      waitUntil() {},
      passThroughOnException() {},
    };
    try {
      listener(event);
    } catch (error) {
      reject(error);
      return;
    }
    if (!responded) reject(new Error("the fetch listener did not call respondWith()"));
  });
}

// Globals a Workers script expects, for a fresh vm context (or for globalThis in plain form).
// fetch() through Node's own (undici), its answer read whole into this shim's Response.
const nodeFetch = globalThis.fetch;
async function shimFetch(input, init) {
  const answer = await nodeFetch(typeof input === "string" ? input : String(input.url ?? input), init);
  const body = Buffer.from(await answer.arrayBuffer());
  return new Response(body, { status: answer.status, headers: [...answer.headers] });
}

export function workerGlobals(addEventListener) {
  return {
    addEventListener, Request, Response, Headers, URL, URLSearchParams, TextEncoder, TextDecoder,
    setTimeout, clearTimeout, queueMicrotask, console, atob, btoa, structuredClone,
    crypto: webcrypto,  // Hono's etag() digests with crypto.subtle
    fetch: shimFetch,
  };
}
