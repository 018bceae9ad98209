// `outbound:` in cluster.yaml: the policy for fetch() from the workers (allow/deny rules, the
// default), the extra CA bundle, the connection pool and the hop limit.
#include <fstream>

#include "config/outbound_rule.h"
#include "config/sections.h"
#include "config/values.h"

namespace wsup::config::detail {
namespace {

void read_rules(const Field& field, std::vector<OutboundRule>& rules, DiagnosticList& diagnostics) {
  rules.clear();
  auto read_one = [&](const Field& f) {
    if (!f.value.IsScalar()) {
      diagnostics.add(f,
                      "must be a rule string (e.g. \"api.example.com\", \"10.0.0.0/8:5432\", "
                      "\"loopback\"), got " +
                          describe(f.value));
      return;
    }
    std::string error;
    std::optional<OutboundRule> rule = parse_outbound_rule(f.value.Scalar(), error);
    if (!rule) {
      diagnostics.add(f, "rule \"" + f.value.Scalar() + "\" " + error);
      return;
    }
    rule->where = diagnostics.location(f);
    rules.push_back(std::move(*rule));
  };
  for_each_item(field, read_one);
}

}  // namespace

void read_outbound(const Field& field, const std::filesystem::path& base_dir, Outbound& outbound,
                   DiagnosticList& diagnostics) {
  for_each_field(field,
                 {"allow", "deny", "default", "ca_bundle", "max_connections_per_origin",
                  "idle_timeout", "max_hops"},
                 diagnostics, [&](const Field& f) {
                   std::string_view key = f.key.Scalar();
                   if (key == "allow") read_rules(f, outbound.allow, diagnostics);
                   if (key == "deny") read_rules(f, outbound.deny, diagnostics);
                   if (key == "default") {
                     if (auto choice = read_choice(f, {"allow", "deny"}, diagnostics))
                       outbound.deny_unlisted = *choice == 1;
                   }
                   if (key == "ca_bundle") {
                     if (auto text = read_string(f, diagnostics)) {
                       std::string path = (base_dir / *text).lexically_normal().string();
                       std::error_code ec;
                       if (!std::filesystem::is_regular_file(path, ec))
                         diagnostics.add(f,
                                         "CA bundle " + path + " does not exist or is not a file");
                       else if (!std::ifstream(path))
                         diagnostics.add(f, "CA bundle " + path + " is not readable");
                       else
                         outbound.ca_bundle = path;
                     }
                   }
                   if (key == "max_connections_per_origin") {
                     if (auto count = read_integer(f, 1, 4096, diagnostics))
                       outbound.max_connections_per_origin = static_cast<uint32_t>(*count);
                   }
                   if (key == "idle_timeout") {
                     if (auto ms = read_duration_ms(f, false, 0, 600'000, diagnostics))
                       outbound.idle_timeout = std::chrono::milliseconds(*ms);
                   }
                   if (key == "max_hops") {
                     if (auto hops = read_integer(f, 1, 64, diagnostics))
                       outbound.max_hops = static_cast<uint32_t>(*hops);
                   }
                 });
}

}  // namespace wsup::config::detail
