// The public HTTP listener(s): an HTTP/1.1 server on Boost.Beast + Asio that turns each request
// into an HttpRequest, hands it to the dispatcher and writes back exactly what the script
// answered.
//
// A fixed number of I/O threads (`http_threads`; auto: one per core, at least 2), each running
// its own io_context; listeners hand new connections to them in turn. No thread waits for a
// worker: the dispatcher settles each request through a callback that is posted back to the
// connection's thread (http_connection.h).
//
// Limits live here, in one place: threads, connection cap (`limits.max_connections`: a new
// connection over it takes the place of the slowest connection of its I/O thread that is reading
// a request, or idle between requests, below http.min_body_rate, as nginx reuses idle keep-alive
// connections; with none such it is answered 503 and closed. So slow clients, however many,
// cannot keep others out: they make room for each newcomer), keep-alive, header/body/write
// deadlines and the body's rate floor (`http:`), header bytes (431), body bytes (413), routes
// (404). The request id is logged (access log "req", worker logs "req="); no response header is
// added for it.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "config/cluster_config.h"
#include "supervisor/access_log.h"
#include "supervisor/dispatcher.h"
#include "supervisor/http_connection.h"
#include "supervisor/http_listener.h"
#include "supervisor/metrics.h"
#include "supervisor/routing_table.h"

namespace wsup::supervisor {

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
  // Closes the listeners and idle connections; returns once every connection's current request
  // is answered and every connection is closed.
  void stop();

  static size_t thread_count(const config::ClusterConfig& config);
  // Connections over the cap being answered 503 at once (each for at most the linger time):
  // this many, or max_connections if more; beyond that they are closed without an answer.
  static constexpr size_t kRefusingAtLeast = 256;
  size_t open_connections() const { return budget_.open(); }

 private:
  struct IoThread {
    asio::io_context io{1};  // run by one thread
    LiveConnections live;
    std::thread thread;
  };
  void on_accept(tcp::socket socket, bool admitted, size_t io);
  // Closes the connection of `live` (one I/O thread's) that sends least per second while it
  // reads, if that is below http.min_body_rate (1 byte per second when the floor is off). True
  // when one was closed: its place is free.
  bool evict_slowest(LiveConnections& live);

  const config::ClusterConfig config_;  // listen addresses and limits at start
  CurrentRouting routing_;
  ConnectionBudget budget_;    // limits.max_connections
  ConnectionBudget refusing_;  // connections over the cap, being answered 503: bounded too
  FrontContext context_;
  std::vector<std::unique_ptr<IoThread>> threads_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running_;
  std::vector<std::unique_ptr<HttpListener>> listeners_;
  std::vector<uint16_t> ports_;
};

}  // namespace wsup::supervisor
