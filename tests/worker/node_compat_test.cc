// Node's built-in modules behind compatibility_flags: [nodejs_compat] (worker/node/). The same
// ES module runs in wsup's runtime and in Node (the `node` on the machine, at test time), and
// what each returns must be identical JSON: Buffer, createHash/createHmac, util.inspect, format
// and types, assert's errors, EventEmitter and path. Without the flag, or for a module wsup
// does not offer, the script is refused at start-up with the import's location.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

struct CommandOutput {
  int status = -1;
  std::string output;
};

CommandOutput run(const std::string& command) {
  CommandOutput result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t read = 0;
  while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), read);
  }
  result.status = ::pclose(pipe);
  return result;
}

ScriptSpec node_compat_module(const TempDir& dir, const std::string& source) {
  ScriptSpec spec;
  spec.name = "main";
  spec.module = true;
  spec.path = dir.write("main.mjs", source);
  spec.compatibility_flags = {"nodejs_compat"};
  return spec;
}

// `module` declares `async function compute()` (and imports what it needs); returns the JSON
// of what compute() resolves to when wsup runs it, and when Node does.
struct BothResults {
  std::string wsup;
  std::string node;
};

BothResults run_in_both(const std::string& module) {
  TempDir dir;
  BothResults results;
  {
    Harness harness({node_compat_module(
        dir, module + "\nexport default { async fetch() {\n"
                      "  try { return new Response(JSON.stringify(await compute())); }\n"
                      "  catch (e) { return new Response('THROWS ' + e.stack); }\n} };\n")});
    results.wsup = harness.fetch("main").body;
  }
  const std::string node_script =
      dir.write("node.mjs", module + "\nconsole.log(JSON.stringify(await compute()));\n");
  CommandOutput node = run(std::string(WSUP_NODE_BINARY) + " " + node_script);
  // The expected values come from Node: without it this test cannot say anything, and fails.
  EXPECT_EQ(node.status, 0) << "running `" << WSUP_NODE_BINARY << " " << node_script
                            << "` failed (is Node.js installed?): " << node.output;
  results.node = node.output.empty() ? "" : node.output.substr(0, node.output.size() - 1);
  return results;
}

#define EXPECT_SAME_AS_NODE(module)                                 \
  do {                                                              \
    const BothResults both = run_in_both(module);                   \
    EXPECT_FALSE(both.node.empty());                                \
    EXPECT_EQ(both.wsup, both.node) << "wsup differs from Node.js"; \
  } while (0)

