// Top-level keys of cluster.yaml and the small sections (limits, http, logging, admin).
#include <algorithm>
#include <string>

#include "config/sections.h"
#include "config/values.h"

namespace wsup::config::detail {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
// sun_path holds 108 bytes including the terminating NUL.
constexpr size_t kMaxSocketPath = 107;

std::optional<ListenAddress> read_address(const Field& field, DiagnosticList& diagnostics) {
  if (!field.value.IsScalar()) {
    diagnostics.add(field, "must be \"host:port\" or a port number, got " + describe(field.value));
    return std::nullopt;
  }
  std::string error;
  std::optional<ListenAddress> address = parse_listen_address(field.value.Scalar(), error);
  if (!address) {
    diagnostics.add(field, "\"" + field.value.Scalar() + "\" " + error);
    return std::nullopt;
  }
  address->where = diagnostics.location(field);
  return address;
}

void read_listen(const Field& field, std::vector<ListenAddress>& listen,
                 DiagnosticList& diagnostics) {
  listen.clear();
  if (field.value.IsSequence()) {
    if (field.value.size() == 0) diagnostics.add(field, "must name at least one address");
    for (size_t i = 0; i < field.value.size(); ++i) {
      if (auto address =
              read_address(Field{{}, field.value[i], index_path(field.path, i)}, diagnostics))
        listen.push_back(*address);
    }
  } else if (auto address = read_address(field, diagnostics)) {
    listen.push_back(*address);
  }
}

// A whole number, or "auto" meaning 0.
std::optional<uint32_t> read_count_or_auto(const Field& field, uint64_t max,
                                           DiagnosticList& diagnostics) {
  if (field.value.IsScalar() && field.value.Scalar() == "auto") return 0;
  std::string error;
  if (field.value.IsScalar() && parse_unsigned(field.value.Scalar(), error))
    return read_integer(field, 1, max, diagnostics);
  diagnostics.add(field, "must be a number from 1 to " + std::to_string(max) +
                             " or \"auto\", got " + describe(field.value));
  return std::nullopt;
}

template <typename Number>
void assign(std::optional<uint64_t> value, Number& target) {
  if (value) target = static_cast<Number>(*value);
}

// heap_mib: a plain number is MiB; a size with a unit ("1GiB") must be whole MiB.
std::optional<uint64_t> read_heap_mib(const Field& field, DiagnosticList& diagnostics) {
  constexpr uint64_t kMin = 16, kMax = 64 * 1024;
  std::string error;
  if (field.value.IsScalar() && parse_unsigned(field.value.Scalar(), error))
    return read_integer(field, kMin, kMax, diagnostics);
  std::optional<uint64_t> bytes = read_size(field, kMin * kMiB, kMax * kMiB, diagnostics);
  if (bytes && *bytes % kMiB != 0) {
    diagnostics.add(field, "must be a whole number of MiB");
    return std::nullopt;
  }
  if (bytes) return *bytes / kMiB;
  return std::nullopt;
}

void read_limits(const Field& field, Limits& limits, DiagnosticList& diagnostics) {
  Field hard_field;
  auto read_one = [&](const Field& f) {
    std::string_view key = f.key.Scalar();
    if (key == "cpu_ms") assign(read_duration_ms(f, true, 1, 600'000, diagnostics), limits.cpu_ms);
    if (key == "cpu_hard_ms") {
      hard_field = f;
      if (f.value.IsScalar() && f.value.Scalar() == "auto")
        limits.cpu_hard_ms = 0;
      else
        assign(read_duration_ms(f, true, 1, 3'600'000, diagnostics), limits.cpu_hard_ms);
    }
    if (key == "heap_mib") assign(read_heap_mib(f, diagnostics), limits.heap_mib);
    if (key == "wall_ms")
      assign(read_duration_ms(f, true, 1, 3'600'000, diagnostics), limits.wall_ms);
    if (key == "max_header_bytes")
      assign(read_size(f, 1024, 1 * kMiB, diagnostics), limits.max_header_bytes);
    if (key == "max_body_bytes")
      assign(read_size(f, 0, 4096 * kMiB, diagnostics), limits.max_body_bytes);
    if (key == "max_response_bytes")
      assign(read_size(f, 0, 1024 * 1024 * kMiB, diagnostics), limits.max_response_bytes);
    if (key == "max_connections")
      assign(read_integer(f, 1, 100'000, diagnostics), limits.max_connections);
    if (key == "console_bytes")
      assign(read_size(f, 0, 64 * kMiB, diagnostics), limits.console_bytes);
    if (key == "console_lines")
      assign(read_integer(f, 0, 1'000'000, diagnostics), limits.console_lines);
    if (key == "subrequests") assign(read_integer(f, 0, 100'000, diagnostics), limits.subrequests);
    if (key == "subrequest_timeout_ms")
      assign(read_duration_ms(f, true, 1, 3'600'000, diagnostics), limits.subrequest_timeout_ms);
    if (key == "concurrent_subrequests")
      assign(read_integer(f, 1, 1'000, diagnostics), limits.concurrent_subrequests);
    if (key == "startup_cpu_ms")
      assign(read_duration_ms(f, true, 1, 600'000, diagnostics), limits.startup_cpu_ms);
  };
  for_each_field(
      field,
      {"cpu_ms", "cpu_hard_ms", "heap_mib", "wall_ms", "max_header_bytes", "max_body_bytes",
       "max_response_bytes", "max_connections", "console_bytes", "console_lines", "subrequests",
       "subrequest_timeout_ms", "concurrent_subrequests", "startup_cpu_ms"},
      diagnostics, read_one);
  if (limits.cpu_hard_ms != 0 && limits.cpu_hard_ms < limits.cpu_ms)
    diagnostics.add(hard_field, "must be at least cpu_ms (" + std::to_string(limits.cpu_ms) +
                                    " ms), got " + std::to_string(limits.cpu_hard_ms) + " ms");
}

// A byte rate: a size per second, written "1KiB/s" or just "1KiB".
std::optional<uint64_t> read_rate(const Field& field, uint64_t max, DiagnosticList& diagnostics) {
  if (!field.value.IsScalar()) {
    diagnostics.add(field, "must be a rate in bytes per second (e.g. \"1KiB/s\"), got " +
                               describe(field.value));
    return std::nullopt;
  }
  const std::string& written = field.value.Scalar();
  std::string_view text = written;
  if (text.ends_with("/s")) text.remove_suffix(2);
  std::string error;
  std::optional<uint64_t> rate = parse_size_bytes(text, error);
  if (!rate) {
    diagnostics.add(
        field,
        "\"" + written + "\" is not a rate in bytes per second (write e.g. \"1KiB/s\" or 1024)");
    return std::nullopt;
  }
  if (*rate > max) {
    diagnostics.add(field, "must be at most " + std::to_string(max) + " bytes per second, got " +
                               std::to_string(*rate));
    return std::nullopt;
  }
  return rate;
}

void read_http(const Field& field, HttpSettings& http, DiagnosticList& diagnostics) {
  constexpr uint64_t kHour = 3'600'000;
  auto duration = [&](const Field& f, uint64_t min, std::chrono::milliseconds& target) {
    if (auto ms = read_duration_ms(f, false, min, kHour, diagnostics))
      target = std::chrono::milliseconds(*ms);
  };
  for_each_field(field,
                 {"header_timeout", "idle_timeout", "body_timeout", "min_body_rate",
                  "write_timeout", "linger_timeout"},
                 diagnostics, [&](const Field& f) {
                   std::string_view key = f.key.Scalar();
                   if (key == "header_timeout") duration(f, 1, http.header_timeout);
                   if (key == "idle_timeout") duration(f, 1, http.idle_timeout);
                   if (key == "body_timeout") duration(f, 1, http.body_timeout);
                   if (key == "min_body_rate")
                     assign(read_rate(f, 1024 * kMiB, diagnostics), http.min_body_rate);
                   if (key == "write_timeout") duration(f, 1, http.write_timeout);
                   if (key == "linger_timeout") duration(f, 0, http.linger_timeout);
                 });
}

// A path that may be relative to the config's folder.
std::string resolve(const std::filesystem::path& base_dir, const std::string& path) {
  return (base_dir / path).lexically_normal().string();
}

void read_logging(const Field& field, const std::filesystem::path& base_dir, Logging& logging,
                  DiagnosticList& diagnostics) {
  for_each_field(
      field, {"level", "format", "access_log", "destination", "access_file"}, diagnostics,
      [&](const Field& f) {
        std::string_view key = f.key.Scalar();
        if (key == "level") {
          if (auto choice = read_choice(f, {"debug", "info", "warn", "error"}, diagnostics))
            logging.level = static_cast<Logging::Level>(*choice);
        }
        if (key == "format") {
          if (auto choice = read_choice(f, {"logfmt", "json"}, diagnostics))
            logging.format = static_cast<Logging::Format>(*choice);
        }
        if (key == "access_log") {
          if (auto choice = read_choice(f, {"on", "common", "off"}, diagnostics))
            logging.access_format = static_cast<Logging::AccessFormat>(*choice);
        }
        if (key == "destination") {
          if (auto text = read_string(f, diagnostics))
            logging.destination =
                *text == "stderr" || *text == "stdout" ? *text : resolve(base_dir, *text);
        }
        if (key == "access_file") {
          if (auto text = read_string(f, diagnostics)) {
            if (text->empty() || *text == "stderr" || *text == "stdout")
              diagnostics.add(f,
                              "must be a file path (leave it out to write access lines with the "
                              "rest of the log)");
            else
              logging.access_file = resolve(base_dir, *text);
          }
        }
      });
  // One format per stream: Common Log Format lines only go to a file of their own.
  if (logging.access_format == Logging::AccessFormat::common && logging.access_file.empty())
    diagnostics.add(field,
                    "access_log: common needs logging.access_file (Common Log Format lines "
                    "would mix with the log's own format)");
}

void read_admin(const Field& field, const std::filesystem::path& base_dir, Admin& admin,
                DiagnosticList& diagnostics) {
  for_each_field(field, {"control_socket", "http"}, diagnostics, [&](const Field& f) {
    std::string_view key = f.key.Scalar();
    if (key == "control_socket") {
      if (auto text = read_string(f, diagnostics)) {
        std::string path = resolve(base_dir, *text);
        if (path.size() > kMaxSocketPath)
          diagnostics.add(f, "is " + std::to_string(path.size()) +
                                 " bytes once resolved; a Unix socket path holds at most " +
                                 std::to_string(kMaxSocketPath));
        else
          admin.control_socket = path;
      }
    }
    if (key == "http") {
      if (f.value.IsNull() || (f.value.IsScalar() && f.value.Scalar() == "off"))
        admin.http.reset();
      else if (auto address = read_address(f, diagnostics))
        admin.http = *address;
    }
  });
}

// A section key written at the top level: say which section it belongs in.
std::string_view section_key(std::string_view key) {
  static constexpr std::string_view kSectionKeys[] = {
      "limits.cpu_ms",
      "limits.cpu_hard_ms",
      "limits.heap_mib",
      "limits.wall_ms",
      "limits.max_header_bytes",
      "limits.max_body_bytes",
      "limits.max_response_bytes",
      "limits.max_connections",
      "limits.console_bytes",
      "limits.console_lines",
      "http.header_timeout",
      "http.idle_timeout",
      "http.body_timeout",
      "http.min_body_rate",
      "http.write_timeout",
      "http.linger_timeout",
      "limits.subrequests",
      "limits.subrequest_timeout_ms",
      "limits.concurrent_subrequests",
      "limits.startup_cpu_ms",
      "outbound.allow",
      "outbound.deny",
      "outbound.ca_bundle",
      "outbound.max_connections_per_origin",
      "outbound.idle_timeout",
      "outbound.max_hops",
      "logging.level",
      "logging.format",
      "logging.access_log",
      "logging.destination",
      "logging.access_file",
      "admin.control_socket",
      "admin.http",
  };
  for (std::string_view full : kSectionKeys)
    if (full.substr(full.find('.') + 1) == key) return full;
  return {};
}

}  // namespace

void read_cluster(const Field& root, const std::filesystem::path& base_dir, ClusterConfig& config,
                  DiagnosticList& diagnostics) {
  bool has_scripts = false;
  bool is_map = for_each_field(
      root,
      {"listen", "workers", "isolates_per_worker", "concurrency_per_worker", "ring_slots",
       "slot_arena_bytes", "http_threads", "drain_timeout", "stuck_worker_timeout", "bench_no_js",
       "webassembly", "allow_eval", "user_agent", "limits", "http", "outbound", "scripts",
       "logging", "admin"},
      diagnostics,
      [&](const Field& f) {
        std::string_view key = f.key.Scalar();
        if (key == "listen") read_listen(f, config.listen, diagnostics);
        if (key == "workers") assign(read_count_or_auto(f, 256, diagnostics), config.workers);
        if (key == "isolates_per_worker")
          assign(read_integer(f, 1, 64, diagnostics), config.isolates_per_worker);
        if (key == "concurrency_per_worker")
          assign(read_integer(f, 1, 65'536, diagnostics), config.concurrency_per_worker);
        if (key == "ring_slots") {
          std::optional<uint64_t> slots = read_integer(f, 2, 65'536, diagnostics);
          if (slots && (*slots & (*slots - 1)) != 0)
            diagnostics.add(f, "must be a power of two (e.g. 64), got " + std::to_string(*slots));
          else
            assign(slots, config.ring_slots);
        }
        if (key == "slot_arena_bytes") {
          std::optional<uint64_t> bytes = read_size(f, 4096, 64 * kMiB, diagnostics);
          if (bytes && *bytes % 64 != 0)
            diagnostics.add(
                f, "must be a multiple of 64 (a cache line), got " + std::to_string(*bytes));
          else
            assign(bytes, config.slot_arena_bytes);
        }
        if (key == "http_threads")
          assign(read_count_or_auto(f, 4096, diagnostics), config.http_threads);
        if (key == "bench_no_js")
          config.bench_no_js = read_bool(f, diagnostics).value_or(config.bench_no_js);
        if (key == "webassembly") {
          if (std::optional<size_t> choice = read_choice(f, {"auto", "true", "false"}, diagnostics))
            config.webassembly = *choice == 0 ? std::nullopt : std::optional<bool>(*choice == 1);
        }
        if (key == "allow_eval")
          config.allow_eval = read_bool(f, diagnostics).value_or(config.allow_eval);
        if (key == "user_agent") {
          if (std::optional<std::string> text = read_string(f, diagnostics)) {
            // A header-value-like string: printable ASCII, as a User-Agent header would carry.
            const bool printable =
                !text->empty() && std::all_of(text->begin(), text->end(),
                                              [](char c) { return c >= 0x20 && c < 0x7f; });
            if (printable)
              config.user_agent = *text;
            else
              diagnostics.add(f, "must be a non-empty string of printable ASCII characters");
          }
        }
        if (key == "drain_timeout") {
          if (auto ms = read_duration_ms(f, false, 0, 3'600'000, diagnostics))
            config.drain_timeout = std::chrono::milliseconds(*ms);
        }
        if (key == "stuck_worker_timeout") {
          if (f.value.IsScalar() && f.value.Scalar() == "auto")
            config.stuck_worker_timeout = std::chrono::milliseconds(0);
          else if (auto ms = read_duration_ms(f, false, 1000, 3'600'000, diagnostics))
            config.stuck_worker_timeout = std::chrono::milliseconds(*ms);
        }
        if (key == "limits") read_limits(f, config.limits, diagnostics);
        if (key == "http") read_http(f, config.http, diagnostics);
        if (key == "outbound") read_outbound(f, base_dir, config.outbound, diagnostics);
        if (key == "scripts") {
          has_scripts = true;
          read_scripts(f, base_dir, config.scripts, diagnostics);
        }
        if (key == "logging") read_logging(f, base_dir, config.logging, diagnostics);
        if (key == "admin") read_admin(f, base_dir, config.admin, diagnostics);
      },
      section_key);
  if (is_map && !has_scripts)
    diagnostics.add(
        diagnostics.location(root.value), "scripts",
        "is missing: at least one script is required (scripts: [{name, path, routes}])");
}

}  // namespace wsup::config::detail
