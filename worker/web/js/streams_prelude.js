// The streams family, part one of three: the opening of the function every web platform file
// evaluates to. web-streams-polyfill's ponyfill.js (pinned in third_party/npm-packages.txt,
// joined in unchanged between this file and streams_epilogue.js by cmake/WsupJoinJs.cmake) runs
// inside it, so the globals it reads resolve to the constants below, not to the context's
// global object, which user code may have changed before the family's first use:
//  - the builtins as webidl.js captured them when the context was made (internal.originals);
//  - `structuredClone`, which the polyfill calls only to transfer an ArrayBuffer (byte streams
//    move the buffer of an enqueued chunk): a native that detaches it (natives_streams.cc);
//  - `globalThis`, which it reads only for DOMException (pipeTo's "AbortError"), and
//    `AbortController` (WritableStream's controller.signal): stand-ins that make the originals
//    through `internal`, so that neither family is built before it is needed.
// `exports` and `module` make the polyfill's UMD header hand its classes to `exports`.
(function(global, natives, internal) {
'use strict';
const {
  Object,
  Promise,
  Symbol,
  TypeError,
  RangeError,
  Error,
  Number,
  Math,
  Uint8Array,
  ArrayBuffer,
  DataView,
  String,
  Boolean,
  Function,
  isFinite,
  queueMicrotask,
  WeakMap,  // the rest for streams_epilogue.js
  Reflect,
} = internal.originals;
const {transferArrayBuffer} = natives;
const structuredClone = (buffer) => transferArrayBuffer(buffer);
// The polyfill probes its DOMException once with `new DOMException()`; only a call with
// arguments (a real error) builds the DOMException family.
function DOMException(message, name) {
  if (arguments.length === 0) return;
  return new internal.DOMException(message, name);
}
function AbortController() { return new internal.AbortController(); }
const globalThis = {DOMException};
const exports = {};
const module = {exports};
