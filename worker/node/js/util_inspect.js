// util.inspect and util.format for node:util (wsup's "wsup:node-inspect", which only built-ins
// import): Node's output for the common values (objects, arrays, classes, Map, Set, errors,
// promises, typed arrays, boxed primitives, cycles, depth, getters, inspect.custom) with one
// layout difference: arrays longer than six entries are listed one per line (when they do not
// fit on one) rather than grouped into columns.
import * as natives from 'wsup:node-natives';

const kCustomInspect = Symbol.for('nodejs.util.inspect.custom');
const tag = (value) => Object.prototype.toString.call(value).slice(8, -1);
const isTypedArray = (value) => ArrayBuffer.isView(value) && !(value instanceof DataView);

const kDefaults = {
  depth: 2,
  colors: false,
  customInspect: true,
  showHidden: false,
  maxArrayLength: 100,
  maxStringLength: 10000,
  breakLength: 80,
  compact: 3,
  sorted: false,
  getters: false,
};

const kIdentifier = /^[a-zA-Z_][a-zA-Z_0-9]*$/;
const kEscapes = {
  __proto__: null,
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\f': '\\f',
  '\r': '\\r',
  '\\': '\\\\',
};

function quote(text) {
  let mark = '\'';
  if (text.includes('\'')) {
    if (!text.includes('"'))
      mark = '"';
    else if (!text.includes('`') && !text.includes('${'))
      mark = '`';
  }
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (char === mark)
      out += `\\${char}`;
    else if (kEscapes[char] !== undefined)
      out += kEscapes[char];
    else if (code < 0x20 || code === 0x7f)
      out += `\\x${code.toString(16).padStart(2, '0').toUpperCase()}`;
    else
      out += char;
  }
  return mark + out + mark;
}

function formatPrimitive(value, ctx) {
  switch (typeof value) {
    case 'string': {
      let text = value;
      let rest = '';
      if (text.length > ctx.maxStringLength) {
        rest = `... ${text.length - ctx.maxStringLength} more character${
            text.length - ctx.maxStringLength > 1 ? 's' : ''}`;
        text = text.slice(0, ctx.maxStringLength);
      }
      return quote(text) + rest;
    }
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    default:
      return String(value);  // undefined, boolean
  }
}

function formatKey(key) {
  if (typeof key === 'symbol') return `[${key.toString()}]`;
  return kIdentifier.test(key) ? key : quote(key);
}

function functionBase(value) {
  const source = Function.prototype.toString.call(value);
  if (source.startsWith('class') && /^class\b/.test(source)) {
    const parent = Object.getPrototypeOf(value);
    const extendsPart =
        parent !== Function.prototype && parent?.name ? ` extends ${parent.name}` : '';
    return `[class ${value.name || '(anonymous)'}${extendsPart}]`;
  }
  let kind = 'Function';
  if (natives.isGeneratorFunction(value))
    kind = natives.isAsyncFunction(value) ? 'AsyncGeneratorFunction' : 'GeneratorFunction';
  else if (natives.isAsyncFunction(value))
    kind = 'AsyncFunction';
  return value.name ? `[${kind}: ${value.name}]` : `[${kind} (anonymous)]`;
}

function constructorName(value) {
  let object = value;
  while (object !== null && object !== undefined) {
    const descriptor = Object.getOwnPropertyDescriptor(object, 'constructor');
    if (descriptor !== undefined && typeof descriptor.value === 'function' &&
        descriptor.value.name !== '')
      return descriptor.value.name;
    object = Object.getPrototypeOf(object);
  }
  return null;
}

// "Foo", "[Object: null prototype]", "Map(2)" and the like before an object's braces.
function prefix(name, fallback, size = '') {
  if (name === null) return `[${fallback}: null prototype]${size ? ` ${size}` : ''} `;
  return `${name}${size} `;
}

function ownKeys(value, ctx, skipIndices) {
  let keys = ctx.showHidden ? Object.getOwnPropertyNames(value) : Object.keys(value);
  if (skipIndices)
    keys = keys.filter((key) => !/^(0|[1-9][0-9]*)$/.test(key) || Number(key) >= 2 ** 32 - 1);
  const symbols = Object.getOwnPropertySymbols(value).filter(
      (symbol) => ctx.showHidden || Object.prototype.propertyIsEnumerable.call(value, symbol));
  keys = keys.concat(symbols);
  if (ctx.sorted) keys.sort();
  return keys;
}

