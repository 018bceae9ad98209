// The worker's outgoing HTTP/1.1 client, behind fetch(): on the worker's Boost.Asio loop, never
// blocking it. DNS through Asio's resolver (getaddrinfo on Asio's own thread), the outbound
// policy on every resolved address, a keep-alive pool per origin, TLS against the system's CAs,
// redirects per the Fetch standard, Content-Encoding decoded, bodies streamed both ways with
// backpressure. One HttpClient per worker process; it outlives the subrequests it started
// (destroying it aborts those still running).
//
//   HttpClient client(loop, ClientOptions::from_config(config));
//   Subrequest sub = client.fetch(std::move(spec), std::move(callbacks));   // see subrequest.h
//   client.stats();                                                          // egress_stats.h
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>

#include "config/cluster_config.h"
#include "worker/egress/egress_stats.h"
#include "worker/egress/subrequest.h"

namespace wsup::worker::egress {

struct ClientOptions {
  config::Outbound outbound;
  // For the response head (all redirect hops), then between body bytes while reading.
  std::chrono::milliseconds subrequest_timeout{30'000};

  static ClientOptions from_config(const config::ClusterConfig& config);
};

struct ClientCore;

class HttpClient {
 public:
  // Throws std::runtime_error when outbound.ca_bundle cannot be loaded (a start-up error).
  HttpClient(boost::asio::io_context& loop, ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a subrequest. Whatever goes wrong (even a URL that does not parse) is reported
  // through callbacks.on_error, later on the loop, never by a throw or a call from inside.
  Subrequest fetch(SubrequestSpec spec, SubrequestCallbacks callbacks);

  const EgressStats& stats() const;
  // The runtime sends a subrequest's body on as its answer's without JavaScript (counted for
  // /metrics: EgressStats::passed_through).
  void count_passthrough();
  // Kept-alive connections waiting for their next request, and connections open in all.
  size_t idle_connections() const;
  size_t open_connections() const;

 private:
  std::shared_ptr<ClientCore> core_;
};

}  // namespace wsup::worker::egress
