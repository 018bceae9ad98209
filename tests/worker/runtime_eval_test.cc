// eval() and new Function() per script (cluster.yaml allow_eval): refused by default with an
// EvalError that names the setting, allowed where a script opts in; WebAssembly is not affected.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

using ::testing::HasSubstr;

// Answers with what each way of making code from a string did.
constexpr const char* kProbe =
    "const attempt = (make) => { try { return String(make()); }\n"
    "  catch (e) { return e.constructor.name + ': ' + e.message; } };\n"
    "export default { async fetch() {\n"
    "  const results = [\n"
    "    attempt(() => eval('1 + 1')),\n"
    "    attempt(() => (0, eval)('2 + 2')),\n"
    "    attempt(() => new Function('return 3 + 3')()),\n"
    "    attempt(() => Function('return 4 + 4')()),\n"
    "    attempt(() => Object.getPrototypeOf(async function () {}).constructor('return 5')),\n"
    "  ];\n"
    "  return new Response(results.join('\\n'));\n"
    "} };\n";

std::unique_ptr<Harness> probe(TempDir& dir, bool allow_eval) {
  const std::string path = dir.write("probe.mjs", kProbe);
  return std::make_unique<Harness>(
      std::vector<ScriptSpec>{ScriptSpec{"probe", path, true, {}, {}, allow_eval}});
}

TEST(RuntimeEvalTest, EvalAndNewFunctionAreEvalErrorsNamingTheSettingByDefault) {
  TempDir dir;
  auto harness = probe(dir, false);
  HttpResponse response = harness->fetch("probe");
  ASSERT_EQ(response.status, 200) << response.body;
  const std::string expected =
      "EvalError: Code generation from strings disallowed for this context: eval() and new "
      "Function() are off for script \"probe\" (cluster.yaml allow_eval: true turns them on)";
  EXPECT_EQ(response.body,
            expected + "\n" + expected + "\n" + expected + "\n" + expected + "\n" + expected);
  // The refusal is per request context: the next request is refused the same way.
  EXPECT_EQ(harness->fetch("probe").body, response.body);
}

TEST(RuntimeEvalTest, AllowEvalLetsEveryFormRun) {
  TempDir dir;
  auto harness = probe(dir, true);
  HttpResponse response = harness->fetch("probe");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_THAT(response.body, HasSubstr("2\n4\n6\n8\n"));
  EXPECT_THAT(response.body, HasSubstr("async function anonymous"));
}

TEST(RuntimeEvalTest, WebAssemblyStillCompilesWithEvalOff) {
  TempDir dir;
  // (module (func (export "answer") (result i32) i32.const 42))
  const std::string path = dir.write(
      "wasm.mjs",
      "const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,5,1,96,0,1,127,3,2,1,0,7,10,1,6,\n"
      "  97,110,115,119,101,114,0,0,10,6,1,4,0,65,42,11]);\n"
      "export default { async fetch() {\n"
      "  const sync = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.answer();\n"
      "  const {instance} = await WebAssembly.instantiate(bytes);\n"
      "  return new Response(`${sync} ${instance.exports.answer()}`);\n"
      "} };\n");
  Harness harness({ScriptSpec{"wasm", path, true, {}, {}, false}});
  HttpResponse response = harness.fetch("wasm");
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "42 42");
}

TEST(RuntimeEvalTest, TopLevelEvalIsRefusedWhileTheSnapshotIsMadeToo) {
  // The snapshot builder evaluates the top level under the script's policy: refused, located in
  // the script, and the script falls back to its top level in every request (refused there too).
  const std::string source =
      "const answer = eval('6 * 7');\n"
      "export default { fetch: () => new Response(String(answer)) };\n";
  auto refused = Harness::single(source, true);
  const ScriptStart& start = refused->runtime().snapshot().start(0);
  EXPECT_FALSE(start.snapshotted);
  EXPECT_THAT(start.fallback_reason,
              HasSubstr("its top level threw main.mjs:1:16: EvalError: Code generation from "
                        "strings disallowed for this context"));
  EXPECT_EQ(refused->fetch().status, 500);

  auto allowed = Harness::single(source, true, 1, {}, std::nullopt, 64,
                                 [](ScriptSpec& spec) { spec.allow_eval = true; });
  EXPECT_TRUE(allowed->runtime().snapshot().snapshotted(0))
      << allowed->runtime().snapshot().start(0).fallback_reason;
  EXPECT_EQ(allowed->fetch().body, "42");
}

}  // namespace
}  // namespace wsup::worker::testing
