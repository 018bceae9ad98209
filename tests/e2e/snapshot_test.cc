// Per-script snapshots through the real binaries: workers build them in a child process, so a
// script V8 cannot snapshot falls back instead of crashing its worker; reload rebuilds them;
// `wsup check` reports what each script's requests start from and refuses the global scope's
// forbidden calls.
#include <gtest/gtest.h>

#include <fstream>

#include "harness.h"
#include "tests/support/eventually.h"

using namespace wsup::e2e;
using wsup::testing::eventually;

namespace {

std::string version_script(const std::string& version) {
  return "const version = '" + version +
         "';\n"
         "export default { fetch: () => new Response(version) };\n";
}

}  // namespace

TEST(Snapshot, ReloadRebuildsTheSnapshotAndServesTheNewCodeWithoutDroppingARequest) {
  OneScriptCluster c(version_script("v1"), "workers: 2\nisolates_per_worker: 1\n",
                     WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  EXPECT_EQ(http_get(c.port, "/").body, "v1");
  LoadGenerator load(c.port, "/", 2);
  std::ofstream(c.dir.path() / "w.js", std::ios::trunc) << version_script("v2");
  CommandResult reload = c.supervisor->control({"reload"});
  EXPECT_EQ(reload.exit_code, 0) << reload.output;
  EXPECT_TRUE(eventually([&] { return http_get(c.port, "/").body == "v2"; }))
      << c.supervisor->log();
  load.stop();
  EXPECT_GT(load.total(), 0);
  EXPECT_EQ(load.failed(), 0) << c.supervisor->log();
  EXPECT_NE(c.supervisor->log().find("scripts' snapshot built"), std::string::npos);
}

TEST(Snapshot, AScriptV8CannotSnapshotIsServedPerRequestAndItsWorkerLives) {
  // An Intl formatter kept at top level makes V8 abort while serializing the heap: the worker's
  // child process dies of it, the worker says why and evaluates the script per request.
  OneScriptCluster c(
      "const format = new Intl.NumberFormat('en-US');\n"
      "export default { fetch: () => new Response(format.format(1234.5)) };\n",
      "workers: 1\n", WSUP_WORKER_BINARY);
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  EXPECT_EQ(http_get(c.port, "/").body, "1,234.5");
  EXPECT_EQ(http_get(c.port, "/").body, "1,234.5");
  const std::string log = c.supervisor->log();
  EXPECT_NE(log.find("it cannot be snapshotted"), std::string::npos) << log;
  EXPECT_NE(log.find("not serialized"), std::string::npos) << log;
  EXPECT_EQ(log.find("worker exited"), std::string::npos) << log;
}

TEST(Snapshot, V8FlagsThatPrintToStdoutLeaveTheSnapshotBuildIntact) {
  // --serialization-statistics prints to stdout while the child serializes, as --trace-gc and
  // V8's other traces do: the build comes back on a descriptor of its own, so the script still
  // starts from its snapshot (it fell back to per-request evaluation when both shared stdout).
  OneScriptCluster c(version_script("v1"), "workers: 1\n", WSUP_WORKER_BINARY,
                     {"WSUP_V8_FLAGS=--serialization-statistics"});
  ASSERT_TRUE(c.supervisor->wait_serving(c.port)) << c.supervisor->log();
  EXPECT_EQ(http_get(c.port, "/").body, "v1");
  const std::string log = c.supervisor->log();
  EXPECT_NE(log.find("scripts' snapshot built"), std::string::npos) << log;
  EXPECT_EQ(log.find("cannot be snapshotted"), std::string::npos) << log;
}

TEST(Snapshot, CheckSaysHowEachScriptStartsAndRefusesRandomValuesAtTopLevel) {
  TempDir dir;
  dir.write("ok.mjs", "export default { fetch: () => new Response('ok') };\n");
  dir.write("intl.mjs",
            "const format = new Intl.DateTimeFormat('en-US');\n"
            "export default { fetch: () => new Response(format.format(0)) };\n");
  auto config = dir.write("cluster.yaml",
                          "scripts:\n"
                          "  - {name: ok, path: ok.mjs, routes: [\"/ok/*\"], isolation: isolate}\n"
                          "  - {name: intl, path: intl.mjs, routes: [\"/*\"]}\n");
  CommandResult r =
      run_command({WSUP_BINARY, "check", config.string(), "--worker-binary", WSUP_WORKER_BINARY});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok: isolation isolate; new contexts start from its snapshot"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("intl: isolation request; top level evaluated in every new context, "
                          "it cannot be snapshotted"),
            std::string::npos)
      << r.output;

  dir.write("ok.mjs", "\nconst id = Math.random();\nexport default {};\n");
  r = run_command({WSUP_BINARY, "check", config.string(), "--worker-binary", WSUP_WORKER_BINARY});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("ok.mjs:2:17: Disallowed operation called within global scope: "
                          "Math.random()"),
            std::string::npos)
      << r.output;
}

TEST(Snapshot, TheSnapshotBuilderRefusesTopLevelEvalUnlessAllowEvalSaysSo) {
  // The top level runs in `wsup-worker --build-snapshot`: with allow_eval off, eval() there is the
  // same EvalError as in a request, located in the script, and nothing it made is snapshotted.
  TempDir dir;
  dir.write("evald.mjs",
            "const answer = eval('6 * 7');\n"
            "export default { fetch: () => new Response(String(answer)) };\n");
  auto config = dir.write("cluster.yaml",
                          "scripts:\n"
                          "  - {name: evald, path: evald.mjs, routes: [\"/*\"]}\n");
  CommandResult r =
      run_command({WSUP_BINARY, "check", config.string(), "--worker-binary", WSUP_WORKER_BINARY});
  EXPECT_NE(r.output.find("evald: isolation request; top level evaluated in every new context, "
                          "it cannot be snapshotted: its top level threw evald.mjs:1:16: "
                          "EvalError: Code generation from "
                          "strings disallowed for this context: eval() and new Function() are off "
                          "for script \"evald\" (cluster.yaml allow_eval: true turns them on)"),
            std::string::npos)
      << r.output;

  config = dir.write("cluster.yaml",
                     "allow_eval: true\n"
                     "scripts:\n"
                     "  - {name: evald, path: evald.mjs, routes: [\"/*\"]}\n");
  r = run_command({WSUP_BINARY, "check", config.string(), "--worker-binary", WSUP_WORKER_BINARY});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("evald: isolation request; new contexts start from its snapshot"),
            std::string::npos)
      << r.output;
}