function formatProperty(ctx, value, key, depth, arrayLike) {
  const descriptor = Object.getOwnPropertyDescriptor(value, key) ?? {value: value[key]};
  let text;
  if (descriptor.value !== undefined || !('get' in descriptor || 'set' in descriptor)) {
    ctx.indentation += 2;
    text = formatValue(ctx, descriptor.value, depth + 1);
    ctx.indentation -= 2;
  } else if (descriptor.get !== undefined) {
    text = descriptor.set !== undefined ? '[Getter/Setter]' : '[Getter]';
  } else {
    text = '[Setter]';
  }
  if (arrayLike === 'map') return text;
  return `${formatKey(key)}: ${text}`;
}

function formatValue(ctx, value, depth) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function'))
    return formatPrimitive(value, ctx);
  if (ctx.customInspect) {
    const custom = value[kCustomInspect];
    if (typeof custom === 'function' && custom !== inspect) {
      const options = {...ctx.options, depth: ctx.depth === null ? null : ctx.depth - depth};
      const result = custom.call(value, options.depth, options, inspect);
      if (result !== value)
        return typeof result === 'string' ? result : formatValue(ctx, result, depth);
    }
  }
  if (ctx.seen.includes(value)) {
    let index = ctx.circular.get(value);
    if (index === undefined) ctx.circular.set(value, index = ctx.circular.size + 1);
    return `[Circular *${index}]`;
  }
  return formatObject(ctx, value, depth);
}

