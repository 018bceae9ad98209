// The outbound policy: may a subrequest go to this host, this address, this port?
//
//   OutboundPolicy policy(config.outbound);
//   policy.check_host("api.example.com", 443);            // before DNS: deny rules by name
//   policy.check_address("api.example.com", ip, 443);     // each resolved address, before connect
//
// Order of judgement for an address:
//   1. a matching outbound.deny rule refuses;
//   2. an address in a special-purpose class (address_class.h) is refused unless an
//      outbound.allow rule opens it: a rule naming the class, a network holding the address, or
//      a host rule naming the host (not "*"); a cloud metadata address only by the `metadata`
//      class or a network holding it;
//   3. with `default: deny`, an address no outbound.allow rule matches is refused;
//   4. anything else is allowed.
// The connection then goes to exactly the address that was judged (no second resolution), and a
// redirect is judged again from step 1.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/cluster_config.h"
#include "worker/egress/address_class.h"

namespace wsup::worker::egress {

struct PolicyDecision {
  bool allowed = true;
  // Why not: "loopback addresses are denied (outbound.allow to permit)".
  std::string reason;
};

class OutboundPolicy {
 public:
  explicit OutboundPolicy(config::Outbound outbound);

  // Before resolving `host` (lower case, no brackets): deny rules that name hosts or ports.
  PolicyDecision check_host(std::string_view host, uint16_t port) const;
  // A resolved (or literal) address of `host` that a connection would go to.
  PolicyDecision check_address(std::string_view host, const IpBytes& address, uint16_t port) const;

  // "fetch to localhost:8080 (127.0.0.1) refused by outbound policy: <reason>"; the address is
  // left out when the host is that address, or when there is none (refused before DNS).
  static std::string refusal_message(std::string_view host, uint16_t port,
                                     const std::string& address, const std::string& reason);

 private:
  config::Outbound outbound_;
};

}  // namespace wsup::worker::egress
