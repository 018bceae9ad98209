#include "worker/egress/outbound_policy.h"

#include "config/outbound_rule.h"

namespace wsup::worker::egress {
namespace {

using Kind = config::OutboundRule::Kind;

bool port_matches(const config::OutboundRule& rule, uint16_t port) {
  return port >= rule.port_min && port <= rule.port_max;
}

bool host_matches(const config::OutboundRule& rule, std::string_view host) {
  if (rule.kind == Kind::host) return host == rule.host;
  if (rule.kind == Kind::host_suffix)
    return host.size() > rule.host.size() + 1 && host.ends_with(rule.host) &&
           host[host.size() - rule.host.size() - 1] == '.';
  return false;
}

bool address_matches(const config::OutboundRule& rule, const IpBytes& address) {
  if (rule.kind == Kind::network) return in_network(address, rule.network);
  if (rule.kind == Kind::address_class) return in_class(address, rule.address_class);
  return false;
}

std::string rule_reference(const char* list, const config::OutboundRule& rule) {
  std::string text = std::string("outbound.") + list + " rule \"" + rule.text + "\"";
  if (rule.where.line > 0)
    text += " (" + rule.where.file + ":" + std::to_string(rule.where.line) + ":" +
            std::to_string(rule.where.column) + ")";
  return text;
}

// May an allow rule that matched open an address of this class?
bool opens_class(const config::OutboundRule& rule, config::AddressClass address_class) {
  switch (rule.kind) {
    case Kind::network:
      return true;
    case Kind::address_class:
      return address_class != config::AddressClass::metadata ||
             rule.address_class == config::AddressClass::metadata;
    case Kind::host:
    case Kind::host_suffix:
      return address_class != config::AddressClass::metadata;
    case Kind::any_host:
      return false;
  }
  return false;
}

}  // namespace

OutboundPolicy::OutboundPolicy(config::Outbound outbound) : outbound_(std::move(outbound)) {}

PolicyDecision OutboundPolicy::check_host(std::string_view host, uint16_t port) const {
  for (const config::OutboundRule& rule : outbound_.deny) {
    if (!port_matches(rule, port)) continue;
    if (rule.kind == Kind::any_host || host_matches(rule, host))
      return {false, "denied by " + rule_reference("deny", rule)};
  }
  return {};
}

PolicyDecision OutboundPolicy::check_address(std::string_view host, const IpBytes& address,
                                             uint16_t port) const {
  if (PolicyDecision by_name = check_host(host, port); !by_name.allowed) return by_name;
  for (const config::OutboundRule& rule : outbound_.deny)
    if (port_matches(rule, port) && address_matches(rule, address))
      return {false, "denied by " + rule_reference("deny", rule)};

  const config::OutboundRule* allowed_by = nullptr;
  for (const config::OutboundRule& rule : outbound_.allow) {
    if (!port_matches(rule, port)) continue;
    if (rule.kind == Kind::any_host || host_matches(rule, host) || address_matches(rule, address)) {
      allowed_by = &rule;
      break;
    }
  }
  if (std::optional<config::AddressClass> address_class = classify(address)) {
    // A later allow rule may open the class even when an earlier, broader one matched first.
    for (const config::OutboundRule& rule : outbound_.allow) {
      if (!port_matches(rule, port)) continue;
      bool matches = host_matches(rule, host) || address_matches(rule, address);
      if (matches && opens_class(rule, *address_class)) return {};
    }
    std::string reason(config::address_class_description(*address_class));
    reason += " are denied (outbound.allow to permit";
    reason += *address_class == config::AddressClass::metadata ? ": only the class 'metadata' or "
                                                                 "a network holding the address "
                                                                 "opens it)"
                                                               : ")";
    return {false, reason};
  }
  if (outbound_.deny_unlisted && allowed_by == nullptr)
    return {false, "no outbound.allow rule matches and outbound.default is deny"};
  return {};
}

std::string OutboundPolicy::refusal_message(std::string_view host, uint16_t port,
                                            const std::string& address, const std::string& reason) {
  std::string text = "fetch to ";
  const bool v6 = host.find(':') != std::string_view::npos;
  text += v6 ? "[" + std::string(host) + "]" : std::string(host);
  text += ":" + std::to_string(port);
  if (!address.empty() && address != host) text += " (" + address + ")";
  return text + " refused by outbound policy: " + reason;
}

}  // namespace wsup::worker::egress
