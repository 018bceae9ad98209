// Errors become responses with clear bodies, and the log says where the script failed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/worker/runtime_harness.h"

namespace wsup::worker::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Outcome {
  HttpResponse response;
  std::string log;
};

Outcome fetch_logged(Harness& harness) {
  ::testing::internal::CaptureStderr();
  Outcome outcome{harness.fetch(), ""};
  outcome.log = ::testing::internal::GetCapturedStderr();
  return outcome;
}

TEST(RuntimeErrorsTest, SynchronousThrowGives500AndLogsScriptLineColumnAndStack) {
  auto harness = Harness::single(
      "addEventListener('fetch', (event) => {\n"
      "  null.boom;\n"
      "});\n",
      false);
  Outcome outcome = fetch_logged(*harness);
  EXPECT_EQ(outcome.response.status, 500);
  EXPECT_THAT(outcome.response.body, HasSubstr("threw an exception"));
  EXPECT_THAT(outcome.log, HasSubstr("main.js:2:8"));
  EXPECT_THAT(outcome.log, HasSubstr("TypeError"));
  EXPECT_THAT(outcome.log, HasSubstr("script=main"));
  EXPECT_THAT(outcome.log, HasSubstr("req="));
  EXPECT_THAT(outcome.log, HasSubstr("stack="));
  // The isolate still serves.
  EXPECT_EQ(harness->fetch().status, 500);
}

TEST(RuntimeErrorsTest, TopLevelThrowGives500WithLocation) {
  auto harness = Harness::single("const x = 1;\nthrow new Error('top level');\n", false);
  Outcome outcome = fetch_logged(*harness);
  EXPECT_EQ(outcome.response.status, 500);
  EXPECT_THAT(outcome.log, HasSubstr("main.js:2:1"));
  EXPECT_THAT(outcome.log, HasSubstr("top level"));
}

TEST(RuntimeErrorsTest, RejectedResponsePromiseGives500WithLocationOfTheError) {
  auto harness = Harness::single(
      "export default {\n"
      "  async fetch() {\n"
      "    await null;\n"
      "    throw new RangeError('async failure');\n"
      "  }\n"
      "};\n",
      true);
  Outcome outcome = fetch_logged(*harness);
  EXPECT_EQ(outcome.response.status, 500);
  EXPECT_THAT(outcome.log, HasSubstr("main.mjs:4:11"));
  EXPECT_THAT(outcome.log, HasSubstr("async failure"));
}

// error.stack and the logged locations name the script's files relative to its folder: a script
// that shows its own stack (to a client, say) must not reveal where the deployment lives.
TEST(RuntimeErrorsTest, StacksNameFilesRelativeToTheScriptFolderNotHostPaths) {
  TempDir files;
  files.write("lib/util.mjs", "export function where() {\n  return new Error('here').stack;\n}\n");
  const std::string entry = files.write("api.mjs",
                                        "import {where} from './lib/util.mjs';\n"
                                        "export default { fetch() {\n"
                                        "  return new Response(where());\n"
                                        "} };\n");
  const std::string worker = files.write("sw.js",
                                         "addEventListener('fetch', (e) => {\n"
                                         "  e.respondWith(new Response(new Error('sw').stack));\n"
                                         "  queueMicrotask(() => null.boom);\n"
                                         "});\n");
  Harness harness(
      {ScriptSpec{"api", entry, true, {}, {}}, ScriptSpec{"sw", worker, false, {}, {}}});
  HttpResponse api = harness.fetch("api");
  EXPECT_THAT(api.body, HasSubstr("at where (lib/util.mjs:2:10)"));
  EXPECT_THAT(api.body, HasSubstr("(api.mjs:3:23)"));
  EXPECT_THAT(api.body, Not(HasSubstr(files.path().string())));
  ::testing::internal::CaptureStderr();
  HttpResponse sw = harness.fetch("sw");
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(sw.body, HasSubstr("at sw.js:2:30"));
  EXPECT_THAT(sw.body, Not(HasSubstr(files.path().string())));
  EXPECT_THAT(log, HasSubstr("sw.js:3:"));
  EXPECT_THAT(log, Not(HasSubstr(files.path().string())));
}

