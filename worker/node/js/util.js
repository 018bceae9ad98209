// node:util — promisify, callbackify, inspect and format (util_inspect.js), inherits, deprecate,
// isDeepStrictEqual, types, TextEncoder/TextDecoder and the legacy is* predicates, written for
// wsup (Node's own util needs Node's internals).
import {deepEqual} from 'wsup:node-deep-equal';
import {format, formatWithOptions, inspect} from 'wsup:node-inspect';
import * as natives from 'wsup:node-natives';

export {format, formatWithOptions, inspect};

const kCustomPromisify = Symbol.for('nodejs.util.promisify.custom');

// ---- types: what V8 knows of a value (natives) or what JavaScript can tell alone
const isTypedArray = (value) => ArrayBuffer.isView(value) && !(value instanceof DataView);
const typedArrayIs = (name) => (value) => natives.typedArrayName(value) === name;

export const types = Object.freeze({
  isAnyArrayBuffer: (v) => v instanceof ArrayBuffer || natives.isSharedArrayBuffer(v),
  isArrayBuffer: (v) => natives.isArrayBuffer(v),
  isSharedArrayBuffer: (v) => natives.isSharedArrayBuffer(v),
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isArgumentsObject: (v) => natives.isArgumentsObject(v),
  isAsyncFunction: (v) => natives.isAsyncFunction(v),
  isGeneratorFunction: (v) => natives.isGeneratorFunction(v),
  isGeneratorObject: (v) => natives.isGeneratorObject(v),
  isPromise: (v) => natives.isPromise(v),
  isProxy: (v) => natives.isProxy(v),
  isRegExp: (v) => natives.isRegExp(v),
  isDate: (v) => natives.isDate(v),
  isMap: (v) => natives.isMap(v),
  isSet: (v) => natives.isSet(v),
  isWeakMap: (v) => natives.isWeakMap(v),
  isWeakSet: (v) => natives.isWeakSet(v),
  isMapIterator: (v) => natives.isMapIterator(v),
  isSetIterator: (v) => natives.isSetIterator(v),
  isNativeError: (v) => natives.isNativeError(v),
  isBoxedPrimitive: (v) => natives.isBoxedPrimitive(v),
  isNumberObject: (v) => natives.isNumberObject(v),
  isStringObject: (v) => natives.isStringObject(v),
  isBooleanObject: (v) => natives.isBooleanObject(v),
  isBigIntObject: (v) => natives.isBigIntObject(v),
  isSymbolObject: (v) => natives.isSymbolObject(v),
  isModuleNamespaceObject: (v) => natives.isModuleNamespaceObject(v),
  isDataView: (v) => v instanceof DataView,
  isTypedArray,
  isUint8Array: typedArrayIs('Uint8Array'),
  isUint8ClampedArray: typedArrayIs('Uint8ClampedArray'),
  isUint16Array: typedArrayIs('Uint16Array'),
  isUint32Array: typedArrayIs('Uint32Array'),
  isInt8Array: typedArrayIs('Int8Array'),
  isInt16Array: typedArrayIs('Int16Array'),
  isInt32Array: typedArrayIs('Int32Array'),
  isFloat32Array: typedArrayIs('Float32Array'),
  isFloat64Array: typedArrayIs('Float64Array'),
  isBigInt64Array: typedArrayIs('BigInt64Array'),
  isBigUint64Array: typedArrayIs('BigUint64Array'),
  isKeyObject: () => false,
  isCryptoKey: (v) => typeof CryptoKey === 'function' && v instanceof CryptoKey,
});

