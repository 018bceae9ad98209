// URLSearchParams (WHATWG URL section 6.2). A URL links its searchParams through
// internal.linkSearchParams / internal.setSearchParamsList, so changes flow both ways.
(function(global, natives, internal) {
'use strict';
const {parseForm, serializeForm} = internal;

let makeIterator;  // (params, project): set by the static block, which sees #list

class URLSearchParams {
  #list = [];
  #onUpdate = null;  // set when owned by a URL: writes the serialized list into its query

  constructor(init = '') {
    if (typeof init === 'object' && init !== null) {
      if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const entry = Array.from(pair);
          if (entry.length !== 2)
            throw new TypeError('Each query pair must be an iterable [name, value] tuple');
          this.#list.push([String(entry[0]), String(entry[1])]);
        }
      } else {
        for (const key of Reflect.ownKeys(init)) {
          const descriptor = Reflect.getOwnPropertyDescriptor(init, key);
          if (descriptor === undefined || !descriptor.enumerable || typeof key === 'symbol')
            continue;
          this.#list.push([key, String(init[key])]);
        }
      }
    } else {
      let text = String(init);
      if (text.startsWith('?')) text = text.slice(1);
      this.#list = parseForm(text);
    }
  }

  #update() {
    if (this.#onUpdate !== null) this.#onUpdate(serializeForm(this.#list));
  }

  get size() { return this.#list.length; }
  append(name, value) {
    this.#list.push([String(name), String(value)]);
    this.#update();
  }
  delete(name, value = undefined) {
    name = String(name);
    if (value === undefined)
      this.#list = this.#list.filter(([n]) => n !== name);
    else
      this.#list = this.#list.filter(([n, v]) => n !== name || v !== String(value));
    this.#update();
  }
  get(name) {
    name = String(name);
    const found = this.#list.find(([n]) => n === name);
    return found === undefined ? null : found[1];
  }
  getAll(name) {
    name = String(name);
    return this.#list.filter(([n]) => n === name).map(([, v]) => v);
  }
  has(name, value = undefined) {
    name = String(name);
    if (value === undefined) return this.#list.some(([n]) => n === name);
    value = String(value);
    return this.#list.some(([n, v]) => n === name && v === value);
  }
  set(name, value) {
    name = String(name);
    value = String(value);
    const index = this.#list.findIndex(([n]) => n === name);
    if (index < 0) {
      this.#list.push([name, value]);
    } else {
      this.#list[index] = [name, value];
      this.#list = this.#list.filter(([n], i) => i <= index || n !== name);
    }
    this.#update();
  }
  sort() {
    // Stable, by UTF-16 code units of the names (Array.prototype.sort is stable).
    this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#update();
  }
  forEach(callback, thisArg = undefined) {
    if (typeof callback !== 'function')
      throw new TypeError('The \'callback\' argument must be a function.');
    for (let i = 0; i < this.#list.length; ++i) {
      const [name, value] = this.#list[i];
      callback.call(thisArg, value, name, this);
    }
  }
  keys() { return makeIterator(this, (pair) => pair[0]); }
  values() { return makeIterator(this, (pair) => pair[1]); }
  entries() { return makeIterator(this, (pair) => [pair[0], pair[1]]); }
  toString() { return serializeForm(this.#list); }

  static {
    // A live iterator: it sees pairs appended while iterating, as the spec's iterators do.
    makeIterator = (params, project) => {
      const list = () => params.#list;
      let index = 0;
      return {
        __proto__: iteratorPrototype,
        next() {
          if (index >= list().length) return {value: undefined, done: true};
          return {value: project(list()[index++]), done: false};
        },
      };
    };
    internal.linkSearchParams = (params, onUpdate) => {
      params.#onUpdate = onUpdate;
    };
    internal.setSearchParamsList = (params, query) => {
      params.#list = query === null ? [] : parseForm(query);
    };
  }
}
const iteratorPrototype =
    Object.create(Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())), {
      [Symbol.toStringTag]: {value: 'URLSearchParams Iterator', configurable: true},
    });
Object.defineProperty(URLSearchParams.prototype, Symbol.iterator, {
  value: URLSearchParams.prototype.entries,
  writable: true,
  configurable: true,
});

internal.exposeClass(URLSearchParams, 'URLSearchParams');
internal.URLSearchParams = URLSearchParams;
})
