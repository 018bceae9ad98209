// Wrangler files (TOML, JSONC) and dotenv files read into a script entry: values, overrides,
// notices for what wsup ignores, and errors with file:line:column.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/dotenv.h"
#include "config/load.h"
#include "config/wrangler_file.h"
#include "tests/config/script_dir.h"

namespace wsup::config {
namespace {

std::string errors_of(const std::string& yaml, const testing::ScriptDir& dir) {
  try {
    parse(yaml, dir.file("cluster.yaml"));
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

constexpr const char* kEntry = "scripts:\n  - wrangler: wrangler.toml\n    routes: [\"/*\"]\n";

TEST(WranglerFile, StripJsonCommentsKeepsStringsAndEveryPosition) {
  const std::string text =
      "{ // line\n  \"a\": \"x // y /* z */\", /* block\n spans */ \"b\": [1, 2,],\n}\n";
  const std::string stripped = strip_json_comments(text);
  ASSERT_EQ(stripped.size(), text.size());
  EXPECT_EQ(stripped,
            "{        \n  \"a\": \"x // y /* z */\",         \n          \"b\": [1, 2 ] \n}\n");
  // An escaped quote does not end the string; a comma before a value stays.
  EXPECT_EQ(strip_json_comments(R"(["a\"//", 1, ])"), R"(["a\"//", 1  ])");
}

TEST(WranglerFile, ReadsATabIndentedJsoncAsCreateCloudflareWritesIt) {
  WranglerNode root = parse_wrangler_jsonc(
      "/**\n * https://developers.cloudflare.com/workers/wrangler/configuration/\n */\n{\n"
      "\t\"$schema\": \"node_modules/wrangler/config-schema.json\",\n\t\"name\": \"my-app\",\n"
      "\t\"vars\": {\n\t\t\"URL\": \"https://example.com/a\" // the API\n\t},\n"
      "\t\"observability\": { \"enabled\": true },\n}\n",
      "wrangler.jsonc");
  ASSERT_EQ(root.members.size(), 4u);
  EXPECT_EQ(root.member("name")->text, "my-app");
  EXPECT_EQ(root.member("name")->where.line, 6);
  EXPECT_EQ(root.member("name")->where.column, 2);
  EXPECT_EQ(root.member("vars")->member("URL")->json, "\"https://example.com/a\"");
  EXPECT_EQ(root.member("observability")->json, "{\"enabled\":true}");
}

TEST(WranglerFile, JsoncSyntaxErrorsAndUnquotedStringsAreLocated) {
  try {
    parse_wrangler_jsonc("{\n  \"name\": \"x\",\n  \"main\": [1, 2\n}\n", "w.jsonc");
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("w.jsonc:"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("JSON syntax error"), std::string::npos)
        << error.what();
  }
  try {
    parse_wrangler_jsonc("{\n  \"name\": oops\n}\n", "w.jsonc");
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(),
                 "w.jsonc:2:11: name: \"oops\" is not JSON: a string needs double quotes");
  }
}

TEST(WranglerFile, TomlSyntaxErrorIsLocated) {
  try {
    parse_wrangler_toml("name = \"x\"\nmain = \n", "w.toml");
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("w.toml:2:"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("TOML syntax error"), std::string::npos)
        << error.what();
  }
}

TEST(WranglerConfig, TomlGivesNameMainVarsFlagsDateAndCrons) {
  testing::ScriptDir dir;
  dir.write("src/index.js", "export default { fetch() { return new Response('w'); } };\n");
  dir.write("wrangler.toml",
            "name = \"my-worker\"\nmain = \"src/index.js\"\ncompatibility_date = \"2024-09-23\"\n"
            "compatibility_flags = [\"nodejs_compat\"]\n"
            "[vars]\nA = \"text\"\nN = 42\nO = { k = [1, true] }\n"
            "[triggers]\ncrons = [\"0 * * * *\", \"*/5 * * * *\"]\n");
  ClusterConfig config = parse(kEntry, dir.file("cluster.yaml"));
  ASSERT_EQ(config.scripts.size(), 1u);
  const Script& script = config.scripts[0];
  EXPECT_EQ(script.name, "my-worker");
  EXPECT_EQ(script.path, dir.file("src/index.js"));
  EXPECT_TRUE(script.module);
  EXPECT_EQ(script.compatibility_date, "2024-09-23");
  EXPECT_EQ(script.compatibility_flags, std::vector<std::string>{"nodejs_compat"});
  EXPECT_EQ(script.vars.at("A"), "\"text\"");
  EXPECT_EQ(script.vars.at("N"), "42");
  EXPECT_EQ(script.vars.at("O"), R"({"k":[1,true]})");
  EXPECT_EQ(script.crons, (std::vector<std::string>{"0 * * * *", "*/5 * * * *"}));
  EXPECT_EQ(script.wrangler_file, dir.file("wrangler.toml"));
  EXPECT_TRUE(config.notices.empty());
}

TEST(WranglerConfig, EntryKeysAndVarsFileOverrideTheWranglerFile) {
  testing::ScriptDir dir;
  dir.write("wrangler.toml",
            "name = \"w\"\nmain = \"a.js\"\n[vars]\nA = \"1\"\nB = \"1\"\nC = \"1\"\n");
  dir.write(".dev.vars", "B=2\nC=2\n");
  ClusterConfig config = parse(
      "scripts:\n  - wrangler: wrangler.toml\n    name: renamed\n    path: b.js\n"
      "    vars_file: .dev.vars\n    vars: { C: 3 }\n    routes: [\"/*\"]\n",
      dir.file("cluster.yaml"));
  const Script& script = config.scripts[0];
  EXPECT_EQ(script.name, "renamed");
  EXPECT_EQ(script.path, dir.file("b.js"));
  EXPECT_EQ(script.vars.at("A"), "\"1\"");
  EXPECT_EQ(script.vars.at("B"), "\"2\"");
  EXPECT_EQ(script.vars.at("C"), "3");
}

TEST(WranglerConfig, WhatWsupDoesNotSupportIsOneNoticeEach) {
  testing::ScriptDir dir;
  dir.write("wrangler.toml",
            "name = \"w\"\nmain = \"a.js\"\nroutes = [\"example.com/*\"]\n"
            "compatibility_flags = [\"nodejs_compat\", \"url_standard\"]\n"
            "[[kv_namespaces]]\nbinding = \"KV\"\n[[r2_buckets]]\nbinding = \"R2\"\n"
            "[triggers]\ncrons = []\nother = 1\n");
  ClusterConfig config = parse(kEntry, dir.file("cluster.yaml"));
  const std::string file = dir.file("wrangler.toml");
  EXPECT_EQ(config.notices,
            (std::vector<std::string>{
                file + ":3:1: routes: not supported by wsup, ignored",
                file + ":4:41: compatibility_flags[1]: compatibility flag \"url_standard\" is "
                       "not supported by wsup, ignored",
                file + ":5:3: kv_namespaces: not supported by wsup, ignored",
                file + ":7:3: r2_buckets: not supported by wsup, ignored",
                file + ":11:1: triggers.other: not supported by wsup, ignored"}));
}

TEST(WranglerConfig, ErrorsNameTheWranglerFileLineAndColumn) {
  testing::ScriptDir dir;
  dir.write("wrangler.toml",
            "name = \"w\"\nmain = \"missing.js\"\ncompatibility_date = \"2024-13-01\"\n"
            "[vars]\n\"not-an-identifier\" = 1\n");
  const std::string file = dir.file("wrangler.toml");
  const std::string errors = errors_of(kEntry, dir);
  EXPECT_NE(
      errors.find(file + ":2:1: main: script file " + dir.file("missing.js") + " does not exist"),
      std::string::npos)
      << errors;
  EXPECT_NE(errors.find(file + ":3:1: compatibility_date: \"2024-13-01\" is not a date"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find(file + ":5:1: vars.not-an-identifier: binding name must be"),
            std::string::npos)
      << errors;
  // A file that is not there is reported where cluster.yaml names it, and only that.
  const std::string missing =
      errors_of("scripts:\n  - wrangler: nope.toml\n    routes: [\"/*\"]\n", dir);
  EXPECT_EQ(missing, dir.file("cluster.yaml") +
                         ":2:15: scripts[0].wrangler: " + dir.file("nope.toml") +
                         ": cannot read the wrangler file: No such file or directory");
}

TEST(WranglerConfig, JsoncProjectWithoutANameTakesItsFoldersName) {
  testing::ScriptDir dir;
  dir.write("wrangler.jsonc", "{ /* no name */ \"main\": \"m.mjs\", }\n");
  ClusterConfig config = parse("scripts:\n  - wrangler: wrangler.jsonc\n    routes: [\"/*\"]\n",
                               dir.file("cluster.yaml"));
  EXPECT_EQ(config.scripts[0].name,
            std::filesystem::path(dir.file("m.mjs")).parent_path().filename().string());
  EXPECT_EQ(config.scripts[0].path, dir.file("m.mjs"));
}

TEST(Dotenv, ReadsBareQuotedAndExportedValues) {
  std::vector<DotenvEntry> entries = parse_dotenv(
      "# comment\n\nA=plain value  # trailing comment\nexport B = 'single # kept'\n"
      "C=\"line\\nbreak \\\"q\\\"\"\nD=\nE=\"two\nlines\"\nF=a#b\n",
      ".dev.vars");
  ASSERT_EQ(entries.size(), 6u);
  EXPECT_EQ(entries[0].key, "A");
  EXPECT_EQ(entries[0].value, "plain value");
  EXPECT_EQ(entries[0].where.line, 3);
  EXPECT_EQ(entries[1].key, "B");
  EXPECT_EQ(entries[1].value, "single # kept");
  EXPECT_EQ(entries[2].value, "line\nbreak \"q\"");
  EXPECT_EQ(entries[3].value, "");
  EXPECT_EQ(entries[4].value, "two\nlines");
  EXPECT_EQ(entries[5].key, "F");
  EXPECT_EQ(entries[5].where.line, 9);
  EXPECT_EQ(entries[5].value, "a#b");
}

TEST(Dotenv, BadLinesAreLocated) {
  try {
    parse_dotenv("GOOD=1\nno equals here\nQ=\"open\n", ".dev.vars");
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(),
                 ".dev.vars:2:4: expected KEY=VALUE (a dotenv line)\n"
                 ".dev.vars:3:3: Q: the quoted value is never closed");
  }
}

}  // namespace
}  // namespace wsup::config