function formatObject(ctx, value, depth) {
  const name = constructorName(value);
  let braces = ['{', '}'];
  let base = '';
  let entries = [];
  let keys;
  let kind = 'object';
  const outOfDepth = ctx.depth !== null && depth > ctx.depth;

  if (Array.isArray(value)) {
    braces = [`${name === 'Array' ? '' : prefix(name, 'Array', `(${value.length})`)}[`, ']'];
    if (outOfDepth) return '[Array]';
    kind = 'array';
    keys = ownKeys(value, ctx, true);
  } else if (typeof value === 'function') {
    base = functionBase(value);
    keys = ownKeys(value, ctx, false).filter((key) => key !== 'prototype' || ctx.showHidden);
    if (keys.length === 0) return base;
    if (outOfDepth) return base;
  } else if (natives.isMap(value)) {
    braces = [`${prefix(name, 'Map', `(${value.size})`)}{`, '}'];
    if (outOfDepth) return `[${name ?? 'Map'}]`;
    kind = 'map';
    keys = ownKeys(value, ctx, false);
  } else if (natives.isSet(value)) {
    braces = [`${prefix(name, 'Set', `(${value.size})`)}{`, '}'];
    if (outOfDepth) return `[${name ?? 'Set'}]`;
    kind = 'set';
    keys = ownKeys(value, ctx, false);
  } else if (isTypedArray(value)) {
    const typeName = natives.typedArrayName(value);
    braces = [`${prefix(name, typeName, `(${value.length})`)}[`, ']'];
    if (outOfDepth) return `[${name ?? typeName}]`;
    kind = 'typed';
    keys = ownKeys(value, ctx, true);
  } else if (natives.isArrayBuffer(value) || natives.isSharedArrayBuffer(value)) {
    const bytes = new Uint8Array(value, 0, Math.min(value.byteLength, 50));
    let contents = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
    if (value.byteLength > 50)
      contents += ` ... ${value.byteLength - 50} more byte${value.byteLength - 50 > 1 ? 's' : ''}`;
    if (outOfDepth) return `[${name}]`;
    entries.push(`[Uint8Contents]: <${contents}>`, `byteLength: ${value.byteLength}`);
    braces = [`${prefix(name, 'ArrayBuffer')}{`, '}'];
    keys = ownKeys(value, ctx, false);
  } else if (natives.isDate(value)) {
    base = Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    keys = ownKeys(value, ctx, false);
    if (keys.length === 0 || outOfDepth) return base;
  } else if (natives.isRegExp(value)) {
    base = RegExp.prototype.toString.call(value);
    keys = ownKeys(value, ctx, false).filter((key) => key !== 'lastIndex');
    if (keys.length === 0 || outOfDepth) return base;
  } else if (natives.isNativeError(value) || value instanceof Error) {
    base = String(value.stack || Error.prototype.toString.call(value));
    keys = ownKeys(value, ctx, false).filter((key) => key !== 'stack' && key !== 'message');
    if (keys.length === 0 || outOfDepth) return base;
  } else if (natives.isPromise(value)) {
    braces = [`${prefix(name, 'Promise')}{`, '}'];
    if (outOfDepth) return `[${name ?? 'Promise'}]`;
    const [state, result] = natives.promiseState(value);
    if (state === 'pending') {
      entries.push('<pending>');
    } else {
      ctx.indentation += 2;
      const text = formatValue(ctx, result, depth + 1);
      ctx.indentation -= 2;
      entries.push(state === 'rejected' ? `<rejected> ${text}` : text);
    }
    keys = ownKeys(value, ctx, false);
  } else if (natives.isWeakMap(value) || natives.isWeakSet(value)) {
    return `${prefix(name, natives.isWeakMap(value) ? 'WeakMap' : 'WeakSet')}{ <items unknown> }`;
  } else if (natives.isBoxedPrimitive(value)) {
    const primitive = value.valueOf();
    const type = typeof primitive === 'bigint'                               ? 'BigInt' :
        typeof primitive === 'symbol'                                        ? 'Symbol' :
        typeof primitive[0] === 'undefined' && typeof primitive === 'string' ? 'String' :
                                                                               tag(value);
    base = `[${type}: ${formatPrimitive(primitive, ctx)}]`;
    keys = ownKeys(value, ctx, typeof primitive === 'string');
    if (keys.length === 0 || outOfDepth) return base;
  } else if (natives.isModuleNamespaceObject(value)) {
    braces = ['[Module: null prototype] {', '}'];
    keys = ownKeys(value, ctx, false);
  } else {
    const toStringTag = value[Symbol.toStringTag];
    const label = typeof toStringTag === 'string' && toStringTag !== '' && toStringTag !== name ?
        `${name ?? 'Object'} [${toStringTag}] ` :
        (name === 'Object' ? '' : prefix(name, 'Object'));
    braces = [`${label}{`, '}'];
    if (outOfDepth) return `[${name ?? 'Object'}]`;
    keys = ownKeys(value, ctx, false);
  }

  ctx.seen.push(value);
  ctx.currentDepth = depth;
  if (kind === 'array' || kind === 'typed') {
    const shown = Math.min(value.length, ctx.maxArrayLength);
    let holes = 0;
    const flushHoles = () => {
      if (holes > 0) entries.push(`<${holes} empty item${holes > 1 ? 's' : ''}>`);
      holes = 0;
    };
    for (let i = 0; i < shown; ++i) {
      if (kind === 'array' && !Object.prototype.hasOwnProperty.call(value, i)) {
        ++holes;
        continue;
      }
      flushHoles();
      entries.push(
          kind === 'typed' ? formatPrimitive(value[i], ctx) :
                             formatProperty(ctx, value, i, depth, 'map'));
    }
    flushHoles();
    if (value.length > shown)
      entries.push(`... ${value.length - shown} more item${value.length - shown > 1 ? 's' : ''}`);
  } else if (kind === 'map') {
    let shown = 0;
    for (const [key, item] of value) {
      if (shown++ >= ctx.maxArrayLength) break;
      ctx.indentation += 2;
      entries.push(`${formatValue(ctx, key, depth + 1)} => ${formatValue(ctx, item, depth + 1)}`);
      ctx.indentation -= 2;
    }
  } else if (kind === 'set') {
    let shown = 0;
    for (const item of value) {
      if (shown++ >= ctx.maxArrayLength) break;
      ctx.indentation += 2;
      entries.push(formatValue(ctx, item, depth + 1));
      ctx.indentation -= 2;
    }
  }
  for (const key of keys) entries.push(formatProperty(ctx, value, key, depth, kind));
  ctx.seen.pop();

  let text = join(ctx, entries, base, braces, depth);
  const index = ctx.circular.get(value);
  if (index !== undefined) text = `<ref *${index}> ${text}`;
  return text;
}

