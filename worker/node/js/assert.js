// node:assert (and its strict mode), written for wsup: ok, equal/notEqual, strictEqual,
// deepEqual/deepStrictEqual and their negations, throws/doesNotThrow, rejects/doesNotReject,
// match/doesNotMatch, fail, ifError, and AssertionError (code 'ERR_ASSERTION', actual,
// expected, operator, generatedMessage). Messages name the values with util.inspect; they do
// not show Node's line-by-line diffs.
import {inspect} from 'node:util';
import {deepEqual} from 'wsup:node-deep-equal';

export class AssertionError extends Error {
  constructor(options) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('The "options" argument must be of type object.');
    const {message, actual, expected, operator} = options;
    super(message !== undefined ? String(message) : generatedMessage(actual, expected, operator));
    this.generatedMessage = message === undefined;
    this.code = 'ERR_ASSERTION';
    this.actual = actual;
    this.expected = expected;
    this.operator = operator;
    if (typeof Error.captureStackTrace === 'function')
      Error.captureStackTrace(
          this, options.stackStartFn ?? options.stackStartFunction ?? AssertionError);
  }
  get name() { return 'AssertionError'; }
  toString() { return `${this.name} [${this.code}]: ${this.message}`; }
}

const kHeadlines = {
  __proto__: null,
  strictEqual: 'Expected values to be strictly equal:',
  deepStrictEqual: 'Expected values to be strictly deep-equal:',
  deepEqual: 'Expected values to be loosely deep-equal:',
  notStrictEqual: 'Expected "actual" to be strictly unequal to:',
  notDeepStrictEqual: 'Expected "actual" not to be strictly deep-equal to:',
  notDeepEqual: 'Expected "actual" not to be loosely deep-equal to:',
};

function generatedMessage(actual, expected, operator) {
  const show = (value) => inspect(value, {depth: 4, breakLength: Infinity});
  if (operator === '==' || operator === '!=')
    return `${show(actual)} ${operator} ${show(expected)}`;
  const headline = kHeadlines[operator];
  if (headline === undefined) return `${show(actual)} ${operator} ${show(expected)}`;
  if (operator.startsWith('not')) return `${headline}\n\n${show(expected)}\n`;
  return `${headline}\n\n${show(actual)} !== ${show(expected)}\n`;
}

// Throws an AssertionError with the caller's `message`, or, without one, with wsup's
// `generated` text (generatedMessage: true, as Node marks its own). An Error as the message is
// thrown as it is.
function fail_(actual, expected, message, operator, stackStartFn, generated = undefined) {
  if (message instanceof Error) throw message;
  const error =
      new AssertionError({actual, expected, message: message ?? generated, operator, stackStartFn});
  error.generatedMessage = message === undefined;
  throw error;
}

function ok(...args) {
  if (args.length === 0) {
    const text = 'No value argument passed to `assert.ok()`';
    fail_(undefined, true, undefined, '==', ok, text);
  }
  if (!args[0])
    fail_(args[0], true, args[1], '==', ok, 'The expression evaluated to a falsy value');
}

function equal(actual, expected, message) {
  // eslint-disable-next-line eqeqeq
  if (!(actual == expected || (Number.isNaN(actual) && Number.isNaN(expected))))
    fail_(actual, expected, message, '==', equal);
}
function notEqual(actual, expected, message) {
  // eslint-disable-next-line eqeqeq
  if (actual == expected || (Number.isNaN(actual) && Number.isNaN(expected)))
    fail_(actual, expected, message, '!=', notEqual);
}
function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) fail_(actual, expected, message, 'strictEqual', strictEqual);
}
function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected))
    fail_(actual, expected, message, 'notStrictEqual', notStrictEqual);
}
function deepEqualAssert(actual, expected, message) {
  if (!deepEqual(actual, expected, false))
    fail_(actual, expected, message, 'deepEqual', deepEqualAssert);
}
function notDeepEqual(actual, expected, message) {
  if (deepEqual(actual, expected, false))
    fail_(actual, expected, message, 'notDeepEqual', notDeepEqual);
}
function deepStrictEqual(actual, expected, message) {
  if (!deepEqual(actual, expected, true))
    fail_(actual, expected, message, 'deepStrictEqual', deepStrictEqual);
}
function notDeepStrictEqual(actual, expected, message) {
  if (deepEqual(actual, expected, true))
    fail_(actual, expected, message, 'notDeepStrictEqual', notDeepStrictEqual);
}

// Node marks the messages of fail() and of a missing exception as not generated.
function fail(message = 'Failed') {
  if (message instanceof Error) throw message;
  throw new AssertionError({message, operator: 'fail', stackStartFn: fail});
}

function ifError(value) {
  if (value === null || value === undefined) return;
  const detail =
      typeof value?.message === 'string' && value.message !== '' ? value.message : inspect(value);
  const text = `ifError got unwanted exception: ${detail}`;
  fail_(value, null, undefined, 'ifError', ifError, text);
}

function checkRegExp(regexp) {
  if (!(regexp instanceof RegExp))
    throw new TypeError('The "regexp" argument must be an instance of RegExp.');
}

function match(string, regexp, message) {
  checkRegExp(regexp);
  if (typeof string === 'string' && regexp.test(string)) return;
  const text = typeof string !== 'string' ?
      `The "string" argument must be of type string. Received ${inspect(string)}` :
      `The input did not match the regular expression ${inspect(regexp)}. ` +
          `Input:\n\n${inspect(string)}\n`;
  fail_(string, regexp, message, 'match', match, text);
}

