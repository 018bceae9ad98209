// Bad configs are refused with the exact file:line:column, key path and message of each problem.
#include <gtest/gtest.h>

#include "config/load.h"
#include "tests/config/script_dir.h"

namespace wsup::config {
namespace {

// A valid scripts section (lines 1-4 when it comes first), for cases that test something else.
const std::string kScriptA = "scripts:\n  - name: a\n    path: a.js\n    routes: [\"/*\"]\n";

struct BadConfig {
  std::string name;  // the behaviour, as the test case name
  std::string yaml;
  int line;
  int column;
  std::string key_path;
  std::string message_part;
};

std::vector<Diagnostic> errors_of(const std::string& yaml, const testing::ScriptDir& dir) {
  try {
    parse(yaml, dir.file("cluster.yaml"));
  } catch (const ConfigError& error) {
    return error.errors();
  }
  return {};
}

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, IsRefusedWithOneDiagnosticAtTheRightPlace) {
  testing::ScriptDir dir;
  const BadConfig& bad = GetParam();
  std::vector<Diagnostic> errors = errors_of(bad.yaml, dir);
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(bad.yaml) << "\n"
                               << (errors.empty() ? "accepted" : ConfigError(errors).what());
  EXPECT_EQ(errors[0].where.file, dir.file("cluster.yaml"));
  EXPECT_EQ(errors[0].where.line, bad.line) << errors[0].to_string();
  EXPECT_EQ(errors[0].where.column, bad.column) << errors[0].to_string();
  EXPECT_EQ(errors[0].key_path, bad.key_path) << errors[0].to_string();
  EXPECT_NE(errors[0].message.find(bad.message_part), std::string::npos) << errors[0].to_string();
}

const BadConfig kBadConfigs[] = {
    {"YamlSyntaxError", "workers: [1, 2\nlisten: 8080\n" + kScriptA, 2, 7, "", "YAML syntax error"},
    {"TopLevelIsAList", "- a\n- b\n", 1, 1, "", "must be a mapping of keys, got a list"},
    {"UnknownKeySuggestsTheClosest", "worker: 4\n" + kScriptA, 1, 1, "worker",
     "unknown key (did you mean 'workers'?)"},
    {"SectionKeyAtTopLevelSuggestsItsSection", "cpu_ms: 5\n" + kScriptA, 1, 1, "cpu_ms",
     "unknown key (did you mean 'limits.cpu_ms'?)"},
    {"DuplicateKey", "workers: 2\nworkers: 3\n" + kScriptA, 2, 1, "workers", "duplicate key"},
    {"AllowEvalNotABoolean", "allow_eval: sometimes\n" + kScriptA, 1, 13, "allow_eval",
     "must be one of: false, true"},
    {"ConsoleBytesTooLarge", "limits:\n  console_bytes: 1GiB\n" + kScriptA, 2, 18,
     "limits.console_bytes", "must be"},
    {"CpuHardBelowCpu", "limits:\n  cpu_ms: 100\n  cpu_hard_ms: 50\n" + kScriptA, 3, 16,
     "limits.cpu_hard_ms", "must be at least cpu_ms (100 ms), got 50 ms"},
    {"StuckWorkerTimeoutBelowASecond", "stuck_worker_timeout: 500ms\n" + kScriptA, 1, 23,
     "stuck_worker_timeout", "must be"},
    {"WorkersZero", "workers: 0\n" + kScriptA, 1, 10, "workers",
     "must be between 1 and 256, got 0"},
    {"WorkersAboveLimit", "workers: 300\n" + kScriptA, 1, 10, "workers",
     "must be between 1 and 256, got 300"},
    {"WorkersNotANumber", "workers: many\n" + kScriptA, 1, 10, "workers",
     "must be a number from 1 to 256 or \"auto\", got \"many\""},
    {"WorkersWithoutValuePointsAtTheKey", "workers:\n" + kScriptA, 1, 1, "workers", "got nothing"},
    {"IsolatesZero", "isolates_per_worker: 0\n" + kScriptA, 1, 22, "isolates_per_worker",
     "must be between 1 and 64, got 0"},
    {"RingSlotsNotPowerOfTwo", "ring_slots: 100\n" + kScriptA, 1, 13, "ring_slots",
     "must be a power of two"},
    {"RingSlotsTooFew", "ring_slots: 1\n" + kScriptA, 1, 13, "ring_slots",
     "must be between 2 and 65536, got 1"},
    {"SlotArenaNotCacheLineMultiple", "slot_arena_bytes: 100000\n" + kScriptA, 1, 19,
     "slot_arena_bytes", "must be a multiple of 64"},
    {"HttpThreadsZero", "http_threads: 0\n" + kScriptA, 1, 15, "http_threads",
     "must be between 1 and 4096"},
    {"DrainTimeoutWithoutUnit", "drain_timeout: 10\n" + kScriptA, 1, 16, "drain_timeout",
     "needs a unit"},
    {"DrainTimeoutUnknownUnit", "drain_timeout: 3 fortnights\n" + kScriptA, 1, 16, "drain_timeout",
     "unknown time unit 'fortnights'"},
    {"CpuMsZero", "limits:\n  cpu_ms: 0\n" + kScriptA, 2, 11, "limits.cpu_ms",
     "must be between 1 and 600000 ms, got 0 ms"},
    {"WallTimeTooLong", "limits:\n  wall_ms: 2h\n" + kScriptA, 2, 12, "limits.wall_ms",
     "must be between 1 and 3600000 ms, got 7200000 ms"},
    {"LimitsUnknownKeySuggestsTheClosest", "limits:\n  cpu_mss: 10\n" + kScriptA, 2, 3,
     "limits.cpu_mss", "did you mean 'cpu_ms'?"},
    {"HeapTooSmall", "limits:\n  heap_mib: 8\n" + kScriptA, 2, 13, "limits.heap_mib",
     "must be between 16 and 65536, got 8"},
    {"BodySizeNotASize", "limits:\n  max_body_bytes: lots\n" + kScriptA, 2, 19,
     "limits.max_body_bytes", "\"lots\" is not a size"},
    {"BodySizeUnknownUnit", "limits:\n  max_body_bytes: 16XB\n" + kScriptA, 2, 19,
     "limits.max_body_bytes", "unknown size unit 'XB'"},
    {"HttpTimeoutWithoutUnit", "http:\n  body_timeout: 10\n" + kScriptA, 2, 17, "http.body_timeout",
     "needs a unit"},
    {"HttpHeaderTimeoutZero", "http:\n  header_timeout: 0s\n" + kScriptA, 2, 19,
     "http.header_timeout", "must be between 1 and 3600000 ms, got 0 ms"},
    {"HttpUnknownKeySuggestsTheClosest", "http:\n  idle_timout: 5s\n" + kScriptA, 2, 3,
     "http.idle_timout", "did you mean 'idle_timeout'?"},
    {"HttpKeyAtTopLevelSuggestsItsSection", "body_timeout: 5s\n" + kScriptA, 1, 1, "body_timeout",
     "did you mean 'http.body_timeout'?"},
    {"MinBodyRateNotARate", "http:\n  min_body_rate: fast\n" + kScriptA, 2, 18,
     "http.min_body_rate", "\"fast\" is not a rate in bytes per second"},
    {"MinBodyRateAList", "http:\n  min_body_rate: [1]\n" + kScriptA, 2, 18, "http.min_body_rate",
     "must be a rate in bytes per second"},
    {"ListenWithoutPort", "listen: localhost\n" + kScriptA, 1, 9, "listen", "has no valid port"},
    {"ListenPortOutOfRange", "listen: 70000\n" + kScriptA, 1, 9, "listen",
     "port must be between 1 and 65535, got 70000"},
    {"ListenMapping", "listen: {port: 80}\n" + kScriptA, 1, 9, "listen",
     "must be \"host:port\" or a port number, got a mapping"},
    {"ListenAddressTwice", "listen:\n  - 127.0.0.1:8080\n  - 127.0.0.1:8080\n" + kScriptA, 3, 5,
     "listen", "clashes with 127.0.0.1:8080 at 2:5"},
    {"AdminHttpClashesWithListen",
     "listen: 127.0.0.1:8080\nadmin:\n  http: 0.0.0.0:8080\n" + kScriptA, 3, 9, "admin.http",
     "clashes with listen address 127.0.0.1:8080 at 1:9"},
    {"ControlSocketPathTooLong",
     "admin:\n  control_socket: /" + std::string(120, 'x') + "\n" + kScriptA, 2, 19,
     "admin.control_socket", "at most 107"},
    {"LogLevelUnknown", "logging:\n  level: verbose\n" + kScriptA, 2, 10, "logging.level",
     "must be one of: debug, info, warn, error"},
    {"AccessLogTypoSuggestsTheClosest", "logging:\n  access_log: comon\n" + kScriptA, 2, 15,
     "logging.access_log", "did you mean 'common'?"},
    {"LogFormatUnknown", "logging:\n  format: text\n" + kScriptA, 2, 11, "logging.format",
     "must be one of: logfmt, json"},
    {"CommonLogFormatWithoutItsOwnFile", "logging:\n  access_log: common\n" + kScriptA, 2, 3,
     "logging", "access_log: common needs logging.access_file"},
    {"AccessFileNotAFile", "logging:\n  access_file: stderr\n" + kScriptA, 2, 16,
     "logging.access_file", "must be a file path"},
    {"ResponseSizeNotASize", "limits:\n  max_response_bytes: big\n" + kScriptA, 2, 23,
     "limits.max_response_bytes", "\"big\" is not a size"},
    {"WebAssemblyNotAutoOrBoolean", "webassembly: yes\n" + kScriptA, 1, 14, "webassembly",
     "must be one of: auto, true, false"},
    {"UserAgentEmpty", "user_agent: \"\"\n" + kScriptA, 1, 13, "user_agent",
     "must be a non-empty string of printable ASCII characters"},
    {"UserAgentWithANewline", "user_agent: \"a\\nb\"\n" + kScriptA, 1, 13, "user_agent",
     "printable ASCII"},
    {"CompatibilityFlagUnknown", kScriptA + "    compatibility_flags: [nodejs_compat_v2]\n", 5, 27,
     "scripts[0].compatibility_flags[0]",
     "unknown compatibility flag \"nodejs_compat_v2\": wsup knows nodejs_compat"},
    {"CompatibilityFlagsNotAList", kScriptA + "    compatibility_flags: nodejs_compat\n", 5, 26,
     "scripts[0].compatibility_flags", "must be a list of flags (e.g. [nodejs_compat])"},
    {"CompatibilityFlagTwice",
     kScriptA + "    compatibility_flags: [nodejs_compat, nodejs_compat]\n", 5, 42,
     "scripts[0].compatibility_flags[1]", "duplicate compatibility flag"},
    {"CompatibilityDateNotADate", kScriptA + "    compatibility_date: 2024-02-30\n", 5, 25,
     "scripts[0].compatibility_date", "\"2024-02-30\" is not a date: write it as YYYY-MM-DD"},
    {"CompatibilityDateOtherFormat", kScriptA + "    compatibility_date: 23/09/2024\n", 5, 25,
     "scripts[0].compatibility_date", "is not a date"},
    // "    crons: [" is 12 columns: the quoted text starts at column 14, its 4th field at 20.
    {"CronFieldOutOfRangePointsAtTheField", kScriptA + "    crons: [\"0 0 * 13 *\"]\n", 5, 20,
     "scripts[0].crons[0]", "month field \"13\": 13 is out of range 1-12"},
    {"CronPlainScalarPointsAtTheField", kScriptA + "    crons:\n      - 0 25 * * *\n", 6, 11,
     "scripts[0].crons[0]", "hour field"},
    {"CronWithSixFields", kScriptA + "    crons: [\"* * * * * *\"]\n", 5, 24, "scripts[0].crons[0]",
     "a cron expression has 5 fields"},
    {"CronNotAList", kScriptA + "    crons: \"* * * * *\"\n", 5, 12, "scripts[0].crons",
     "must be a list of cron expressions"},
    {"CronDuplicate", kScriptA + "    crons: [\"* * * * *\", \"* * * * *\"]\n", 5, 26,
     "scripts[0].crons[1]", "duplicate cron"},
    {"CronQuartzExtension", kScriptA + "    crons: [\"0 0 L * *\"]\n", 5, 18, "scripts[0].crons[0]",
     "not supported"},
    {"SubrequestsNotANumber", "limits:\n  subrequests: many\n" + kScriptA, 2, 16,
     "limits.subrequests", "got \"many\""},
    {"ConcurrentSubrequestsZero", "limits:\n  concurrent_subrequests: 0\n" + kScriptA, 2, 27,
     "limits.concurrent_subrequests", "must be between 1 and 1000, got 0"},
    {"SubrequestTimeoutZero", "limits:\n  subrequest_timeout_ms: 0\n" + kScriptA, 2, 26,
     "limits.subrequest_timeout_ms", "must be between 1 and 3600000 ms"},
    {"OutboundRuleWithHostBits", "outbound:\n  allow: [\"10.0.0.1/8\"]\n" + kScriptA, 2, 11,
     "outbound.allow[0]", "rule \"10.0.0.1/8\" has host bits set (did you mean 10.0.0.0/8?)"},
    {"OutboundRuleUnknownWord", "outbound:\n  deny:\n    - loopbak\n" + kScriptA, 3, 7,
     "outbound.deny[0]", "looks like a misspelt address class (did you mean 'loopback'?"},
    {"OutboundRuleBadPort", "outbound:\n  allow: \"api.example.com:99999\"\n" + kScriptA, 2, 10,
     "outbound.allow", "has a bad port \"99999\""},
    {"OutboundRuleNotAString", "outbound:\n  allow: [{host: x}]\n" + kScriptA, 2, 11,
     "outbound.allow[0]", "must be a rule string"},
    {"OutboundDefaultUnknown", "outbound:\n  default: maybe\n" + kScriptA, 2, 12,
     "outbound.default", "must be one of: allow, deny"},
    {"OutboundCaBundleMissing", "outbound:\n  ca_bundle: nope.pem\n" + kScriptA, 2, 14,
     "outbound.ca_bundle", "nope.pem does not exist or is not a file"},
    {"OutboundIdleTimeoutWithoutUnit", "outbound:\n  idle_timeout: 5\n" + kScriptA, 2, 17,
     "outbound.idle_timeout", "needs a unit"},
    {"OutboundMaxHopsZero", "outbound:\n  max_hops: 0\n" + kScriptA, 2, 13, "outbound.max_hops",
     "must be between 1 and 64, got 0"},
    {"OutboundKeyAtTopLevelSuggestsItsSection", "max_hops: 3\n" + kScriptA, 1, 1, "max_hops",
     "did you mean 'outbound.max_hops'?"},
    {"OutboundUnknownKeySuggestsTheClosest", "outbound:\n  alow: [loopback]\n" + kScriptA, 2, 3,
     "outbound.alow", "did you mean 'allow'?"},
    {"ScriptsMissing", "workers: 2\n", 1, 1, "scripts", "is missing"},
    {"ScriptsEmpty", "scripts: []\n", 1, 10, "scripts", "must list at least one script"},
    {"ScriptEntryNotAMapping", "scripts:\n  - a.js\n", 2, 5, "scripts[0]", "must be a mapping"},
    {"ScriptNameInvalid", "scripts:\n  - name: bad name!\n    path: a.js\n    routes: [\"/*\"]\n",
     2, 11, "scripts[0].name", "is not a script name"},
    {"ScriptFileMissing", "scripts:\n  - name: a\n    path: nope.js\n    routes: [\"/*\"]\n", 3, 11,
     "scripts[0].path", "nope.js does not exist"},
    {"ScriptNameTwice", kScriptA + "  - name: a\n    path: b.js\n    routes: [\"/b/*\"]\n", 5, 5,
     "scripts[1].name", "duplicate script name 'a' (first used at 2:5)"},
    {"RoutesMissing", "scripts:\n  - name: a\n    path: a.js\n", 2, 5, "scripts[0].routes",
     "is missing"},
    {"RouteStarInTheMiddle", "scripts:\n  - name: a\n    path: a.js\n    routes: [\"/api/*/x\"]\n",
     4, 14, "scripts[0].routes[0]", "may only have '*' at the end"},
    {"RouteWithoutPath", "scripts:\n  - name: a\n    path: a.js\n    routes: [api.example.com]\n",
     4, 14, "scripts[0].routes[0]", "has no path: write \"api.example.com/*\""},
    {"RouteWithScheme",
     "scripts:\n  - name: a\n    path: a.js\n    routes: [\"https://x.com/*\"]\n", 4, 14,
     "scripts[0].routes[0]", "must not include a scheme"},
    {"RouteServedTwice", kScriptA + "  - name: b\n    path: b.js\n    routes: [\"/*\"]\n", 7, 14,
     "scripts[1].routes[0]", "is already served by script 'a' at 4:14"},
    {"ModuleNotABoolean", kScriptA + "    module: maybe\n", 5, 13, "scripts[0].module",
     "must be one of: false, true"},
    {"TypeUnknown", kScriptA + "    type: commonjs\n", 5, 11, "scripts[0].type",
     "\"commonjs\" is not a script type: write module"},
    {"TypeContradictsModule", kScriptA + "    type: module\n    module: false\n", 5, 11,
     "scripts[0].type", "says module but `module:` says the opposite"},
    {"VarsNotAMapping", kScriptA + "    vars: [1, 2]\n", 5, 11, "scripts[0].vars",
     "must be a mapping"},
    {"VarNameNotAnIdentifier", kScriptA + "    vars:\n      my-var: 1\n", 6, 7,
     "scripts[0].vars.my-var", "must be a JavaScript identifier"},
    {"SecretNotAnEnvironmentName", kScriptA + "    secrets:\n      TOKEN: not-a-name\n", 6, 7,
     "scripts[0].secrets.TOKEN", "is not an environment variable name"},
    {"SecretClashesWithVar", kScriptA + "    vars: {TOKEN: x}\n    secrets: [TOKEN]\n", 6, 15,
     "scripts[0].secrets[0]", "binding 'TOKEN' is already a var"},
    {"IsolationUnknown", kScriptA + "    isolation: process\n", 5, 16, "scripts[0].isolation",
     "must be one of: request, isolate"},
    {"RecycleWithRequestIsolation", kScriptA + "    recycle: {requests: 10}\n", 5, 14,
     "scripts[0].recycle", "applies to `isolation: isolate` only"},
    {"RecycleUnknownKey", kScriptA + "    isolation: isolate\n    recycle: {request: 10}\n", 6, 15,
     "scripts[0].recycle.request", "did you mean 'requests'?"},
    {"WarmUpNotAList", kScriptA + "    warm_up: /\n", 5, 14, "scripts[0].warm_up",
     "must be a list of request paths"},
    {"WarmUpNotAPath", kScriptA + "    warm_up: [\"users\"]\n", 5, 15, "scripts[0].warm_up[0]",
     "is not a warm-up request"},
    {"WarmUpWithoutSnapshot", kScriptA + "    snapshot: false\n    warm_up: [\"/\"]\n", 2, 5,
     "scripts[0].warm_up", "needs `snapshot: true`"},
    {"StartupCpuZero", "limits:\n  startup_cpu_ms: 0\n" + kScriptA, 2, 19, "limits.startup_cpu_ms",
     "must be between 1 and 600000 ms"},
};

INSTANTIATE_TEST_SUITE_P(Config, BadConfigTest, ::testing::ValuesIn(kBadConfigs),
                         [](const auto& case_info) { return case_info.param.name; });

TEST(ConfigErrors, EveryErrorIsReportedInFileOrderNotJustTheFirst) {
  testing::ScriptDir dir;
  std::vector<Diagnostic> errors = errors_of(
      "workers: 0\nring_slots: 3\nlimits:\n  cpu_ms: 0\nscripts:\n  - name: a\n    path: nope.js\n"
      "    routes: [\"/x/*/y\"]\n",
      dir);
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0].key_path, "workers");
  EXPECT_EQ(errors[1].key_path, "ring_slots");
  EXPECT_EQ(errors[2].key_path, "limits.cpu_ms");
  EXPECT_EQ(errors[3].key_path, "scripts[0].path");
  EXPECT_EQ(errors[4].key_path, "scripts[0].routes[0]");
}