// One line when it fits in breakLength and the object holds at most `compact` levels of
// nested objects; otherwise one entry per line, indented.
function join(ctx, entries, base, braces, depth) {
  const open = base === '' ? braces[0] : `${base} ${braces[0]}`;
  if (entries.length === 0) {
    if (base !== '' && braces[0] === '{') return base;
    return `${open}${braces[1]}`;
  }
  if (ctx.currentDepth - depth < ctx.compact) {
    const start = entries.length + ctx.indentation + braces[0].length + base.length + 10;
    const length = entries.reduce((sum, entry) => sum + entry.length, start);
    if (length <= ctx.breakLength && !base.includes('\n')) {
      const line = entries.join(', ');
      if (!line.includes('\n')) return `${open} ${line} ${braces[1]}`;
    }
  }
  const indent = `\n${' '.repeat(ctx.indentation)}`;
  return `${open}${indent}  ${entries.join(`,${indent}  `)}${indent}${braces[1]}`;
}

export function inspect(value, options = undefined) {
  const ctx = {...kDefaults, seen: [], circular: new Map(), indentation: 0, currentDepth: 0};
  if (typeof options === 'boolean') {
    ctx.showHidden = options;
  } else if (options !== null && typeof options === 'object') {
    for (const key of Object.keys(kDefaults))
      if (options[key] !== undefined) ctx[key] = options[key];
  }
  if (ctx.depth === Infinity) ctx.depth = null;
  if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
  if (ctx.maxStringLength === null) ctx.maxStringLength = Infinity;
  if (ctx.compact === false) ctx.compact = 0;
  if (ctx.compact === true) ctx.compact = Infinity;
  ctx.options = {...kDefaults, ...(typeof options === 'object' ? options : {})};
  return formatValue(ctx, value, 0);
}
inspect.custom = kCustomInspect;
inspect.defaultOptions = kDefaults;

// ---- format
const kBuiltinPrototypes = new Set([
  Object.prototype, Error.prototype, Array.prototype, Date.prototype, RegExp.prototype,
  Function.prototype
]);

// %s: String() but for BigInt (1n), -0, and objects without a toString of their own, which are
// inspected (depth 0).
function formatString(arg, options) {
  if (typeof arg === 'bigint') return `${arg}n`;
  if (typeof arg === 'number') return formatPrimitive(arg, kDefaults);
  if (arg === null || (typeof arg !== 'object' && typeof arg !== 'function')) return String(arg);
  for (let object = arg; object !== null; object = Object.getPrototypeOf(object)) {
    if (!Object.prototype.hasOwnProperty.call(object, 'toString')) continue;
    if (!kBuiltinPrototypes.has(object)) return String(arg);
    break;
  }
  return inspect(arg, {...options, depth: 0, colors: false, compact: 3});
}

export function formatWithOptions(options, ...args) {
  const first = args[0];
  let out = '';
  let next = 0;
  if (typeof first === 'string') {
    next = 1;
    let last = 0;
    for (let i = 0; i < first.length - 1; ++i) {
      if (first[i] !== '%') continue;
      const code = first[i + 1];
      if (code === '%') {
        out += first.slice(last, i) + '%';
        last = i + 2;
        ++i;
        continue;
      }
      if (next >= args.length || !'sdifjoOc'.includes(code)) continue;
      const arg = args[next];
      let text;
      switch (code) {
        case 's':
          text = formatString(arg, options);
          break;
        case 'd':
          text = typeof arg === 'bigint' ? `${arg}n` :
              typeof arg === 'symbol' ? 'NaN' :
                                        formatPrimitive(Number(arg), kDefaults);
          break;
        case 'i':
          text = typeof arg === 'bigint' ? `${arg}n` :
              typeof arg === 'symbol' ? 'NaN' :
                                        formatPrimitive(parseInt(arg), kDefaults);
          break;
        case 'f':
          text = typeof arg === 'symbol' ? 'NaN' : formatPrimitive(parseFloat(arg), kDefaults);
          break;
        case 'j':
          try {
            text = JSON.stringify(arg);
          } catch {
            text = '[Circular]';
          }
          break;
        case 'o':
          text = inspect(arg, {...options, showHidden: true, depth: 4});
          break;
        case 'O':
          text = inspect(arg, options);
          break;
        case 'c':
          text = '';
          break;
      }
      out += first.slice(last, i) + text;
      last = i + 2;
      ++i;
      ++next;
    }
    out += first.slice(last);
  }
  for (; next < args.length; ++next) {
    const arg = args[next];
    if (out !== '' || next > 0) out += ' ';
    out += typeof arg === 'string' ? arg : inspect(arg, options);
  }
  return out;
}

export function format(...args) { return formatWithOptions(undefined, ...args); }
