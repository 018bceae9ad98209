// Good configs produce the expected ClusterConfig, defaults included.
#include <gtest/gtest.h>

#include "config/load.h"
#include "tests/config/script_dir.h"

namespace wsup::config {
namespace {

using namespace std::chrono_literals;

TEST(ConfigLoad, MinimalConfigGetsEveryDefault) {
  testing::ScriptDir dir;
  ClusterConfig config = parse("scripts:\n  - name: a\n    path: a.js\n    routes: [\"/*\"]\n",
                               dir.file("cluster.yaml"));
  EXPECT_EQ(config.file, dir.file("cluster.yaml"));
  ASSERT_EQ(config.listen.size(), 1u);
  EXPECT_EQ(config.listen[0].host, "127.0.0.1");
  EXPECT_EQ(config.listen[0].port, 8080);
  EXPECT_EQ(config.workers, 0u);
  EXPECT_EQ(config.isolates_per_worker, 4u);
  EXPECT_EQ(config.concurrency_per_worker, 64u);
  EXPECT_EQ(config.ring_slots, 64u);
  EXPECT_EQ(config.slot_arena_bytes, 128u * 1024);
  EXPECT_EQ(config.http_threads, 0u);
  EXPECT_FALSE(config.bench_no_js);
  EXPECT_FALSE(config.webassembly.has_value());  // auto
  EXPECT_EQ(config.user_agent, "Cloudflare-Workers");
  EXPECT_TRUE(config.scripts[0].compatibility_flags.empty());
  EXPECT_EQ(config.scripts[0].compatibility_date, "");
  EXPECT_TRUE(config.scripts[0].crons.empty());
  EXPECT_EQ(config.drain_timeout, 10s);
  EXPECT_EQ(config.stuck_worker_timeout, 0ms);  // auto
  EXPECT_EQ(config.stuck_worker_timeout_or_auto(), 10s);
  EXPECT_EQ(config.unresponsive_after(), 2s);  // cpu_hard_ms auto (1 s) + 1 s
  EXPECT_EQ(config.limits.cpu_ms, 50u);
  EXPECT_EQ(config.limits.cpu_hard_ms, 0u);  // auto
  EXPECT_EQ(config.limits.heap_mib, 128u);
  EXPECT_EQ(config.limits.wall_ms, 30'000u);
  EXPECT_EQ(config.limits.max_header_bytes, 32u * 1024);
  EXPECT_EQ(config.limits.max_body_bytes, 16ull << 20);
  EXPECT_EQ(config.limits.max_connections, 1024u);
  EXPECT_EQ(config.limits.console_bytes, 256u * 1024);
  EXPECT_EQ(config.limits.console_lines, 1000u);
  EXPECT_FALSE(config.allow_eval);
  EXPECT_EQ(config.http.header_timeout, 10s);
  EXPECT_EQ(config.http.idle_timeout, 5s);
  EXPECT_EQ(config.http.body_timeout, 10s);
  EXPECT_EQ(config.http.min_body_rate, 1024u);
  EXPECT_EQ(config.http.write_timeout, 10s);
  EXPECT_EQ(config.http.linger_timeout, 1s);
  EXPECT_EQ(config.limits.subrequests, 50u);
  EXPECT_EQ(config.limits.subrequest_timeout_ms, 30'000u);
  EXPECT_EQ(config.limits.concurrent_subrequests, 6u);
  EXPECT_TRUE(config.outbound.allow.empty()) << "special-purpose addresses stay denied";
  EXPECT_TRUE(config.outbound.deny.empty());
  EXPECT_FALSE(config.outbound.deny_unlisted);
  EXPECT_EQ(config.outbound.ca_bundle, "");
  EXPECT_EQ(config.outbound.max_connections_per_origin, 32u);
  EXPECT_EQ(config.outbound.idle_timeout, 4s);
  EXPECT_EQ(config.outbound.max_hops, 8u);
  EXPECT_EQ(config.logging.level, Logging::Level::info);
  EXPECT_EQ(config.logging.format, Logging::Format::logfmt);
  EXPECT_EQ(config.logging.access_format, Logging::AccessFormat::on);
  EXPECT_EQ(config.logging.destination, "stderr");
  EXPECT_EQ(config.logging.access_file, "");
  EXPECT_EQ(config.limits.max_response_bytes, 0u);  // no limit
  EXPECT_EQ(config.admin.control_socket, "");
  EXPECT_FALSE(config.admin.http.has_value());
  ASSERT_EQ(config.scripts.size(), 1u);
  const Script& script = config.scripts[0];
  EXPECT_EQ(script.name, "a");
  EXPECT_EQ(script.path, dir.file("a.js"));
  EXPECT_FALSE(script.module);
  EXPECT_EQ(script.where.line, 2);
  EXPECT_EQ(script.where.column, 5);
  ASSERT_EQ(script.routes.size(), 1u);
  EXPECT_EQ(script.routes[0].host, "");
  EXPECT_EQ(script.routes[0].path, "/*");
  EXPECT_EQ(script.routes[0].pattern, "/*");
  EXPECT_TRUE(script.vars.empty());
  EXPECT_TRUE(script.secrets.empty());
  EXPECT_FALSE(script.allow_eval.has_value());
  EXPECT_EQ(script.isolation, Isolation::request);
  EXPECT_TRUE(script.snapshot);
  EXPECT_TRUE(script.warm_up.empty());
  EXPECT_EQ(script.recycle.requests, 0u);
  EXPECT_FALSE(script.recycle.heap_mib.has_value());
  EXPECT_EQ(config.limits.startup_cpu_ms, 1000u);
}

TEST(ConfigLoad, SnapshotWarmUpIsolationAndRecycleKeysAreRead) {
  testing::ScriptDir dir;
  ClusterConfig config = parse(R"(
limits:
  startup_cpu_ms: 2s
scripts:
  - name: a
    path: a.js
    routes: ["/a/*"]
    warm_up: ["/", "POST /login"]
    isolation: isolate
    recycle: {requests: 10000, heap_mib: 48}
  - name: b
    path: b.js
    routes: ["/*"]
    snapshot: false
)",
                               dir.file("cluster.yaml"));
  EXPECT_EQ(config.limits.startup_cpu_ms, 2000u);
  const Script& a = config.scripts[0];
  EXPECT_EQ(a.warm_up, (std::vector<std::string>{"/", "POST /login"}));
  EXPECT_EQ(a.isolation, Isolation::isolate);
  EXPECT_TRUE(a.snapshot);
  EXPECT_EQ(a.recycle.requests, 10000u);
  EXPECT_EQ(a.recycle.heap_mib, 48u);
  EXPECT_FALSE(config.scripts[1].snapshot);
  EXPECT_EQ(config.scripts[1].isolation, Isolation::request);
}

TEST(ConfigLoad, EveryKeyIsReadWithUnitsAndTypes) {
  testing::ScriptDir dir;
  dir.write("extra-ca.pem", "-----BEGIN CERTIFICATE-----\n");
  ClusterConfig config = parse(R"(
listen: ["0.0.0.0:80", "[::1]:8443", 9000]
workers: auto
isolates_per_worker: 8
concurrency_per_worker: 100
ring_slots: 256
slot_arena_bytes: 256KiB
http_threads: 512
bench_no_js: true
webassembly: false
allow_eval: true
user_agent: "wsup/1 (like Cloudflare-Workers) edge"
drain_timeout: 1.5s
stuck_worker_timeout: 45s
limits:
  cpu_ms: 2s
  cpu_hard_ms: 30s
  heap_mib: 1GiB
  wall_ms: 500
  max_header_bytes: 16 KiB
  max_body_bytes: 2MB
  max_response_bytes: 1GiB
  max_connections: 4000
  console_bytes: 1MiB
  console_lines: 0
  subrequests: 1_000
  subrequest_timeout_ms: 2.5s
  concurrent_subrequests: 12
outbound:
  allow: [loopback, "10.1.0.0/16:5432", "*.internal.example", "[fd00::1]:8080"]
  deny: "*:25"
  default: deny
  ca_bundle: extra-ca.pem
  max_connections_per_origin: 4
  idle_timeout: 90s
  max_hops: 3
http:
  header_timeout: 2s
  idle_timeout: 750ms
  body_timeout: 1m
  min_body_rate: 10KiB/s
  write_timeout: 30s
  linger_timeout: 0s
logging:
  level: debug
  format: json
  access_log: common
  destination: logs/wsup.log
  access_file: logs/access.log
admin:
  control_socket: run/wsup.sock
  http: 9090
scripts:
  - name: api
    path: m.mjs
    routes: ["API.example.com/*", "*.example.com/v1/*", "*/static/*", /exact]
    vars:
      NAME: wsup
      QUOTED_NUMBER: "42"
      COUNT: 42
      RATIO: 0.25
      ENABLED: true
      NOTHING: ~
      NESTED: {list: [1, "two", {three: 3}], text: "a \"b\"\n"}
    secrets:
      TOKEN: API_TOKEN
    compatibility_flags: [nodejs_compat]
    compatibility_date: "2024-02-29"
    crons: ["*/5 * * * *", 0 17 * * sun]
  - name: site
    path: b.js
    module: true
    routes: /*
    secrets: [DB_PASSWORD, DB_USER]
    allow_eval: false
  - name: detected
    path: exports.js
    routes: ["/detected/*"]
)",
                               dir.file("cluster.yaml"));
  ASSERT_EQ(config.listen.size(), 3u);
  EXPECT_EQ(config.listen[0].host, "0.0.0.0");
  EXPECT_EQ(config.listen[0].port, 80);
  EXPECT_EQ(config.listen[1].host, "::1");
  EXPECT_EQ(config.listen[1].port, 8443);
  EXPECT_EQ(config.listen[2].host, "127.0.0.1");
  EXPECT_EQ(config.listen[2].port, 9000);
  EXPECT_EQ(config.listen[1].where.line, 2);
  EXPECT_EQ(config.listen[1].where.column, 24);
  EXPECT_EQ(config.workers, 0u);
  EXPECT_EQ(config.isolates_per_worker, 8u);
  EXPECT_EQ(config.concurrency_per_worker, 100u);
  EXPECT_EQ(config.ring_slots, 256u);
  EXPECT_EQ(config.slot_arena_bytes, 256u * 1024);
  EXPECT_EQ(config.http_threads, 512u);
  EXPECT_TRUE(config.bench_no_js);
  EXPECT_EQ(config.webassembly, std::optional<bool>(false));
  EXPECT_EQ(config.user_agent, "wsup/1 (like Cloudflare-Workers) edge");
  EXPECT_EQ(config.drain_timeout, 1500ms);
  EXPECT_EQ(config.stuck_worker_timeout_or_auto(), 45s);
  EXPECT_EQ(config.unresponsive_after(), 31s);
  EXPECT_EQ(config.limits.cpu_ms, 2000u);
  EXPECT_EQ(config.limits.cpu_hard_ms, 30'000u);
  EXPECT_EQ(config.limits.heap_mib, 1024u);
  EXPECT_EQ(config.limits.wall_ms, 500u);
  EXPECT_EQ(config.limits.max_header_bytes, 16u * 1024);
  EXPECT_EQ(config.limits.max_body_bytes, 2'000'000u);
  EXPECT_EQ(config.limits.max_response_bytes, 1ull << 30);
  EXPECT_EQ(config.limits.max_connections, 4000u);
  EXPECT_EQ(config.limits.console_bytes, 1u << 20);
  EXPECT_EQ(config.limits.console_lines, 0u);
  EXPECT_TRUE(config.allow_eval);
  EXPECT_EQ(config.http.header_timeout, 2s);
  EXPECT_EQ(config.http.idle_timeout, 750ms);
  EXPECT_EQ(config.http.body_timeout, 60s);
  EXPECT_EQ(config.http.min_body_rate, 10u * 1024);
  EXPECT_EQ(config.http.write_timeout, 30s);
  EXPECT_EQ(config.http.linger_timeout, 0ms);
  EXPECT_EQ(config.limits.subrequests, 1000u);
  EXPECT_EQ(config.limits.subrequest_timeout_ms, 2500u);
  EXPECT_EQ(config.limits.concurrent_subrequests, 12u);
  const Outbound& outbound = config.outbound;
  ASSERT_EQ(outbound.allow.size(), 4u);
  EXPECT_EQ(outbound.allow[0].kind, OutboundRule::Kind::address_class);
  EXPECT_EQ(outbound.allow[0].address_class, AddressClass::loopback);
  EXPECT_EQ(outbound.allow[1].kind, OutboundRule::Kind::network);
  EXPECT_EQ(outbound.allow[1].network.prefix, 96 + 16);
  EXPECT_EQ(outbound.allow[1].port_min, 5432);
  EXPECT_EQ(outbound.allow[1].port_max, 5432);
  EXPECT_EQ(outbound.allow[1].where.line, 30);
  EXPECT_EQ(outbound.allow[2].kind, OutboundRule::Kind::host_suffix);
  EXPECT_EQ(outbound.allow[2].host, "internal.example");
  EXPECT_EQ(outbound.allow[3].network.prefix, 128);
  EXPECT_EQ(outbound.allow[3].port_min, 8080);
  ASSERT_EQ(outbound.deny.size(), 1u);
  EXPECT_EQ(outbound.deny[0].kind, OutboundRule::Kind::any_host);
  EXPECT_EQ(outbound.deny[0].text, "*:25");
  EXPECT_TRUE(outbound.deny_unlisted);
  EXPECT_EQ(outbound.ca_bundle, dir.file("extra-ca.pem"));
  EXPECT_EQ(outbound.max_connections_per_origin, 4u);
  EXPECT_EQ(outbound.idle_timeout, 90s);
  EXPECT_EQ(outbound.max_hops, 3u);
  EXPECT_EQ(config.logging.level, Logging::Level::debug);
  EXPECT_EQ(config.logging.format, Logging::Format::json);
  EXPECT_EQ(config.logging.access_format, Logging::AccessFormat::common);
  EXPECT_EQ(config.logging.destination, dir.file("logs/wsup.log"));
  EXPECT_EQ(config.logging.access_file, dir.file("logs/access.log"));
  EXPECT_EQ(config.admin.control_socket, dir.file("run/wsup.sock"));
  ASSERT_TRUE(config.admin.http.has_value());
  EXPECT_EQ(config.admin.http->host, "127.0.0.1");
  EXPECT_EQ(config.admin.http->port, 9090);

  ASSERT_EQ(config.scripts.size(), 3u);
  const Script& api = config.scripts[0];
  EXPECT_TRUE(api.module) << ".mjs is a module";
  ASSERT_EQ(api.routes.size(), 4u);
  EXPECT_EQ(api.routes[0].host, "api.example.com");
  EXPECT_EQ(api.routes[0].path, "/*");
  EXPECT_EQ(api.routes[0].pattern, "API.example.com/*");
  EXPECT_EQ(api.routes[1].host, "*.example.com");
  EXPECT_EQ(api.routes[1].path, "/v1/*");
  EXPECT_EQ(api.routes[2].host, "");
  EXPECT_EQ(api.routes[2].path, "/static/*");
  EXPECT_EQ(api.routes[3].path, "/exact");
  std::map<std::string, std::string> expected_vars{
      {"NAME", "\"wsup\""},
      {"QUOTED_NUMBER", "\"42\""},
      {"COUNT", "42"},
      {"RATIO", "0.25"},
      {"ENABLED", "true"},
      {"NOTHING", "null"},
      {"NESTED", R"({"list":[1,"two",{"three":3}],"text":"a \"b\"\n"})"},
  };
  EXPECT_EQ(api.vars, expected_vars);
  EXPECT_EQ(api.secrets, (std::map<std::string, std::string>{{"TOKEN", "API_TOKEN"}}));
  EXPECT_EQ(api.compatibility_flags, std::vector<std::string>{"nodejs_compat"});
  EXPECT_EQ(api.compatibility_date, "2024-02-29");  // a leap day
  EXPECT_EQ(api.crons, (std::vector<std::string>{"*/5 * * * *", "0 17 * * sun"}));

  const Script& site = config.scripts[1];
  EXPECT_TRUE(site.module) << "an explicit module: true wins over detection";
  ASSERT_EQ(site.routes.size(), 1u);
  EXPECT_EQ(site.routes[0].path, "/*");
  EXPECT_EQ(site.secrets, (std::map<std::string, std::string>{{"DB_PASSWORD", "DB_PASSWORD"},
                                                              {"DB_USER", "DB_USER"}}));
  EXPECT_EQ(site.allow_eval, std::optional<bool>(false));
  EXPECT_FALSE(api.allow_eval.has_value());
  EXPECT_TRUE(config.scripts[2].module) << "export default in a .js file makes it a module";
}

TEST(ConfigLoad, MinBodyRateTakesASizeWithOrWithoutPerSecondAndZeroTurnsItOff) {
  testing::ScriptDir dir;
  const std::string scripts = "scripts:\n  - name: a\n    path: a.js\n    routes: [\"/*\"]\n";
  EXPECT_EQ(
      parse("http:\n  min_body_rate: 512\n" + scripts, dir.file("cluster.yaml")).http.min_body_rate,
      512u);
  EXPECT_EQ(parse("http:\n  min_body_rate: 2 KiB\n" + scripts, dir.file("cluster.yaml"))
                .http.min_body_rate,
            2048u);
  EXPECT_EQ(
      parse("http:\n  min_body_rate: 0\n" + scripts, dir.file("cluster.yaml")).http.min_body_rate,
      0u);
}

TEST(ConfigLoad, ModuleFalseOverridesDetection) {
  testing::ScriptDir dir;
  ClusterConfig config =
      parse("scripts:\n  - {name: m, path: m.mjs, module: false, routes: [\"/*\"]}\n",
            dir.file("cluster.yaml"));
  EXPECT_FALSE(config.scripts[0].module);
}

TEST(ConfigLoad, TypeStatesTheScriptKind) {
  testing::ScriptDir dir;
  dir.write("min.js", "var a={fetch(){}};export{a as default};");
  ClusterConfig config = parse(
      "scripts:\n"
      "  - {name: m, path: m.mjs, type: service-worker, routes: [\"/m/*\"]}\n"
      "  - {name: a, path: a.js, type: module, routes: [\"/a/*\"]}\n"
      "  - {name: min, path: min.js, routes: [\"/*\"]}\n",
      dir.file("cluster.yaml"));
  EXPECT_FALSE(config.scripts[0].module);
  EXPECT_TRUE(config.scripts[1].module);
  EXPECT_TRUE(config.scripts[2].module) << "a minified bundle's trailing export{...} is found";
}

TEST(ConfigLoad, LoadReadsTheFileAndResolvesScriptsAgainstItsFolder) {
  testing::ScriptDir dir;
  dir.write("cluster.yaml",
            "listen: 8088\nscripts:\n  - name: a\n    path: ./a.js\n    routes: [\"/*\"]\n");
  ClusterConfig config = load(dir.file("cluster.yaml"));
  EXPECT_EQ(config.listen[0].port, 8088);
  EXPECT_EQ(config.scripts[0].path, dir.file("a.js"));
}

TEST(ConfigLoad, RequireSecretsNamesEveryUnsetVariable) {
  testing::ScriptDir dir;
  ClusterConfig config = parse(
      "scripts:\n  - name: a\n    path: a.js\n    routes: [\"/*\"]\n"
      "    secrets: {SET: WSUP_TEST_SECRET_SET, UNSET: WSUP_TEST_SECRET_UNSET}\n",
      dir.file("cluster.yaml"));
  ::setenv("WSUP_TEST_SECRET_SET", "x", 1);
  ::unsetenv("WSUP_TEST_SECRET_UNSET");
  try {
    require_secrets(config);
    FAIL() << "accepted";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), dir.file("cluster.yaml") +
                                             ":2:5: scripts[0].secrets.UNSET: environment variable "
                                             "WSUP_TEST_SECRET_UNSET is not set");
  }
  ::setenv("WSUP_TEST_SECRET_UNSET", "y", 1);
  EXPECT_NO_THROW(require_secrets(config));
}

TEST(ConfigLoad, HelloExampleIsOneServiceWorkerOnEveryRoute) {
  ClusterConfig config = load(WSUP_SOURCE_DIR "/config/examples/hello.yaml");
  EXPECT_EQ(config.listen[0].host, "127.0.0.1");
  EXPECT_EQ(config.listen[0].port, 8080);
  EXPECT_EQ(config.workers, 0u);
  ASSERT_EQ(config.scripts.size(), 1u);
  EXPECT_FALSE(config.scripts[0].module);
  EXPECT_EQ(config.scripts[0].path, WSUP_SOURCE_DIR "/config/examples/hello.js");
}

TEST(ConfigLoad, TwoScriptsExampleHasAModuleWithVarsAndASecret) {
  ClusterConfig config = load(WSUP_SOURCE_DIR "/config/examples/two-scripts.yaml");
  ASSERT_EQ(config.scripts.size(), 2u);
  EXPECT_TRUE(config.scripts[0].module);
  EXPECT_EQ(config.scripts[0].routes[0].path, "/api/*");
  EXPECT_EQ(config.scripts[0].vars.at("MAX_ITEMS"), "3");
  EXPECT_EQ(config.scripts[0].secrets.at("API_TOKEN"), "WSUP_EXAMPLE_TOKEN");
  EXPECT_FALSE(config.scripts[1].module);
  EXPECT_EQ(config.scripts[1].routes[0].path, "/*");
}

}  // namespace
}  // namespace wsup::config
