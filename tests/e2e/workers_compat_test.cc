// What Workers code expects of its runtime, through the real `wsup` and `wsup-worker` over
// loopback HTTP: WebAssembly compiled from bytes in the script (webassembly: true), promise
// rejections nobody handles and reported errors in the log with their request id,
// cluster.yaml's user_agent, and Node's modules behind compatibility_flags: [nodejs_compat]
// (an HMAC checked against Node's own, computed at test time).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <regex>
#include <string>

#include "harness.h"
#include "tests/support/eventually.h"

using namespace wsup::e2e;
using wsup::testing::eventually;

namespace {

// Two WebAssembly modules as bytes: one exporting add(a, b) and a memory holding "hi" at 0,
// one importing env.twice and exporting quad(x) = twice(twice(x)).
constexpr const char* kWasmModules = R"js(
const ADD_AND_MEMORY = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,   // type (i32, i32) -> i32
  0x03, 0x02, 0x01, 0x00,                                 // one function of that type
  0x05, 0x03, 0x01, 0x00, 0x01,                           // one memory of one page
  0x07, 0x10, 0x02, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00,   // export "add"
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00,   // export "memory"
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,  // a + b
  0x0b, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x68, 0x69,        // "hi" at 0
]);
const QUAD_WITH_IMPORT = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,         // type i32 -> i32
  0x02, 0x0d, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x74, 0x77, 0x69, 0x63, 0x65, 0x00, 0x00,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x08, 0x01, 0x04, 0x71, 0x75, 0x61, 0x64, 0x00, 0x01,        // export "quad"
  0x0a, 0x0a, 0x01, 0x08, 0x00, 0x20, 0x00, 0x10, 0x00, 0x10, 0x00, 0x0b,
]);
)js";

std::string wasm_script() {
  return std::string(kWasmModules) + R"js(
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/add') {
      const module = await WebAssembly.compile(ADD_AND_MEMORY);
      const instance = await WebAssembly.instantiate(module);
      const {add, memory} = instance.exports;
      const text = new TextDecoder().decode(new Uint8Array(memory.buffer, 0, 2));
      return Response.json([add(2, 40), text, memory.buffer.byteLength,
                            memory instanceof WebAssembly.Memory]);
    }
    if (path === '/imports') {
      const {instance} = await WebAssembly.instantiate(QUAD_WITH_IMPORT,
                                                       {env: {twice: (x) => x * 2}});
      return Response.json([instance.exports.quad(5)]);
    }
    const bad = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]);
    const rejected = await WebAssembly.compile(bad).then(() => 'compiled', (e) =>
        [e.name, e instanceof WebAssembly.CompileError]);
    let thrown;
    try { new WebAssembly.Module(bad); } catch (e) { thrown = e instanceof WebAssembly.CompileError; }
    return Response.json([rejected, thrown]);
  },
};
)js";
}

std::string run_node(const std::string& script) {
  std::string output;
  FILE* pipe = ::popen(("node -e '" + script + "' 2>&1").c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::array<char, 1024> buffer{};
  size_t read = 0;
  while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    output.append(buffer.data(), read);
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << "node (Node.js) computes the expected value and failed: " << output;
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return output;
}

}  // namespace

TEST(WorkersCompat, WebAssemblyFromBytesRunsAndBadBytesAreACompileError) {
  ClusterWithFiles c({{"w.mjs", wasm_script()}},
                     "workers: 1\nwebassembly: true\nscripts:\n  - name: w\n    path: w.mjs\n"
                     "    routes: [\"/*\"]\n",
                     WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  for (int i = 0; i < 3; ++i) {  // every request compiles again, in its own context
    HttpResult add = http_get(c.port, "/add");
    EXPECT_EQ(add.status, 200) << add.body << c.supervisor->log();
    EXPECT_EQ(add.body, R"([42,"hi",65536,true])");
  }
  HttpResult imports = http_get(c.port, "/imports");
  EXPECT_EQ(imports.status, 200) << imports.body;
  EXPECT_EQ(imports.body, "[20]");
  HttpResult bad = http_get(c.port, "/bad");
  EXPECT_EQ(bad.status, 200) << bad.body;
  EXPECT_EQ(bad.body, R"([["CompileError",true],true])");
}

TEST(WorkersCompat, UnhandledRejectionsAndReportedErrorsAreLoggedWithTheRequestId) {
  OneScriptCluster c(R"js(
addEventListener('unhandledrejection', (e) => {
  if (String(e.reason).includes('quiet')) e.preventDefault();
});
addEventListener('fetch', (event) => {
  const path = new URL(event.request.url).pathname;
  if (path === '/reject') Promise.reject(new Error('nobody handled me'));
  if (path === '/quiet') Promise.reject(new Error('quiet one'));
  if (path === '/report') reportError(new RangeError('reported on purpose'));
  if (path === '/throws') throw new TypeError('thrown by the handler');
  event.respondWith(new Response('ok'));
});
)js",
                     "workers: 1\n", WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  for (const char* path : {"/reject", "/quiet", "/report"}) {
    HttpResult result = http_get(c.port, path);
    EXPECT_EQ(result.status, 200) << path;
    EXPECT_EQ(result.body, "ok") << path;
  }
  EXPECT_EQ(http_get(c.port, "/throws").status, 500);
  ASSERT_TRUE(eventually([&] {
    return c.supervisor->log().find("reported on purpose") != std::string::npos &&
           c.supervisor->log().find("thrown by the handler") != std::string::npos;
  })) << c.supervisor->log();
  const std::string log = c.supervisor->log();
  EXPECT_TRUE(std::regex_search(
      log, std::regex(R"(level=error [^\n]*msg="unhandled promise rejection" script=w req=\d+ )"
                      R"(error="Uncaught \(in promise\) Error: nobody handled me")")))
      << log;
  EXPECT_EQ(log.find("quiet one"), std::string::npos) << "a canceled event is not logged";
  EXPECT_TRUE(std::regex_search(
      log, std::regex(R"(level=error [^\n]*msg="Uncaught RangeError: reported on purpose)"
                      R"([^\n]*script=w req=\d+)")))
      << log;
  // An exception thrown by the handler is the request's 500, logged once: not also as the
  // rejection of a promise.
  EXPECT_EQ(count_of(log, "msg=\"uncaught exception\""), 1u) << log;
  EXPECT_EQ(count_of(log, "msg=\"unhandled promise rejection\""), 1u) << log;
}

