// The admin listener (127.0.0.1 by default, its own port): GET /metrics (Prometheus text),
// GET /healthz (200 while at least one worker is ready, else 503), GET /status (JSON).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "config/cluster_config.h"

namespace httplib {
class Server;
}

namespace wsup::supervisor {

class AdminHttp {
 public:
  struct Sources {
    std::function<std::string()> metrics_text;
    std::function<std::string()> status_json;
    std::function<bool()> healthy;
  };
  // Binds (throws std::runtime_error naming the address) and serves on a small thread pool.
  AdminHttp(const config::ListenAddress& address, Sources sources);
  ~AdminHttp();
  AdminHttp(const AdminHttp&) = delete;
  AdminHttp& operator=(const AdminHttp&) = delete;
  uint16_t port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace wsup::supervisor
