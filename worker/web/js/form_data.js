// FormData (XHR Standard): an ordered list of entries whose values are strings or Files, with
// live iteration. Its multipart/form-data encoding and parsing are in multipart.js; the
// application/x-www-form-urlencoded ones come from the URL family (internal.urlForms).
(function(global, natives, internal) {
'use strict';
const {TypeError, String, Symbol} = internal.originals;
const blobs = internal.blobFamily;  // blob.js, earlier in this family
const {File, bytesOf} = blobs;

// WebIDL USVString: lone surrogates become U+FFFD.
const kLoneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const toUSVString = (value) => String(value).replace(kLoneSurrogate, '\uFFFD');

// XHR's "create an entry": a Blob value becomes a File (named "blob" unless a filename is
// given); anything else a string.
function makeEntry(name, value, filename, argumentCount, method) {
  name = toUSVString(name);
  if (bytesOf(value) !== undefined) {
    const isFile = value instanceof File;
    if (!isFile || filename !== undefined) {
      const fileName = filename !== undefined ? toUSVString(filename) :
          isFile                              ? value.name :
                                                'blob';
      value = new File([value], fileName, {
        type: value.type,
        lastModified: isFile ? value.lastModified : undefined,
      });
    }
    return [name, value];
  }
  if (argumentCount > 2) {
    throw new TypeError(
        `Failed to execute '${method}' on 'FormData': parameter 2 is not of ` +
        'type \'Blob\'.');
  }
  return [name, toUSVString(value)];
}

function requireArguments(count, needed, method) {
  if (count < needed) {
    throw new TypeError(
        `Failed to execute '${method}' on 'FormData': ${needed} argument` +
        `${needed > 1 ? 's' : ''} required, but only ${count} present.`);
  }
}

let entriesOf;   // (formData) -> its live entry list
let isFormData;  // (value) -> whether it is a FormData

class FormData {
  #entries = [];

  static {
    entriesOf = (form) => form.#entries;
    isFormData = (value) => typeof value === 'object' && value !== null && #entries in value;
  }

  constructor(form = undefined) {
    if (form !== undefined) {
      throw new TypeError(
          'Failed to construct \'FormData\': there are no form elements here ' +
          '(the argument must be left out).');
    }
  }

  append(name, value, filename = undefined) {
    requireArguments(arguments.length, 2, 'append');
    this.#entries.push(makeEntry(name, value, filename, arguments.length, 'append'));
  }

  delete(name) {
    requireArguments(arguments.length, 1, 'delete');
    name = toUSVString(name);
    this.#entries = this.#entries.filter((entry) => entry[0] !== name);
  }

  get(name) {
    requireArguments(arguments.length, 1, 'get');
    name = toUSVString(name);
    const entry = this.#entries.find((each) => each[0] === name);
    return entry === undefined ? null : entry[1];
  }

  getAll(name) {
    requireArguments(arguments.length, 1, 'getAll');
    name = toUSVString(name);
    return this.#entries.filter((entry) => entry[0] === name).map((entry) => entry[1]);
  }

  has(name) {
    requireArguments(arguments.length, 1, 'has');
    name = toUSVString(name);
    return this.#entries.some((entry) => entry[0] === name);
  }

  set(name, value, filename = undefined) {
    requireArguments(arguments.length, 2, 'set');
    const entry = makeEntry(name, value, filename, arguments.length, 'set');
    const index = this.#entries.findIndex((each) => each[0] === entry[0]);
    if (index === -1) {
      this.#entries.push(entry);
      return;
    }
    this.#entries[index] = entry;
    this.#entries = this.#entries.filter((each, i) => i <= index || each[0] !== entry[0]);
  }

  forEach(callback, thisArg = undefined) {
    if (typeof callback !== 'function') {
      throw new TypeError(
          'Failed to execute \'forEach\' on \'FormData\': parameter 1 is not of ' +
          'type \'Function\'.');
    }
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  // Live, as WebIDL's iterable declarations are: entries added while iterating are visited.
  * entries() {
    for (let i = 0; i < this.#entries.length; i++) {
      const [name, value] = this.#entries[i];
      yield [name, value];
    }
  }
  * keys() {
    for (const [name] of this.entries()) yield name;
  }
  * values() {
    for (const [, value] of this.entries()) yield value;
  }
  [Symbol.iterator]() { return this.entries(); }
}

internal.isFormData = isFormData;
blobs.FormData = FormData;
blobs.formEntries = (form) => entriesOf(form);
blobs.appendEntry = (form, name, value) => entriesOf(form).push([name, value]);
internal.exposeClass(FormData, 'FormData');
})