TEST(WorkersCompat, UserAgentComesFromClusterYaml) {
  OneScriptCluster c(
      "addEventListener('fetch', (e) => e.respondWith(new Response(navigator.userAgent)));\n",
      "workers: 1\nuser_agent: \"Acme-Edge/2.0\"\n", WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  EXPECT_EQ(http_get(c.port, "/").body, "Acme-Edge/2.0");
}

TEST(WorkersCompat, NodeModulesWithTheFlagAndAnHmacNodeAgreesWith) {
  const std::string script = R"js(
import {createHmac} from 'node:crypto';
import {Buffer} from 'buffer';
export default {
  async fetch(request) {
    const message = new URL(request.url).searchParams.get('m');
    const mac = createHmac('sha256', Buffer.from('k3y')).update(message).digest('hex');
    return new Response(mac);
  },
};
)js";
  ClusterWithFiles c({{"w.mjs", script}},
                     "workers: 1\nscripts:\n  - name: w\n    path: w.mjs\n    routes: [\"/*\"]\n"
                     "    compatibility_flags: [nodejs_compat]\n"
                     "    compatibility_date: \"2024-09-23\"\n",
                     WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  const std::string expected = run_node(
      "process.stdout.write(require(\"crypto\").createHmac(\"sha256\", \"k3y\")"
      ".update(\"hello wsup\").digest(\"hex\"))");
  ASSERT_EQ(expected.size(), 64u) << expected;
  HttpResult result = http_get(c.port, "/?m=hello%20wsup");
  EXPECT_EQ(result.status, 200) << result.body << c.supervisor->log();
  EXPECT_EQ(result.body, expected);
}

// crypto.DigestStream over a request body that crosses the supervisor, hashed as it streams;
// Node's createHash computes the expected value. A CryptoKey cloned in the same request signs
// like its original.
TEST(WorkersCompat, DigestStreamHashesARequestBodyAndClonedKeysSign) {
  const std::string script = R"js(
export default {
  async fetch(request) {
    const stream = new crypto.DigestStream(new URL(request.url).searchParams.get('alg'));
    await request.body.pipeTo(stream);
    const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
    const key = await crypto.subtle.importKey('raw', new Uint8Array(32),
        {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']);
    const [a, b] = await Promise.all([key, structuredClone(key)].map(
        (k) => crypto.subtle.sign('HMAC', k, new Uint8Array([1]))));
    return new Response(`${hex(await stream.digest)} ${stream.bytesWritten} ${hex(a) === hex(b)}`);
  },
};
)js";
  // cpu_ms: 3 MiB hashed through JS streams passed the default 50 ms under TSan on a loaded
  // machine; the results are what this test is about.
  ClusterWithFiles c({{"w.mjs", script}},
                     "workers: 1\nlimits:\n  cpu_ms: 5s\nscripts:\n  - name: w\n    path: w.mjs\n"
                     "    routes: [\"/*\"]\n",
                     WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  std::string body(3 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 31) >> 3);
  for (const char* algorithm : {"SHA-256", "MD5"}) {
    const std::string expected = run_node(
        std::string("const b = Buffer.alloc(3 << 20); for (let i = 0; i < b.length; ++i) "
                    "b[i] = (i * 31) >>> 3; process.stdout.write(require(\"crypto\")"
                    ".createHash(\"") +
        (std::string(algorithm) == "MD5" ? "md5" : "sha256") + "\").update(b).digest(\"hex\"))");
    HttpResult result = http_post(c.port, std::string("/?alg=") + algorithm, body);
    EXPECT_EQ(result.status, 200) << result.body << c.supervisor->log();
    EXPECT_EQ(result.body, expected + " 3145728 true") << algorithm;
  }
}

TEST(WorkersCompat, NodeModulesWithoutTheFlagAreRefusedWithTheImportsLocation) {
  TempDir dir;
  dir.write("w.mjs",
            "export const x = 1;\nimport {Buffer} from 'node:buffer';\n"
            "export default { fetch() { return new Response(Buffer.from('x')); } };\n");
  auto config =
      dir.write("c.yaml", "scripts:\n  - name: w\n    path: w.mjs\n    routes: [\"/*\"]\n");
  CommandResult check =
      run_command({WSUP_BINARY, "check", config.string(), "--worker-binary", WSUP_WORKER_BINARY});
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_NE(check.output.find((dir.path() / "w.mjs").string() +
                              ":2:22: node:buffer needs compatibility_flags: [nodejs_compat]"),
            std::string::npos)
      << check.output;
}