TEST(NodeCompatTest, EveryModuleImportsByNodeNameAndBareName) {
  TempDir dir;
  Harness harness({node_compat_module(dir, R"js(
import assert from 'node:assert';
import {Buffer} from 'node:buffer';
import {createHash} from 'node:crypto';
import {EventEmitter} from 'node:events';
import path from 'node:path';
import {promisify} from 'node:util';
import {Buffer as BareBuffer} from 'buffer';
import * as bareUtil from 'util';
import bareEvents from 'events';
export default { fetch() {
  return Response.json([typeof assert.ok, Buffer === BareBuffer, typeof createHash,
                        EventEmitter === bareEvents, path.sep, bareUtil.promisify === promisify]);
} };)js")});
  EXPECT_EQ(harness.fetch("main").body, R"(["function",true,"function",true,"/",true])");
}

TEST(NodeCompatTest, WithoutTheFlagImportsAreRefusedAtStartUp) {
  ensure_v8();
  TempDir dir;
  for (const char* module : {"assert", "buffer", "crypto", "events", "path", "util"}) {
    ScriptSpec spec;
    spec.name = "m";
    spec.module = true;
    spec.path = dir.write("plain.mjs", std::string("\n  import x from 'node:") + module +
                                           "';\nexport default {fetch() {}};\n");
    const std::vector<std::string> errors = check_scripts({spec});
    ASSERT_EQ(errors.size(), 1u) << module;
    EXPECT_EQ(errors[0],
              spec.path + ":2:17: node:" + module + " needs compatibility_flags: [nodejs_compat]");
  }
  ScriptSpec bare;
  bare.name = "m";
  bare.module = true;
  bare.path = dir.write("bare.mjs", "import {Buffer} from 'buffer';\nexport default {};\n");
  std::vector<std::string> errors = check_scripts({bare});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("bare.mjs:1:22: cannot import \"buffer\": only relative imports"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[0].find("with compatibility_flags: [nodejs_compat], \"buffer\" names "
                           "node:buffer"),
            std::string::npos)
      << errors[0];
}

TEST(NodeCompatTest, ModulesWsupDoesNotOfferAndItsInternalsAreRefused) {
  ensure_v8();
  TempDir dir;
  for (const char* specifier : {"node:fs", "fs/promises", "node:http"}) {
    ScriptSpec spec = node_compat_module(
        dir, std::string("import x from '") + specifier + "';\nexport default {};\n");
    const std::vector<std::string> errors = check_scripts({spec});
    ASSERT_EQ(errors.size(), 1u) << specifier;
    EXPECT_NE(errors[0].find(std::string("cannot import \"") + specifier + "\": "),
              std::string::npos)
        << errors[0];
    EXPECT_NE(errors[0].find("is not one of the Node modules wsup offers (node:assert, "
                             "node:buffer, node:crypto, node:events, node:path, node:util)"),
              std::string::npos)
        << errors[0];
  }
  ScriptSpec natives =
      node_compat_module(dir, "import * as n from 'wsup:node-natives';\nexport default {};\n");
  const std::vector<std::string> errors = check_scripts({natives});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("cannot import \"wsup:node-natives\""), std::string::npos) << errors[0];
}

TEST(NodeCompatTest, BufferInteropsWithUint8ArrayAndEncodesLikeNode) {
  EXPECT_SAME_AS_NODE(R"js(
import {Buffer} from 'node:buffer';
async function compute() {
  const text = Buffer.from('héllo wörld');
  const bytes = new Uint8Array([0xfb, 0xff, 0x00, 0x10]);
  const shared = Buffer.from(bytes.buffer, 1, 2);
  bytes[1] = 7;  // a Buffer over an ArrayBuffer shares its memory
  const copy = Buffer.from(bytes);
  bytes[0] = 9;  // one from a Uint8Array copies it
  return [
    text.toString('hex'), text.toString('base64'), Buffer.from(bytes).toString('base64url'),
    Buffer.from('aMOpbGxv', 'base64').toString(), Buffer.from('68c3a9', 'hex').toString(),
    Buffer.from('-_8', 'base64url').toString('hex'), text.length, Buffer.byteLength('héllo'),
    text instanceof Uint8Array, Buffer.isBuffer(text), Buffer.isBuffer(bytes),
    [...shared], [...copy], Buffer.concat([Buffer.from('a'), new Uint8Array([98])]).toString(),
    Buffer.alloc(4).writeUInt32BE(0xdeadbeef) && Buffer.from([1, 2, 3, 4]).readUInt32LE(0),
    Buffer.from('abc').equals(new Uint8Array([97, 98, 99])), Buffer.compare(Buffer.from('a'),
    Buffer.from('b')), Buffer.from('hi').toJSON(), Buffer.from('ab').toString('latin1'),
    Buffer.from('hi', 'utf16le').toString('hex'), Buffer.isEncoding('base64url'),
    new TextDecoder().decode(Buffer.from('ok')), Buffer.from('xyz').subarray(1).toString(),
  ];
})js");
}

TEST(NodeCompatTest, HashesAndHmacsMatchNode) {
  EXPECT_SAME_AS_NODE(R"js(
import {Buffer} from 'node:buffer';
import {createHash, createHmac, timingSafeEqual, randomBytes} from 'node:crypto';
async function compute() {
  const hmac = createHmac('sha256', 'a secret key').update('The quick brown fox ')
                   .update(Buffer.from('jumps over the lazy dog')).digest('hex');
  let finalized;
  const hash = createHash('sha1').update('x');
  hash.digest();
  try { hash.update('y'); } catch (e) { finalized = e.code; }
  let unknown;
  try { createHash('no-such-digest'); } catch (e) { unknown = e.message; }
  let lengths;
  try { timingSafeEqual(Buffer.from('a'), Buffer.from('ab')); } catch (e) { lengths = e.code; }
  return [
    hmac,
    createHmac('sha512', Buffer.from([1, 2, 3])).update('data').digest('base64'),
    createHmac('SHA256', '').update('').digest('hex'),
    createHash('sha256').update('abc').digest('hex'),
    createHash('md5').update('caf\xe9', 'latin1').digest('base64'),
    createHash('sha384').update(new Uint8Array([1, 2])).digest('base64url'),
    createHash('sha512').update('a').copy().update('b').digest('hex').slice(0, 16),
    [...createHash('sha256').update('x').digest()].length,
    finalized, unknown, lengths,
    timingSafeEqual(Buffer.from('same'), Buffer.from('same')),
    timingSafeEqual(Buffer.from('same'), Buffer.from('sane')),
    randomBytes(16).length, Buffer.isBuffer(randomBytes(1)),
  ];
})js");
}

TEST(NodeCompatTest, UtilInspectAndFormatMatchNode) {
  EXPECT_SAME_AS_NODE(R"js(
import util from 'node:util';
async function compute() {
  class Point { constructor() { this.x = 1; this.y = 'two'; } }
  const cyclic = {name: 'loop'};
  cyclic.self = cyclic;
  const values = [
    {a: 1, b: 'x', c: [1, 2, {d: new Map([[1, {e: 2}]])}]},
    [1, 'two', [3, [4, [5, [6]]]]], new Point(), Object.create(null), cyclic,
    new Set(['a', 1]), new Map(), [], {}, 'it\'s', -0, 10n, Symbol('s'), null, undefined,
    function named() {}, () => {}, class Shape {}, async function go() {},
    new Uint8Array([1, 2, 3]), [1, , 3], {'key-with-dash': 1, [Symbol('k')]: 2},
    Promise.resolve(4), new Promise(() => {}), /re+/gi, new Date(0), new Number(3),
    new String('boxed'), new WeakMap(), {get value() { return 1; }}, new ArrayBuffer(3),
    {nested: {deeper: {deepest: {gone: true}}}},
  ];
  return [
    ...values.map((v) => util.inspect(v)),
    util.inspect({long: 'x'.repeat(70), other: 'y'.repeat(20)}),
    util.inspect({a: {b: {c: {d: 1}}}}, {depth: 0}),
    util.inspect('str'), util.inspect([new Error('e').message]),
    util.format('%s is %d years and %i days, %f%% %j %o', 'Bob', 42.5, 7.9, 1.5, {a: [1]}, 3),
    util.format('%s %s', 'only one'), util.format('a', {b: 1}, 2), util.format('%%s', 1),
    util.format('%s', {toString() { return 'custom'; }}), util.format('%s', 12345678901234567890n),
  ];
})js");
}

TEST(NodeCompatTest, UtilFunctionsAndTypesMatchNode) {
  EXPECT_SAME_AS_NODE(R"js(
import {promisify, callbackify, inherits, isDeepStrictEqual, types} from 'node:util';
import {Buffer} from 'node:buffer';
async function compute() {
  const doubled = await promisify((x, cb) => setTimeout(() => cb(null, x * 2), 1))(21);
  const failed = await promisify((cb) => cb(new Error('no'))).call(null).catch((e) => e.message);
  const viaCallback = await new Promise((resolve) =>
      callbackify(async (x) => x + 1)(1, (error, value) => resolve([error, value])));
  function Base() {}
  Base.prototype.hello = () => 'hi';
  function Derived() {}
  inherits(Derived, Base);
  return [
    doubled, failed, viaCallback, new Derived().hello(), Derived.super_ === Base,
    isDeepStrictEqual({a: [1, {b: 2}], m: new Map([[1, 2]])}, {a: [1, {b: 2}], m: new Map([[1, 2]])}),
    isDeepStrictEqual({a: 1}, {a: '1'}), isDeepStrictEqual([1, 2], [1, 2, 3]),
    isDeepStrictEqual(new Set([{x: 1}]), new Set([{x: 1}])), isDeepStrictEqual(NaN, NaN),
    isDeepStrictEqual(0, -0),
    types.isPromise(Promise.resolve()), types.isRegExp(/x/), types.isDate(new Date()),
    types.isUint8Array(Buffer.alloc(1)), types.isTypedArray(new Float64Array(1)),
    types.isArrayBuffer(new ArrayBuffer(1)), types.isProxy(new Proxy({}, {})),
    types.isAsyncFunction(async () => {}), types.isGeneratorFunction(function* () {}),
    types.isMap(new Map()), types.isSet(new Set()), types.isNativeError(new TypeError()),
    types.isBoxedPrimitive(new Number(1)), types.isDataView(new DataView(new ArrayBuffer(1))),
    types.isUint8Array(new Uint16Array(1)),
  ];
})js");
}

TEST(NodeCompatTest, AssertThrowsAssertionErrorsLikeNode) {
  EXPECT_SAME_AS_NODE(R"js(
import assert, {AssertionError, strict} from 'node:assert';
async function compute() {
  const describe = (fn) => {
    try { fn(); return 'passed'; } catch (e) {
      return [e instanceof AssertionError, e.name, e.code, e.operator, e.generatedMessage,
              e.actual === undefined ? 'undefined' : e.actual];
    }
  };
  return [
    describe(() => assert(true)), describe(() => assert.ok(0)),
    describe(() => assert.equal(1, '1')), describe(() => assert.strictEqual(1, '1')),
    describe(() => assert.notStrictEqual(1, 1)),
    describe(() => assert.deepEqual({a: 1}, {a: '1'})),
    describe(() => assert.deepStrictEqual({a: 1}, {a: '1'})),
    describe(() => assert.deepStrictEqual([1, {b: [2]}], [1, {b: [2]}])),
    describe(() => strict.equal(1, '1')),
    describe(() => assert.throws(() => { throw new TypeError('bad'); }, TypeError)),
    describe(() => assert.throws(() => { throw new TypeError('bad'); }, /bad/)),
    describe(() => assert.throws(() => { throw new TypeError('bad'); }, {name: 'TypeError'})),
    describe(() => assert.throws(() => {})),
    describe(() => assert.doesNotThrow(() => {})),
    describe(() => assert.match('abc', /b/)), describe(() => assert.match('abc', /x/)),
    describe(() => assert.fail('told to')),
    describe(() => assert.strictEqual(1, 2, 'custom message')),
    await assert.rejects(Promise.reject(new Error('x')), Error).then(() => 'rejected as expected'),
    await assert.rejects(Promise.resolve(1)).catch((e) => [e.code, e.operator]),
  ];
})js");
}

TEST(NodeCompatTest, EventsAndPathMatchNode) {
  EXPECT_SAME_AS_NODE(R"js(
import EventEmitter, {once} from 'node:events';
import path from 'node:path';
async function compute() {
  // A Worker has no working directory: wsup's path.resolve takes "/" (as Cloudflare's does),
  // so Node is put there for the comparison.
  globalThis.process?.chdir('/');
  const emitter = new EventEmitter();
  const log = [];
  emitter.on('data', (x) => log.push('on ' + x));
  emitter.once('data', (x) => log.push('once ' + x));
  emitter.prependListener('data', (x) => log.push('first ' + x));
  emitter.emit('data', 1);
  emitter.emit('data', 2);
  setTimeout(() => emitter.emit('ready', 'a', 'b'), 1);
  const args = await once(emitter, 'ready');
  let unhandled;
  try { emitter.emit('error', new Error('boom')); } catch (e) { unhandled = e.message; }
  return [
    log, args, emitter.listenerCount('data'), emitter.eventNames(), unhandled,
    path.join('/a/b', '../c', './d.txt'), path.resolve('rel', 'x'), path.resolve('/abs', 'x'),
    path.relative('/a/b/c', '/a/d'), path.dirname('/a/b/c.txt'), path.basename('/a/b/c.txt', '.txt'),
    path.extname('archive.tar.gz'), path.parse('/home/u/file.js'),
    path.format({dir: '/x', base: 'y.z'}), path.normalize('/a//b/../c/.'), path.isAbsolute('a'),
    path.sep, path.delimiter, path.posix === path,
  ];
})js");
}

}  // namespace
}  // namespace wsup::worker::testing
