// `wsup dev` on Workers projects, with the real wsup and wsup-worker over loopback HTTP: a
// wrangler.toml project (main, vars, .dev.vars, compatibility_flags, triggers, keys wsup does not
// support listed), a wrangler.jsonc one with comments, --var, an edit to an imported module
// picked up, and syntax errors waited on (at start and while serving) until the fix is saved.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "harness.h"

namespace wsup::e2e {
namespace {

using namespace std::chrono_literals;

// The entry module answers with what it was given: the imported module's version and env.
constexpr const char* kIndex = R"(import { version } from "./lib.js";
import { Buffer } from "node:buffer";
export default {
  fetch(request, env) {
    return Response.json({ version, greeting: env.GREETING, limit: env.LIMIT,
                           secret: env.API_KEY, extra: env.EXTRA ?? null,
                           b64: Buffer.from("hi").toString("base64") });
  },
};
)";

// Rewrites a file so that its modification time moves forward even on a coarse clock.
void edit(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::filesystem::path file = dir.path() / name;
  const auto before = std::filesystem::last_write_time(file);
  dir.write(name, text);
  if (std::filesystem::last_write_time(file) <= before)
    std::filesystem::last_write_time(file, before + 1s);
}

bool body_has(uint16_t port, const std::string& text) {
  HttpResult r = http_get(port, "/");
  return r.status == 200 && r.body.find(text) != std::string::npos;
}

void write_toml_project(const TempDir& dir) {
  dir.write("wrangler.toml",
            "name = \"sample-app\"\n"
            "main = \"src/index.js\"\n"
            "compatibility_date = \"2024-09-23\"\n"
            "compatibility_flags = [\"nodejs_compat\", \"streams_enable_constructors\"]\n"
            "\n"
            "[vars]\n"
            "GREETING = \"hello\"\n"
            "LIMIT = 3\n"
            "\n"
            "[triggers]\n"
            "crons = [\"*/5 * * * *\"]\n"
            "\n"
            "[[kv_namespaces]]\n"
            "binding = \"CACHE\"\n"
            "id = \"0123\"\n");
  dir.write(".dev.vars", "# secrets for local development\nAPI_KEY=\"s3cret value\"\n");
  dir.write("src/index.js", kIndex);
  dir.write("src/lib.js", "export const version = \"v1\";\n");
}

TEST(DevWrangler, ServesATomlProjectWithVarsSecretsAndFlagsAndListsWhatItIgnores) {
  TempDir dir;
  write_toml_project(dir);
  const uint16_t port = free_port();
  Supervisor dev({"dev", dir.path().string(), "--port", std::to_string(port), "--var",
                  "EXTRA=from-cli", "--worker-binary", WSUP_WORKER_BINARY},
                 "", (dir.path() / "dev.log").string());
  ASSERT_TRUE(dev.wait_serving(port)) << dev.log();
  HttpResult r = http_get(port, "/");
  ASSERT_EQ(r.status, 200) << dev.log();
  EXPECT_EQ(r.body, R"({"version":"v1","greeting":"hello","limit":3,"secret":"s3cret value",)"
                    R"("extra":"from-cli","b64":"aGk="})")
      << dev.log();
  // One line per thing ignored, where the wrangler file says it.
  const std::string toml = (dir.path() / "wrangler.toml").string();
  EXPECT_NE(dev.log().find(toml + ":13:3: kv_namespaces: not supported by wsup, ignored"),
            std::string::npos)
      << dev.log();
  EXPECT_NE(dev.log().find(toml + ":4:41: compatibility_flags[1]: compatibility flag "
                                  "\\\"streams_enable_constructors\\\" is not supported"),
            std::string::npos)
      << dev.log();
  // triggers.crons is read, not listed as ignored: the scheduler arms the wrangler file's cron.
  EXPECT_EQ(dev.log().find("triggers.crons: not supported"), std::string::npos) << dev.log();
  EXPECT_NE(dev.log().find("msg=\"cron triggers armed\" triggers=1"), std::string::npos)
      << dev.log();
}

TEST(DevWrangler, ReloadsWhenAnImportedModuleChanges) {
  TempDir dir;
  write_toml_project(dir);
  const uint16_t port = free_port();
  Supervisor dev({"dev", (dir.path() / "wrangler.toml").string(), "--port", std::to_string(port),
                  "--worker-binary", WSUP_WORKER_BINARY},
                 "", (dir.path() / "dev.log").string());
  ASSERT_TRUE(dev.wait_serving(port)) << dev.log();
  ASSERT_TRUE(body_has(port, "\"version\":\"v1\"")) << dev.log();
  edit(dir, "src/lib.js", "export const version = \"v2\";\n");
  EXPECT_TRUE(eventually([&] { return body_has(port, "\"version\":\"v2\""); }, 30s)) << dev.log();
  // A module the entry starts importing later is watched from then on.
  dir.write("src/more.js", "export const more = \"m1\";\n");
  edit(dir, "src/lib.js", "export { more as version } from \"./more.js\";\n");
  ASSERT_TRUE(eventually([&] { return body_has(port, "\"version\":\"m1\""); }, 30s)) << dev.log();
  edit(dir, "src/more.js", "export const more = \"m2\";\n");
  EXPECT_TRUE(eventually([&] { return body_has(port, "\"version\":\"m2\""); }, 30s)) << dev.log();
}

// wrangler dev reads .dev.vars when it starts; wsup dev also takes one created (then edited) while
// it serves, and a wrangler file that appears in the folder it was given, earlier in wrangler's
// order (json, jsonc, toml), takes over as it would at a start.
TEST(DevWrangler, PicksUpADevVarsFileCreatedAfterItStarted) {
  TempDir dir;
  write_toml_project(dir);
  std::filesystem::remove(dir.path() / ".dev.vars");
  const uint16_t port = free_port();
  Supervisor dev({"dev", dir.path().string(), "--port", std::to_string(port), "--worker-binary",
                  WSUP_WORKER_BINARY},
                 "", (dir.path() / "dev.log").string());
  ASSERT_TRUE(dev.wait_serving(port)) << dev.log();
  ASSERT_TRUE(body_has(port, "\"greeting\":\"hello\"")) << dev.log();
  EXPECT_FALSE(body_has(port, "\"secret\"")) << http_get(port, "/").body;

  dir.write(".dev.vars", "API_KEY=created-later\n");
  EXPECT_TRUE(eventually([&] { return body_has(port, "\"secret\":\"created-later\""); }, 30s))
      << dev.log();
  edit(dir, ".dev.vars", "API_KEY=edited\n");
  EXPECT_TRUE(eventually([&] { return body_has(port, "\"secret\":\"edited\""); }, 30s))
      << dev.log();

  dir.write("wrangler.json",
            R"({"name": "sample-app", "main": "src/index.js", "compatibility_date": "2024-09-23",)"
            R"( "compatibility_flags": ["nodejs_compat"], "vars": {"GREETING": "from json"}})");
  EXPECT_TRUE(eventually([&] { return body_has(port, "\"greeting\":\"from json\""); }, 30s))
      << dev.log();
  EXPECT_TRUE(body_has(port, "\"secret\":\"edited\"")) << http_get(port, "/").body;
}

TEST(DevWrangler, ReadsWranglerJsoncWithComments) {
  TempDir dir;
  dir.write("wrangler.jsonc",
            "// the project\n"
            "{\n"
            "  \"$schema\": \"node_modules/wrangler/config-schema.json\",\n"
            "  \"name\": \"jsonc-app\", /* the Worker's name */\n"
            "  \"main\": \"worker.js\",\n"
            "  \"vars\": { \"GREETING\": \"hi // not a comment\", \"LIMIT\": 7, },\n"
            "  \"d1_databases\": [{ \"binding\": \"DB\" }],\n"
            "}\n");
  dir.write("worker.js",
            "export default { fetch(r, env) { return new Response(env.GREETING + '|' + "
            "env.LIMIT); } };\n");
  const uint16_t port = free_port();
  Supervisor dev({"dev", dir.path().string(), "--port", std::to_string(port), "--worker-binary",
                  WSUP_WORKER_BINARY},
                 "", (dir.path() / "dev.log").string());
  ASSERT_TRUE(dev.wait_serving(port)) << dev.log();
  EXPECT_EQ(http_get(port, "/").body, "hi // not a comment|7") << dev.log();
  const std::string jsonc = (dir.path() / "wrangler.jsonc").string();
  EXPECT_NE(dev.log().find(jsonc + ":7:3: d1_databases: not supported by wsup, ignored"),
            std::string::npos)
      << dev.log();
  EXPECT_EQ(dev.log().find("$schema"), std::string::npos) << dev.log();
}

TEST(DevWrangler, WaitsOnASyntaxErrorAndServesTheFix) {
  TempDir dir;
  write_toml_project(dir);
  dir.write("src/lib.js", "export const version = \"v1\" +;\n");
  const uint16_t port = free_port();
  Supervisor dev({"dev", dir.path().string(), "--port", std::to_string(port), "--worker-binary",
                  WSUP_WORKER_BINARY},
                 "", (dir.path() / "dev.log").string());
  const std::string lib = (dir.path() / "src/lib.js").string();
  ASSERT_TRUE(
      eventually([&] { return dev.log().find("waiting for a change") != std::string::npos; }, 30s))
      << dev.log();
  EXPECT_NE(dev.log().find(lib + ":1:30: SyntaxError"), std::string::npos) << dev.log();
  EXPECT_FALSE(dev.wait_exit(0ms)) << dev.log();

  edit(dir, "src/lib.js", "export const version = \"fixed\";\n");
  ASSERT_TRUE(dev.wait_serving(port, 30s)) << dev.log();
  EXPECT_TRUE(body_has(port, "\"version\":\"fixed\"")) << dev.log();

  // While serving: a broken save keeps the last good version up and says why.
  edit(dir, "src/index.js", "export default {\n");
  const std::string index = (dir.path() / "src/index.js").string();
  ASSERT_TRUE(eventually(
      [&] { return dev.log().find(index + ":2:1: SyntaxError") != std::string::npos; }, 30s))
      << dev.log();
  EXPECT_TRUE(body_has(port, "\"version\":\"fixed\"")) << dev.log();
  edit(dir, "src/index.js",
       "export default { fetch() { return new Response(\"second fix\"); } };\n");
  EXPECT_TRUE(eventually([&] { return body_has(port, "second fix"); }, 30s)) << dev.log();
}

TEST(DevWrangler, StartServesAClusterEntryThatNamesAWranglerFile) {
  TempDir dir;
  write_toml_project(dir);
  const uint16_t port = free_port();
  const std::string control = (dir.path() / "control.sock").string();
  auto config = dir.write("cluster.yaml", "listen: 127.0.0.1:" + std::to_string(port) +
                                              "\nworkers: 1\nscripts:\n"
                                              "  - wrangler: wrangler.toml\n"
                                              "    vars_file: .dev.vars\n"
                                              "    vars: { LIMIT: 9 }\n"
                                              "    routes: [\"/*\"]\n");
  CommandResult check = run_command(
      {WSUP_BINARY, "check", config.string(), "--worker-binary", WSUP_WORKER_BINARY}, 60s);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("wrangler.toml:13:3: kv_namespaces: not supported by wsup, ignored"),
            std::string::npos)
      << check.output;
  Supervisor start(config.string(), control, WSUP_WORKER_BINARY);
  ASSERT_TRUE(start.wait_serving(port)) << start.log();
  EXPECT_TRUE(body_has(port, R"("greeting":"hello","limit":9,"secret":"s3cret value")"))
      << http_get(port, "/").body << start.log();
}

TEST(DevWrangler, RefusesABadVarOption) {
  CommandResult r = run_command({WSUP_BINARY, "dev", "--var", "NOEQUALS"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--var takes KEY=VALUE"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace wsup::e2e
