// The public HTTP listener(s): cpp-httplib servers that turn each request into an HttpRequest,
// hand it to the dispatcher and write back exactly what the script answered.
//
// Limits live here, in one place: thread pool size, keep-alive, read/write timeouts, header bytes
// (431), body bytes (413), routes (404). The request id is logged (access log "req", worker logs
// "req="); no response header is added for it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/cluster_config.h"
#include "config/router.h"
#include "supervisor/access_log.h"
#include "supervisor/dispatcher.h"
#include "supervisor/metrics.h"

namespace httplib {
class Server;
}

namespace wsup::supervisor {

// What a request needs from the config; replaced as a whole on reload.
struct RoutingTable {
  explicit RoutingTable(const config::ClusterConfig& config)
      : router(config), limits(config.limits) {}
  config::Router router;
  config::Limits limits;
};

class HttpFront {
 public:
  HttpFront(const config::ClusterConfig& config, Dispatcher& dispatcher, Metrics& metrics,
            const AccessLog& access_log);
  ~HttpFront();  // stop()s
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Binds every listen address (throws std::runtime_error naming the address on failure) and
  // starts serving. Port 0 binds a free port: see ports().
  void start();
  std::vector<uint16_t> ports() const { return ports_; }
  // Routes and limits of a reloaded config (listen addresses and thread counts stay).
  void set_routing(std::shared_ptr<const RoutingTable> routing);
  // Closes the listeners; returns once every connection's current request is answered.
  void stop();

  static size_t thread_count(const config::ClusterConfig& config);

 private:
  std::shared_ptr<const RoutingTable> routing() const;
  void configure(httplib::Server& server, size_t threads);

  const config::ClusterConfig config_;  // listen addresses and limits at start
  Dispatcher& dispatcher_;
  Metrics& metrics_;
  const AccessLog& access_log_;
  mutable std::mutex routing_mutex_;
  std::shared_ptr<const RoutingTable> routing_;
  std::vector<std::unique_ptr<httplib::Server>> servers_;
  std::vector<std::thread> threads_;
  std::vector<uint16_t> ports_;
};

}  // namespace wsup::supervisor
