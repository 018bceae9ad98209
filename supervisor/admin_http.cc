#include "supervisor/admin_http.h"

#include <httplib.h>

#include <stdexcept>

#include "shared/log.h"

namespace wsup::supervisor {

AdminHttp::AdminHttp(const config::ListenAddress& address, Sources sources)
    : server_(std::make_unique<httplib::Server>()) {
  server_->new_task_queue = [] { return new httplib::ThreadPool(4); };  // cpp-httplib owns it
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
  server_->Get("/metrics",
               [m = sources.metrics_text](const httplib::Request&, httplib::Response& res) {
                 res.set_content(m(), "text/plain; version=0.0.4; charset=utf-8");
               });
  server_->Get("/healthz", [h = sources.healthy](const httplib::Request&, httplib::Response& res) {
    bool ok = h();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : "no worker ready\n", "text/plain; charset=utf-8");
  });
  server_->Get("/status",
               [s = sources.status_json](const httplib::Request&, httplib::Response& res) {
                 res.set_content(s(), "application/json");
               });
  int port = address.port == 0
                 ? server_->bind_to_any_port(address.host)
                 : (server_->bind_to_port(address.host, address.port) ? address.port : -1);
  if (port < 0)
    throw std::runtime_error("cannot listen on admin address " + address.host + ":" +
                             std::to_string(address.port));
  port_ = static_cast<uint16_t>(port);
  log::info("admin listening", {{"host", address.host}, {"port", port}});
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

AdminHttp::~AdminHttp() {
  for (int i = 0; i < 1000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server_->stop();
  thread_.join();
}

}  // namespace wsup::supervisor
