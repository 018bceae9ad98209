// The cluster.yaml schema as one struct tree, with every default in one place.
// docs/CONFIG.md documents each key; config/load.h turns YAML into this tree, checking it and
// reporting file:line:column for every error; config/router.h maps (host, path) to a script.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wsup::config {

// Where a value came from, for error messages ("cluster.yaml:12:5").
struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown (a default)
  int column = 0;  // 1-based
};

struct ListenAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  SourceLocation where;
};

struct Limits {
  uint32_t cpu_ms = 50;  // CPU time per request (503 past it)
  // CPU time a request may use even inside a built-in V8 does not interrupt; past it the worker
  // process ends and is replaced. 0 = auto: 10 x cpu_ms, at least 1 s.
  uint32_t cpu_hard_ms = 0;
  uint32_t heap_mib = 128;                // V8 heap per isolate (503 past it)
  uint32_t wall_ms = 30'000;              // wall time per request (504 past it)
  uint32_t max_header_bytes = 32 * 1024;  // 431 past it
  uint64_t max_body_bytes = 16ull << 20;  // 413 past it
  uint32_t max_connections = 1024;        // concurrent client connections
  // What one request may write through console.* (and the runtime's reports of its uncaught
  // errors) into the worker's log; past either, one "console output truncated" line, then nothing.
  uint64_t console_bytes = 256 * 1024;
  uint32_t console_lines = 1000;

  // cpu_hard_ms, auto resolved: 10 x cpu_ms and at least 1 s (a full garbage collection of a
  // large heap, which no limit interrupts either, must fit).
  uint32_t cpu_hard_ms_or_auto() const {
    return cpu_hard_ms != 0 ? cpu_hard_ms : std::max<uint32_t>(cpu_ms * 10, 1000);
  }
};

struct Route {
  std::string host;     // lower case; "" = any host; "*.example.com" allowed
  std::string path;     // "/hello/*" style pattern ('*' only at the end); "/*" = any path
  std::string pattern;  // as written in the config, for messages
  SourceLocation where;
};

struct Script {
  std::string name;
  std::string path;     // absolute, resolved against the config's folder
  bool module = false;  // ES module (export default) vs service worker (`type:`, or detected)
  std::vector<Route> routes;
  std::map<std::string, std::string> vars;     // each value is JSON text ("\"str\"", "42", ...)
  std::map<std::string, std::string> secrets;  // binding name -> environment variable name
  // eval() and new Function() for this script; unset: the cluster's allow_eval.
  std::optional<bool> allow_eval;
  SourceLocation where;
};

struct Logging {
  enum class Level { debug, info, warn, error };
  enum class AccessFormat { json, common, off };
  Level level = Level::info;
  AccessFormat access_format = AccessFormat::json;
  std::string destination = "stderr";  // "stderr", "stdout" or a file path
};

struct Admin {
  std::string control_socket;         // default: $XDG_RUNTIME_DIR or /tmp, per instance
  std::optional<ListenAddress> http;  // /metrics and /healthz; 127.0.0.1 only by default
};

struct ClusterConfig {
  std::string file;  // path of the cluster.yaml it came from
  std::vector<ListenAddress> listen = {ListenAddress{}};
  uint32_t workers = 0;  // 0 = auto: one per core
  uint32_t isolates_per_worker = 4;
  // Requests a worker keeps alive at once (each in its own context, interleaved on its
  // isolates); more stay in its ring, where another worker may still take them.
  uint32_t concurrency_per_worker = 64;
  uint32_t ring_slots = 64;  // request slots per worker segment
  // Bytes per slot; larger bodies travel apart, in a shared-memory object made per body (~130 µs
  // each way), so the default holds a 64 KiB body with its headers.
  uint32_t slot_arena_bytes = 128 * 1024;
  uint32_t http_threads = 0;  // 0 = auto: one per core, at least 2
  // Benchmark-only: workers answer every request with a fixed 200 without running any script, so
  // that the supervisor's share of a request (HTTP, rings, wake-ups) can be measured alone.
  bool bench_no_js = false;
  // The WebAssembly global in every request context. Installing it costs ~70 µs per context, so
  // `auto` (nullopt) turns it on only when a script's source mentions WebAssembly.
  std::optional<bool> webassembly;
  // eval() and new Function() (code generation from strings). Off by default, as on Cloudflare
  // Workers: code written for Workers does without it, and a script that builds code from request
  // data is an injection waiting to happen. Scripts may override it (Script::allow_eval).
  bool allow_eval = false;
  std::chrono::milliseconds drain_timeout{10'000};
  // A worker whose loop has not turned (no heartbeat) for this long is killed and replaced; what
  // it had not taken goes to other workers. 0 = auto: unresponsive_after() x 5, at least 10 s.
  std::chrono::milliseconds stuck_worker_timeout{0};
  Limits limits;
  std::vector<Script> scripts;
  Logging logging;
  Admin admin;

  // A worker's loop turns at least every 100 ms when idle and between every slice of JavaScript,
  // and a slice past limits.cpu_hard_ms ends the worker: a heartbeat older than that plus a
  // second of scheduling slack means the worker is stuck in something no limit stopped.
  std::chrono::milliseconds unresponsive_after() const {
    return std::chrono::milliseconds(limits.cpu_hard_ms_or_auto()) + std::chrono::seconds(1);
  }
  std::chrono::milliseconds stuck_worker_timeout_or_auto() const {
    if (stuck_worker_timeout.count() != 0) return stuck_worker_timeout;
    return std::max<std::chrono::milliseconds>(unresponsive_after() * 5, std::chrono::seconds(10));
  }
};

}  // namespace wsup::config