TEST(RuntimeErrorsTest, NonResponseValueGives500) {
  auto harness = Harness::single("export default { fetch() { return 'just a string'; } };", true);
  Outcome outcome = fetch_logged(*harness);
  EXPECT_EQ(outcome.response.status, 500);
  EXPECT_THAT(outcome.response.body, HasSubstr("did not return a Response"));
  EXPECT_THAT(outcome.log, HasSubstr("not a Response"));
}

TEST(RuntimeErrorsTest, NoListenerCallingRespondWithGives500) {
  auto harness = Harness::single("addEventListener('fetch', () => {});", false);
  Outcome outcome = fetch_logged(*harness);
  EXPECT_EQ(outcome.response.status, 500);
  EXPECT_THAT(outcome.response.body, HasSubstr("did not respond"));
}

TEST(RuntimeErrorsTest, PromiseThatCanNeverSettleGives500NotAHang) {
  auto harness =
      Harness::single("export default { fetch() { return new Promise(() => {}); } };", true);
  Outcome outcome = fetch_logged(*harness);
  EXPECT_EQ(outcome.response.status, 500);
  EXPECT_THAT(outcome.response.body, HasSubstr("did not respond"));
}

TEST(RuntimeErrorsTest, ModuleWithoutFetchHandlerGives500) {
  auto harness = Harness::single("export default {};", true);
  Outcome outcome = fetch_logged(*harness);
  EXPECT_EQ(outcome.response.status, 500);
  EXPECT_THAT(outcome.log, HasSubstr("no default export with a fetch() method"));
}

TEST(RuntimeErrorsTest, RespondWithAfterTheListenerReturnedIsRejected) {
  auto harness = Harness::single(
      "addEventListener('fetch', (e) => { setTimeout(() => { try { e.respondWith(new "
      "Response('late')); } catch (err) { console.log('late respondWith:', err.message); } }, "
      "1); });",
      false);
  Outcome outcome = fetch_logged(*harness);
  EXPECT_EQ(outcome.response.status, 500);
}

TEST(RuntimeErrorsTest, UnknownScriptNameGives500) {
  auto harness = Harness::single("export default { fetch() { return new Response('x'); } };", true);
  ::testing::internal::CaptureStderr();
  HttpResponse response = harness->fetch("nope");
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(response.status, 500);
  EXPECT_THAT(response.body, HasSubstr("no script named \"nope\""));
}

TEST(RuntimeErrorsTest, CompileErrorThrowsStartupErrorWithPathLineColumn) {
  ensure_v8();
  TempDir dir;
  std::string path = dir.write("bad.js", "let a = 1;\nlet b = ;\n");
  std::vector<std::string> errors = check_scripts({ScriptSpec{"bad", path, false, {}, {}}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind(path + ":2:9: ", 0), 0u) << errors[0];
  EXPECT_THAT(errors[0], HasSubstr("SyntaxError"));
}

TEST(RuntimeErrorsTest, ModuleImportErrorsNameTheImportingLine) {
  ensure_v8();
  TempDir dir;
  std::string path = dir.write("m.mjs", "import x from 'lodash';\nexport default {};\n");
  std::vector<std::string> errors = check_scripts({ScriptSpec{"m", path, true, {}, {}}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind(path + ":1:", 0), 0u) << errors[0];
  EXPECT_THAT(errors[0], HasSubstr("only relative imports"));
  std::string missing = dir.write("n.mjs", "import x from './missing.mjs';\n");
  errors = check_scripts({ScriptSpec{"n", missing, true, {}, {}}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("cannot read"));
}

}  // namespace
}  // namespace wsup::worker::testing
