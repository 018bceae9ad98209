// Headers (WHATWG Fetch, "Headers class"). Names are stored lower-cased, in insertion order;
// iteration sorts and combines as the spec's "sort and combine" does, with each Set-Cookie
// value yielded on its own. Incoming request headers carry the "immutable" guard, as in Workers.

const kTokenChars = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const kHttpWhitespace = /^[\t\n\r ]+|[\t\n\r ]+$/g;

function normalizeHeaderName(name) {
  name = `${name}`;
  if (!kTokenChars.test(name)) throw new TypeError(`Invalid header name: "${name}"`);
  return name.toLowerCase();
}

function normalizeHeaderValue(value) {
  value = `${value}`.replace(kHttpWhitespace, '');
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13 || c > 255) {
      throw new TypeError(`Invalid header value: "${value}"`);
    }
  }
  return value;
}

let headersList;      // (headers) -> [[name, value], ...], the live list
let headersSetGuard;  // (headers, guard)
let headersGuard;     // (headers) -> guard

class Headers {
  #list = [];
  #guard = 'none';

  static {
    headersList = (h) => h.#list;
    headersSetGuard = (h, guard) => {
      h.#guard = guard;
    };
    headersGuard = (h) => h.#guard;
  }

  constructor(init = undefined) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [name, value] of init.#list) this.#list.push([name, value]);
      return;
    }
    if (typeof init !== 'object' && typeof init !== 'function') {
      throw new TypeError("Failed to construct 'Headers': The provided value is not of type " +
                          "'(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
    }
    if (typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const entry = [...pair];
        if (entry.length !== 2) {
          throw new TypeError("Failed to construct 'Headers': Invalid value (each header must " +
                              'be a [name, value] pair)');
        }
        this.append(entry[0], entry[1]);
      }
      return;
    }
    for (const key of Reflect.ownKeys(init)) {
      const desc = Reflect.getOwnPropertyDescriptor(init, key);
      if (desc === undefined || !desc.enumerable) continue;
      if (typeof key === 'symbol') throw new TypeError('Header names must be strings');
      this.append(key, init[key]);
    }
  }

  #checkMutable() {
    if (this.#guard === 'immutable') throw new TypeError("Can't modify immutable headers.");
  }

  append(name, value) {
    if (arguments.length < 2) throw new TypeError('Headers.append requires 2 arguments');
    name = normalizeHeaderName(name);
    value = normalizeHeaderValue(value);
    this.#checkMutable();
    this.#list.push([name, value]);
  }

  delete(name) {
    if (arguments.length < 1) throw new TypeError('Headers.delete requires 1 argument');
    name = normalizeHeaderName(name);
    this.#checkMutable();
    this.#list = this.#list.filter((entry) => entry[0] !== name);
  }

  get(name) {
    if (arguments.length < 1) throw new TypeError('Headers.get requires 1 argument');
    name = normalizeHeaderName(name);
    let result = null;
    for (const [n, v] of this.#list) {
      if (n === name) result = result === null ? v : `${result}, ${v}`;
    }
    return result;
  }

  getSetCookie() {
    const result = [];
    for (const [n, v] of this.#list) {
      if (n === 'set-cookie') result.push(v);
    }
    return result;
  }

  // Workers' older spelling, kept for scripts written against it.
  getAll(name) {
    if (normalizeHeaderName(name) !== 'set-cookie') {
      throw new TypeError('getAll() can only be used with the header name "Set-Cookie".');
    }
    return this.getSetCookie();
  }

  has(name) {
    if (arguments.length < 1) throw new TypeError('Headers.has requires 1 argument');
    name = normalizeHeaderName(name);
    return this.#list.some((entry) => entry[0] === name);
  }

  set(name, value) {
    if (arguments.length < 2) throw new TypeError('Headers.set requires 2 arguments');
    name = normalizeHeaderName(name);
    value = normalizeHeaderValue(value);
    this.#checkMutable();
    const index = this.#list.findIndex((entry) => entry[0] === name);
    if (index === -1) {
      this.#list.push([name, value]);
      return;
    }
    this.#list[index][1] = value;
    this.#list = this.#list.filter((entry, i) => i <= index || entry[0] !== name);
  }

  // The spec's "sort and combine": names ascending, values of one name joined with ", ",
  // except Set-Cookie whose values stay separate.
  #sortedAndCombined() {
    const names = [...new Set(this.#list.map((entry) => entry[0]))].sort();
    const result = [];
    for (const name of names) {
      if (name === 'set-cookie') {
        for (const value of this.getSetCookie()) result.push([name, value]);
      } else {
        result.push([name, this.get(name)]);
      }
    }
    return result;
  }

  forEach(callback, thisArg = undefined) {
    if (typeof callback !== 'function') {
      throw new TypeError("Headers.forEach: parameter 1 is not of type 'Function'.");
    }
    for (const [name, value] of this.#sortedAndCombined()) {
      callback.call(thisArg, value, name, this);
    }
  }

  * entries() {
    for (const entry of this.#sortedAndCombined()) yield entry;
  }

  * keys() {
    for (const entry of this.#sortedAndCombined()) yield entry[0];
  }

  * values() {
    for (const entry of this.#sortedAndCombined()) yield entry[1];
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  get [Symbol.toStringTag]() {
    return 'Headers';
  }
}

function makeHeadersFromFlatList(flat, guard) {
  const headers = new Headers();
  const list = headersList(headers);
  for (let i = 0; i + 1 < flat.length; i += 2) list.push([flat[i].toLowerCase(), flat[i + 1]]);
  headersSetGuard(headers, guard);
  return headers;
}

function flattenHeaders(headers) {
  const flat = [];
  for (const [name, value] of headersList(headers)) flat.push(name, value);
  return flat;
}
