// DOMException (WebIDL). Also puts the helpers every later file uses on `internal`:
// defineGlobal (hands a global to web_platform.cc, which defines it WebIDL-style: writable,
// configurable, non-enumerable; lazily for the lazy families) and exposeClass (sets
// toStringTag). internal.DOMException is the original constructor for the other files, which
// may run long after user code replaced the global.
(function(global, natives, internal) {
'use strict';

function defineGlobal(name, value) {
  internal.exported[name] = value;
}
function exposeClass(cls, name) {
  Object.defineProperty(cls.prototype, Symbol.toStringTag, {value: name, configurable: true});
  defineGlobal(name, cls);
}
internal.defineGlobal = defineGlobal;
internal.exposeClass = exposeClass;
// AbortSignal.timeout (abort.js, which may run long after user code replaced the global) uses
// the runtime's setTimeout: the runtime installs its timers before the web platform.
internal.startTimer = typeof global.setTimeout === 'function' ? global.setTimeout : null;

// WebIDL's "DOMException names" table: name, legacy code, legacy constant.
const kLegacy = [
  ['IndexSizeError', 1, 'INDEX_SIZE_ERR'],
  ['HierarchyRequestError', 3, 'HIERARCHY_REQUEST_ERR'],
  ['WrongDocumentError', 4, 'WRONG_DOCUMENT_ERR'],
  ['InvalidCharacterError', 5, 'INVALID_CHARACTER_ERR'],
  ['NoModificationAllowedError', 7, 'NO_MODIFICATION_ALLOWED_ERR'],
  ['NotFoundError', 8, 'NOT_FOUND_ERR'],
  ['NotSupportedError', 9, 'NOT_SUPPORTED_ERR'],
  ['InvalidStateError', 11, 'INVALID_STATE_ERR'],
  ['SyntaxError', 12, 'SYNTAX_ERR'],
  ['InvalidModificationError', 13, 'INVALID_MODIFICATION_ERR'],
  ['NamespaceError', 14, 'NAMESPACE_ERR'],
  ['InvalidAccessError', 15, 'INVALID_ACCESS_ERR'],
  ['TypeMismatchError', 17, 'TYPE_MISMATCH_ERR'],
  ['SecurityError', 18, 'SECURITY_ERR'],
  ['NetworkError', 19, 'NETWORK_ERR'],
  ['AbortError', 20, 'ABORT_ERR'],
  ['URLMismatchError', 21, 'URL_MISMATCH_ERR'],
  ['QuotaExceededError', 22, 'QUOTA_EXCEEDED_ERR'],
  ['TimeoutError', 23, 'TIMEOUT_ERR'],
  ['InvalidNodeTypeError', 24, 'INVALID_NODE_TYPE_ERR'],
  ['DataCloneError', 25, 'DATA_CLONE_ERR'],
];
const kLegacyCodes = {
  __proto__: null
};
for (const [name, code] of kLegacy) kLegacyCodes[name] = code;

class DOMException extends Error {
  #name;
  #message;
  constructor(message = '', name = 'Error') {
    super();
    this.#message = String(message);
    this.#name = String(name);
  }
  get name() { return this.#name; }
  get message() { return this.#message; }
  get code() { return kLegacyCodes[this.#name] ?? 0; }
}
for (const [, code, constant] of kLegacy) {
  const descriptor = {value: code, enumerable: true};
  Object.defineProperty(DOMException, constant, descriptor);
  Object.defineProperty(DOMException.prototype, constant, descriptor);
}
exposeClass(DOMException, 'DOMException');
internal.DOMException = DOMException;
})
