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

// The values of one name's entries joined as the spec's "get" does.
function combined(entries) {
  let result = entries[0][1];
  for (let i = 1; i < entries.length; i++) result += `, ${entries[i][1]}`;
  return result;
}

let headersAppendTrusted;  // (headers, name, value): an already normalized entry, no guard check
let headersEntries;        // (headers) -> [[name, value], ...] in insertion order (live entries)
let headersSetGuard;       // (headers, guard)
let headersGuard;          // (headers) -> guard

// Every operation costs O(1) amortized, or O(values of that name); iteration O(n log n). A
// script can append thousands of headers: a list scanned per lookup made that quadratic (3,000
// distinct names took 350 ms of CPU to iterate).
class Headers {
  // [name, value] entries in insertion order. A removed entry stays behind as a hole (its name
  // set to null) until holes are half the list, so delete() and set() need not shift the rest.
  #list = [];
  #holes = 0;
  // name -> its entries in insertion order; built at the first lookup, since most Headers are
  // only made and passed on (a request's incoming headers, a response's outgoing ones).
  #index = null;
  #guard = 'none';

  static {
    headersAppendTrusted = (h, name, value) => h.#add(name, value);
    headersEntries = (h) => h.#live();
    headersSetGuard = (h, guard) => {
      h.#guard = guard;
    };
    headersGuard = (h) => h.#guard;
  }

  constructor(init = undefined) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [name, value] of init.#live()) this.#list.push([name, value]);
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

  #indexed() {
    if (this.#index === null) {
      this.#index = new Map();
      for (const entry of this.#list) {
        if (entry[0] === null) continue;
        const same = this.#index.get(entry[0]);
        if (same === undefined) this.#index.set(entry[0], [entry]); else same.push(entry);
      }
    }
    return this.#index;
  }

  #add(name, value) {
    const entry = [name, value];
    this.#list.push(entry);
    if (this.#index === null) return;
    const same = this.#index.get(name);
    if (same === undefined) this.#index.set(name, [entry]); else same.push(entry);
  }

  // Turns entries (already out of the index) into holes; compacts once holes are half the list.
  #remove(entries, from) {
    for (let i = from; i < entries.length; i++) entries[i][0] = null;
    this.#holes += entries.length - from;
    if (this.#holes > 16 && this.#holes * 2 > this.#list.length) {
      this.#list = this.#list.filter((entry) => entry[0] !== null);
      this.#holes = 0;
    }
  }

  #live() {
    return this.#holes === 0 ? this.#list : this.#list.filter((entry) => entry[0] !== null);
  }

  append(name, value) {
    if (arguments.length < 2) throw new TypeError('Headers.append requires 2 arguments');
    name = normalizeHeaderName(name);
    value = normalizeHeaderValue(value);
    this.#checkMutable();
    this.#add(name, value);
  }

  delete(name) {
    if (arguments.length < 1) throw new TypeError('Headers.delete requires 1 argument');
    name = normalizeHeaderName(name);
    this.#checkMutable();
    const entries = this.#indexed().get(name);
    if (entries === undefined) return;
    this.#index.delete(name);
    this.#remove(entries, 0);
  }

  get(name) {
    if (arguments.length < 1) throw new TypeError('Headers.get requires 1 argument');
    const entries = this.#indexed().get(normalizeHeaderName(name));
    return entries === undefined ? null : combined(entries);
  }

  getSetCookie() {
    const entries = this.#indexed().get('set-cookie');
    return entries === undefined ? [] : entries.map((entry) => entry[1]);
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
    return this.#indexed().has(normalizeHeaderName(name));
  }

  set(name, value) {
    if (arguments.length < 2) throw new TypeError('Headers.set requires 2 arguments');
    name = normalizeHeaderName(name);
    value = normalizeHeaderValue(value);
    this.#checkMutable();
    const entries = this.#indexed().get(name);
    if (entries === undefined) return this.#add(name, value);
    // The first keeps its place with the new value; the others go.
    entries[0][1] = value;
    if (entries.length > 1) {
      this.#remove(entries, 1);
      entries.length = 1;
    }
  }

  // The spec's "sort and combine": names ascending, values of one name joined with ", ",
  // except Set-Cookie whose values stay separate.
  #sortedAndCombined() {
    const index = this.#indexed();
    const names = [...index.keys()].sort();
    const result = [];
    for (const name of names) {
      if (name === 'set-cookie') {
        for (const entry of index.get(name)) result.push([name, entry[1]]);
      } else {
        result.push([name, combined(index.get(name))]);
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
  for (let i = 0; i + 1 < flat.length; i += 2) {
    headersAppendTrusted(headers, flat[i].toLowerCase(), flat[i + 1]);
  }
  headersSetGuard(headers, guard);
  return headers;
}

function flattenHeaders(headers) {
  const flat = [];
  for (const [name, value] of headersEntries(headers)) flat.push(name, value);
  return flat;
}