// ---- functions
export function promisify(original) {
  if (typeof original !== 'function')
    throw new TypeError('The "original" argument must be of type function');
  const custom = original[kCustomPromisify];
  if (typeof custom === 'function')
    return Object.defineProperty(custom, kCustomPromisify, {value: custom});
  function promisified(...args) {
    return new Promise((resolve, reject) => {
      Reflect.apply(original, this, [
        ...args,
        (error, ...values) => {
          if (error)
            reject(error);
          else
            resolve(values[0]);
        }
      ]);
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(original));
  Object.defineProperty(promisified, kCustomPromisify, {value: promisified});
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(original));
}
promisify.custom = kCustomPromisify;

export function callbackify(original) {
  if (typeof original !== 'function')
    throw new TypeError('The "original" argument must be of type function');
  return function callbackified(...args) {
    const callback = args.pop();
    if (typeof callback !== 'function')
      throw new TypeError('The last argument must be of type function');
    Reflect.apply(original, this, args)
        .then((value) => queueMicrotask(() => callback(null, value)), (reason) => {
          if (!reason) {
            const error = new Error('Promise was rejected with a falsy value');
            error.reason = reason;
            reason = error;
          }
          queueMicrotask(() => callback(reason));
        });
  };
}

export function inherits(constructor, superConstructor) {
  if (typeof constructor !== 'function' || typeof superConstructor !== 'function' ||
      superConstructor.prototype === undefined) {
    throw new TypeError('The "ctor" and "superCtor" arguments must be functions with a prototype');
  }
  Object.defineProperty(
      constructor, 'super_', {value: superConstructor, writable: true, configurable: true});
  Object.setPrototypeOf(constructor.prototype, superConstructor.prototype);
}

const warned = new Set();
export function deprecate(fn, message, code = undefined) {
  return function deprecated(...args) {
    const key = code ?? message;
    if (!warned.has(key)) {
      warned.add(key);
      console.warn(`(wsup) ${code ? `[${code}] ` : ''}DeprecationWarning: ${message}`);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : Reflect.apply(fn, this, args);
  };
}

export function isDeepStrictEqual(a, b) { return deepEqual(a, b, true); }

export function debuglog() {
  const log = () => {};
  log.enabled = false;
  return log;
}
export {debuglog as debug};

export function stripVTControlCharacters(text) {
  return String(text).replace(
      /[\u001B\u009B][[\]()#;?]*(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007|(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~])/g,
      '');
}

export function toUSVString(text) {
  return String(text).toWellFormed?.() ??
      String(text).replace(
          /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

// The legacy predicates (deprecated in Node, still imported by old packages).
export const isArray = Array.isArray;
export const isBoolean = (v) => typeof v === 'boolean';
export const isNull = (v) => v === null;
export const isNullOrUndefined = (v) => v === null || v === undefined;
export const isNumber = (v) => typeof v === 'number';
export const isString = (v) => typeof v === 'string';
export const isSymbol = (v) => typeof v === 'symbol';
export const isUndefined = (v) => v === undefined;
export const isRegExp = types.isRegExp;
export const isObject = (v) => v !== null && typeof v === 'object';
export const isDate = types.isDate;
export const isError = (v) => types.isNativeError(v) || v instanceof Error;
export const isFunction = (v) => typeof v === 'function';
export const isPrimitive = (v) => v === null || (typeof v !== 'object' && typeof v !== 'function');

// The globals as the module found them when it was first imported in this request.
const TextEncoderClass = globalThis.TextEncoder;
const TextDecoderClass = globalThis.TextDecoder;
export {TextEncoderClass as TextEncoder, TextDecoderClass as TextDecoder};

export default {
  callbackify,
  debug: debuglog,
  debuglog,
  deprecate,
  format,
  formatWithOptions,
  inherits,
  inspect,
  isArray,
  isBoolean,
  isDate,
  isDeepStrictEqual,
  isError,
  isFunction,
  isNull,
  isNullOrUndefined,
  isNumber,
  isObject,
  isPrimitive,
  isRegExp,
  isString,
  isSymbol,
  isUndefined,
  promisify,
  stripVTControlCharacters,
  toUSVString,
  types,
  TextEncoder: TextEncoderClass,
  TextDecoder: TextDecoderClass,
};