function doesNotMatch(string, regexp, message) {
  checkRegExp(regexp);
  if (typeof string === 'string' && !regexp.test(string)) return;
  const text = typeof string !== 'string' ?
      `The "string" argument must be of type string. Received ${inspect(string)}` :
      `The input was expected to not match the regular expression ${inspect(regexp)}. ` +
          `Input:\n\n${inspect(string)}\n`;
  fail_(string, regexp, message, 'doesNotMatch', doesNotMatch, text);
}

// Whether a thrown `error` satisfies `expected` (throws/rejects): a class, a RegExp tried on
// String(error), a validation function, or an object whose every key must match.
function checkExpected(error, expected, message, stackStartFn) {
  const operator = stackStartFn.name;
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    if (expected.test(String(error))) return;
    const text = `The input did not match the regular expression ${inspect(expected)}. ` +
        `Input:\n\n${inspect(String(error))}\n`;
    fail_(error, expected, message, operator, stackStartFn, text);
  }
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && error instanceof expected) return;
    if (Error.isPrototypeOf(expected) || expected === Error) {
      const text = `The error is expected to be an instance of "${expected.name}". ` +
          `Received "${error?.constructor?.name}"`;
      fail_(error, expected, message, operator, stackStartFn, text);
    }
    if (expected.call({}, error) === true) return;
    const name = expected.name ? `"${expected.name}" ` : '';
    const text = `The ${name}validation function is expected to return "true". Received false`;
    fail_(error, expected, message, operator, stackStartFn, text);
  }
  if (expected !== null && typeof expected === 'object') {
    for (const key of Reflect.ownKeys(expected)) {
      const want = expected[key];
      const got = error?.[key];
      const matches = want instanceof RegExp && typeof got === 'string' ?
          want.test(got) :
          deepEqual(got, want, true);
      if (matches) continue;
      const text =
          `Expected values to be strictly deep-equal:\n\n${inspect(got)} !== ${inspect(want)}\n`;
      fail_(error, expected, message, operator, stackStartFn, text);
    }
    return;
  }
  throw new TypeError('The "expected" argument must be a function, RegExp or object.');
}

const kNothing = Symbol('nothing thrown');

function throws(fn, expected, message) {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function.');
  if (typeof expected === 'string') [message, expected] = [expected, undefined];
  let thrown = kNothing;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  if (thrown === kNothing) {
    fail_(undefined, expected, `Missing expected exception${message ? `: ${message}` : '.'}`,
          'throws',
          throws);
  }
  checkExpected(thrown, expected, message, throws);
}

function doesNotThrow(fn, expected, message) {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function.');
  if (typeof expected === 'string') [message, expected] = [expected, undefined];
  try {
    fn();
  } catch (error) {
    fail_(
        error, expected,
        `Got unwanted exception${message ? `: ${message}` : '.'}\nActual message: "${
            error?.message}"`,
        'doesNotThrow', doesNotThrow);
  }
}

async function settle(promiseOrFn) {
  const promise = typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn;
  if (promise === null || typeof promise?.then !== 'function') {
    throw new TypeError(
        'The "promiseFn" argument must be a function returning a promise, or a promise.');
  }
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return kNothing;
}

async function rejects(promiseOrFn, expected, message) {
  if (typeof expected === 'string') [message, expected] = [expected, undefined];
  const error = await settle(promiseOrFn);
  if (error === kNothing) {
    fail_(
        undefined, expected, `Missing expected rejection${message ? `: ${message}` : '.'}`,
        'rejects', rejects);
  }
  checkExpected(error, expected, message, rejects);
}

async function doesNotReject(promiseOrFn, expected, message) {
  if (typeof expected === 'string') [message, expected] = [expected, undefined];
  const error = await settle(promiseOrFn);
  if (error !== kNothing) {
    fail_(
        error, expected,
        `Got unwanted rejection${message ? `: ${message}` : '.'}\nActual message: "${
            error?.message}"`,
        'doesNotReject', doesNotReject);
  }
}

const common = {
  AssertionError, fail, ifError, match, doesNotMatch,
  throws,
        doesNotThrow,
        rejects,
        doesNotReject,
        strictEqual,
        notStrictEqual,
        deepStrictEqual,
        notDeepStrictEqual,
};

// assert(value) is assert.ok(value); in strict mode the loose comparisons are the strict ones.
function assert(...args) { ok(...args); }
Object.assign(assert, common, {ok, equal, notEqual, deepEqual: deepEqualAssert, notDeepEqual});
function strict(...args) { ok(...args); }
Object.assign(strict, common, {
  ok,
  equal: strictEqual,
  notEqual: notStrictEqual,
  deepEqual: deepStrictEqual,
  notDeepEqual: notDeepStrictEqual,
});
assert.strict = strict;
strict.strict = strict;

export {
  ok,
  equal,
  notEqual,
  strictEqual,
  notStrictEqual,
  deepEqualAssert as deepEqual,
  notDeepEqual,
  deepStrictEqual,
  notDeepStrictEqual,
  fail,
  ifError,
  match,
  doesNotMatch,
  throws, doesNotThrow, rejects, doesNotReject, strict,
};
export default assert;
