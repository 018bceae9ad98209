// Internal to worker/egress: what every subrequest of one HttpClient shares. Held by shared_ptr
// so that a subrequest's last completion handler, running after the client is gone, still finds
// it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <unordered_set>

#include "worker/egress/connection_pool.h"
#include "worker/egress/egress_stats.h"
#include "worker/egress/http_client.h"
#include "worker/egress/outbound_policy.h"
#include "worker/egress/tls_client_context.h"

namespace wsup::worker::egress {

struct ClientCore {
  ClientCore(boost::asio::io_context& io, ClientOptions options)
      : loop(io),
        timeout(options.subrequest_timeout),
        policy(options.outbound),
        tls(options.outbound.ca_bundle),
        pool(io, options.outbound.max_connections_per_origin, options.outbound.idle_timeout) {}

  boost::asio::io_context& loop;
  const std::chrono::milliseconds timeout;
  const OutboundPolicy policy;
  TlsClientContext tls;
  ConnectionPool pool;
  EgressStats stats;
  std::unordered_set<SubrequestRun*> running;  // to abort them when the client goes
};

}  // namespace wsup::worker::egress