TEST(ConfigErrors, WhatListsOneErrorPerLineAsFileLineColumnKeyMessage) {
  testing::ScriptDir dir;
  try {
    parse("workers: 0\nisolates_per_worker: 0\n" + kScriptA, dir.file("cluster.yaml"));
    FAIL() << "accepted";
  } catch (const ConfigError& error) {
    std::string file = dir.file("cluster.yaml");
    EXPECT_EQ(std::string(error.what()),
              file + ":1:10: workers: must be between 1 and 256, got 0\n" + file +
                  ":2:22: isolates_per_worker: must be between 1 and 64, got 0");
  }
}

TEST(ConfigErrors, MissingConfigFileNamesTheFile) {
  try {
    load("/nonexistent/wsup/cluster.yaml");
    FAIL() << "accepted";
  } catch (const ConfigError& error) {
    EXPECT_EQ(
        std::string(error.what()),
        "/nonexistent/wsup/cluster.yaml: cannot read the config file: No such file or directory");
  }
}

TEST(ConfigErrors, DirectoryIsRefusedAsAConfigFile) {
  testing::ScriptDir dir;
  try {
    load(dir.file(""));
    FAIL() << "accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("is a directory"), std::string::npos) << error.what();
  }
}

TEST(ConfigErrors, EmptyFileIsRefused) {
  testing::ScriptDir dir;
  EXPECT_THROW(parse("# nothing here\n", dir.file("cluster.yaml")), ConfigError);
}

}  // namespace
}  // namespace wsup::config
