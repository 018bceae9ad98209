// DOMException (WebIDL). The other files reach the original constructor as
// internal.DOMException (a lazy property like the global: see web_platform.cc), never through
// the global, which user code may have replaced by the time they run.
(function(global, natives, internal) {
'use strict';
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
// One defineProperties per object: 42 defineProperty calls cost ~30 µs more in a fresh context.
const constants = {__proto__: null};
for (const [, code, constant] of kLegacy) constants[constant] = {value: code, enumerable: true};
Object.defineProperties(DOMException, constants);
Object.defineProperties(DOMException.prototype, constants);
internal.exposeClass(DOMException, 'DOMException');
})
