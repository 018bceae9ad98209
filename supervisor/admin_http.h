// The admin listener (127.0.0.1 by default, its own port): GET /metrics (Prometheus text),
// GET /healthz (200 while at least one worker is ready, else 503), GET /status (JSON).
//
// Boost.Beast on one thread of its own: its answers are computed on the spot (no worker is
// involved), so one thread serves them all; each connection is cut after kTimeout of silence.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "config/cluster_config.h"
#include "supervisor/http_listener.h"

namespace wsup::supervisor {

class AdminHttp {
 public:
  struct Sources {
    std::function<std::string()> metrics_text;
    std::function<std::string()> status_json;
    // /healthz: 200 while some ready worker's loop turns (`ok`: every one's), else 503; `text`
    // is the body.
    struct Health {
      bool ok = false;
      std::string text;
    };
    std::function<Health()> health;
  };
  static constexpr std::chrono::seconds kTimeout{5};
  static constexpr size_t kMaxConnections = 64;

  // Binds (throws std::runtime_error naming the address) and serves.
  AdminHttp(const config::ListenAddress& address, Sources sources);
  ~AdminHttp();  // closes the listener and every connection, joins the thread
  AdminHttp(const AdminHttp&) = delete;
  AdminHttp& operator=(const AdminHttp&) = delete;
  uint16_t port() const { return port_; }

 private:
  Sources sources_;
  ConnectionBudget budget_{kMaxConnections};  // before io_: sessions release it as io_ goes
  asio::io_context io_{1};
  std::unique_ptr<HttpListener> listener_;
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace wsup::supervisor
