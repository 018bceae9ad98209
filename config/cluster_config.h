// The cluster.yaml schema as one struct tree, with every default in one place.
// docs/CONFIG.md documents each key; config/load.h turns YAML into this tree, checking it and
// reporting file:line:column for every error; config/router.h maps (host, path) to a script.
#pragma once

#include <algorithm>
#include <array>
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

// limits.cpu_hard_ms with auto (0) resolved: 10 x cpu_ms and at least 1 s (a full garbage
// collection of a large heap, which no limit interrupts either, must fit). The worker's
// RuntimeLimits resolve theirs here too.
constexpr uint32_t resolve_cpu_hard_ms(uint32_t cpu_hard_ms, uint32_t cpu_ms) {
  return cpu_hard_ms != 0 ? cpu_hard_ms : std::max<uint32_t>(cpu_ms * 10, 1000);
}

struct Limits {
  uint32_t cpu_ms = 50;  // CPU time per request (503 past it)
  // CPU time a request may use even inside a built-in V8 does not interrupt; past it the worker
  // process ends and is replaced. 0 = auto: 10 x cpu_ms, at least 1 s.
  uint32_t cpu_hard_ms = 0;
  uint32_t heap_mib = 128;                // V8 heap per isolate (503 past it)
  uint32_t wall_ms = 30'000;              // wall time per request (504 past it)
  uint32_t max_header_bytes = 32 * 1024;  // 431 past it
  uint64_t max_body_bytes = 16ull << 20;  // 413 past it
  // A response body's bytes; 0: no limit. Past it: 502 before the head, or the stream cut.
  uint64_t max_response_bytes = 0;
  uint32_t max_connections = 1024;  // concurrent client connections
  // What one request may write through console.* (and the runtime's reports of its uncaught
  // errors) into the worker's log; past either, one "console output truncated" line, then nothing.
  uint64_t console_bytes = 256 * 1024;
  uint32_t console_lines = 1000;

  uint32_t cpu_hard_ms_or_auto() const { return resolve_cpu_hard_ms(cpu_hard_ms, cpu_ms); }
  // Subrequests (fetch() to the outside) of one request. Cloudflare's free plan allows 50.
  uint32_t subrequests = 50;
  // How long one subrequest may wait on its upstream: for the response head (connecting, TLS and
  // every redirect hop included), and then between body bytes while its reader is reading.
  uint32_t subrequest_timeout_ms = 30'000;
  // Subrequests of one request open at once; more wait their turn (Cloudflare's limit is 6).
  uint32_t concurrent_subrequests = 6;
  // CPU time a script's top level (and its warm-up requests) may use while its snapshot is made;
  // past it the script is evaluated per request instead.
  uint32_t startup_cpu_ms = 1000;
};

// The classes of special-purpose addresses the outbound policy knows by name; every one is
// denied unless an `outbound.allow` rule covers it. worker/egress/address_class.cc holds the
// ranges of each.
enum class AddressClass : uint8_t {
  loopback,         // 127.0.0.0/8, ::1
  private_network,  // "private": RFC 1918, fc00::/7 (RFC 4193 unique local)
  link_local,       // 169.254.0.0/16, fe80::/10
  cgnat,            // 100.64.0.0/10 (RFC 6598 shared address space, some clouds' internal APIs)
  metadata,         // cloud instance metadata: 169.254.169.254, 169.254.170.2, fd00:ec2::254, ...
  unspecified,      // 0.0.0.0/8, ::
  multicast,        // 224.0.0.0/4, ff00::/8
  broadcast,        // 255.255.255.255
  reserved,         // 240.0.0.0/4 (future use), and IPv6 forms this policy does not reason about
};

// An IP network: IPv6 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d, prefix + 96), so one
// comparison covers an IPv4 address written either way.
struct IpNetwork {
  std::array<uint8_t, 16> bytes{};
  uint8_t prefix = 128;  // leading bits that must match, over all 16 bytes
};

// One entry of outbound.allow / outbound.deny (syntax: config/outbound_rule.h).
struct OutboundRule {
  enum class Kind : uint8_t {
    any_host,       // "*": every destination (with a port: every host on that port)
    host,           // "api.example.com": that host name exactly
    host_suffix,    // "*.example.com": every name under example.com (not example.com itself)
    network,        // "10.0.0.0/8", "203.0.113.7", "fd00::/8": addresses, once resolved
    address_class,  // "loopback", "private", ...: a class of special-purpose addresses
  };
  Kind kind = Kind::any_host;
  std::string host;  // lower case, no trailing dot; for host_suffix the part after "*."
  IpNetwork network;
  AddressClass address_class = AddressClass::loopback;
  uint16_t port_min = 1;  // the rule applies to destination ports in [port_min, port_max]
  uint16_t port_max = 65535;
  std::string text;  // as written, for messages
  SourceLocation where;
};

// The name of the request header that counts subrequest hops: every subrequest carries the
// incoming request's count plus one, and the supervisor refuses an incoming request whose count
// is above outbound.max_hops (508 Loop Detected), so a Worker that fetches itself stops.
inline constexpr const char* kHopHeader = "Wsup-Hops";

// fetch() from the workers to the outside (worker/egress/).
struct Outbound {
  std::vector<OutboundRule> allow;  // checked after deny; may open a default-denied class
  std::vector<OutboundRule> deny;   // checked first
  bool deny_unlisted = false;       // `default: deny`: only what `allow` names may be reached
  std::string ca_bundle;            // extra trusted CAs (PEM file), beside the system's store
  uint32_t max_connections_per_origin = 32;       // per worker; further subrequests wait
  std::chrono::milliseconds idle_timeout{4'000};  // a kept-alive connection unused this long closes
  uint32_t max_hops = 8;
};

// The HTTP front's deadlines and rate floor (cluster.yaml `http:`; docs/CONFIG.md). Each protects
// the connection places (limits.max_connections) from clients that hold one without using it.
struct HttpSettings {
  // A request's head (request line + headers) must be complete within this of the connection's
  // start or of the previous response (slowloris): 408 past it.
  std::chrono::milliseconds header_timeout{10'000};
  // Keep-alive: a connection with no byte of a next request within this is closed.
  std::chrono::milliseconds idle_timeout{5'000};
  // A request body with no byte for this long is cut (408), as is one that brings less than
  // min_body_rate × body_timeout bytes in any body_timeout of its reading.
  std::chrono::milliseconds body_timeout{10'000};
  uint64_t min_body_rate = 1024;  // bytes per second; 0: no floor
  // A response write that makes no progress for this long ends the connection.
  std::chrono::milliseconds write_timeout{10'000};
  // After a response that closes the connection: read and drop input this long.
  std::chrono::milliseconds linger_timeout{1'000};
};

struct Route {
  std::string host;     // lower case; "" = any host; "*.example.com" allowed
  std::string path;     // "/hello/*" style pattern ('*' only at the end); "/*" = any path
  std::string pattern;  // as written in the config, for messages
  SourceLocation where;
};

// How a script's requests share state (docs/CONFIG.md, `isolation`).
enum class Isolation {
  request,  // every request in a fresh context: nothing a request leaves behind reaches another
  isolate,  // one context per isolate, reused by its requests (as on Cloudflare and workerd)
};

// When an `isolation: isolate` script's context is replaced by a fresh one.
struct Recycle {
  uint32_t requests = 0;             // after this many requests (0: never)
  std::optional<uint32_t> heap_mib;  // once its isolate's live heap passes it (0: never);
                                     // unset: half of limits.heap_mib
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
  // Cloudflare's compatibility flags; wsup knows "nodejs_compat" (Node's built-in modules).
  std::vector<std::string> compatibility_flags;
  // Cloudflare's compatibility date ("YYYY-MM-DD"), accepted and checked; wsup has one
  // behaviour, whatever the date.
  std::string compatibility_date;
  Isolation isolation = Isolation::request;
  // Requests start from a snapshot taken after the script's top level ran (false: the top level
  // runs again in every request's context).
  bool snapshot = true;
  // Requests ("/path" or "METHOD /path") run against the snapshot's context before it is taken,
  // so state the script builds lazily is in every request's starting point.
  std::vector<std::string> warm_up;
  Recycle recycle;  // isolation: isolate only
  // Cron triggers (Cloudflare's `triggers.crons`), each checked by config/cron.h's parse_cron and
  // kept as written: the supervisor runs the script's scheduled handler at each of their ticks.
  std::vector<std::string> crons;
  std::string wrangler_file;  // absolute path of the entry's `wrangler:` file, "" without one
  std::string vars_file;      // absolute path of the entry's `vars_file:`, "" without one
  SourceLocation where;
};

struct Logging {
  enum class Level { debug, info, warn, error };
  enum class Format { logfmt, json };
  // on: one line per request in `format`; common: Common Log Format (only to access_file).
  enum class AccessFormat { on, common, off };
  Level level = Level::info;
  Format format = Format::logfmt;  // of every line, the supervisor's and the workers'
  AccessFormat access_format = AccessFormat::on;
  std::string destination = "stderr";  // "stderr", "stdout" or a file path
  std::string access_file;             // the access log's own file; "" = with the rest
};

struct Admin {
  std::string control_socket;         // default: $XDG_RUNTIME_DIR or /tmp, per instance
  std::optional<ListenAddress> http;  // /metrics and /healthz; 127.0.0.1 only by default
};

struct ClusterConfig {
  std::string file;  // path of the cluster.yaml it came from
  // What the config files say that wsup ignores (a wrangler file's keys it does not support),
  // one line each: "wrangler.toml:7:1: kv_namespaces: not supported by wsup, ignored".
  std::vector<std::string> notices;
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
  // navigator.userAgent in every request context. Workers libraries (Hono's getRuntimeKey, ...)
  // pick their Cloudflare code paths from "Cloudflare-Workers".
  std::string user_agent = "Cloudflare-Workers";
  std::chrono::milliseconds drain_timeout{10'000};
  // A worker whose loop has not turned (no heartbeat) for this long is killed and replaced; what
  // it had not taken goes to other workers. 0 = auto: unresponsive_after() x 5, at least 10 s.
  std::chrono::milliseconds stuck_worker_timeout{0};
  Limits limits;
  HttpSettings http;
  Outbound outbound;
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
