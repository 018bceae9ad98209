#include "supervisor/admin_http.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "shared/log.h"

namespace wsup::supervisor {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

// One admin connection: read a request, answer it, while the client keeps the connection.
class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(tcp::socket socket, const AdminHttp::Sources& sources, ConnectionBudget& budget,
               bool admitted)
      : stream_(std::move(socket)), sources_(sources), budget_(budget), admitted_(admitted) {}
  ~AdminSession() {
    if (admitted_) budget_.release();
  }
  void read() {
    if (!admitted_) return;  // over the cap: closed at once
    request_ = {};
    stream_.expires_after(AdminHttp::kTimeout);
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->answer();
                     });
  }

 private:
  void answer() {
    response_ = {};
    response_.version(11);
    response_.keep_alive(request_.keep_alive());
    response_.set(http::field::content_type, "text/plain; charset=utf-8");
    std::string_view target = request_.target();
    if (request_.method() != http::verb::get) {
      response_.result(http::status::method_not_allowed);
      response_.body() = "GET only\n";
    } else if (target == "/metrics") {
      response_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response_.body() = sources_.metrics_text();
    } else if (target == "/healthz") {
      AdminHttp::Sources::Health health = sources_.health();
      response_.result(health.ok ? http::status::ok : http::status::service_unavailable);
      response_.body() = std::move(health.text);
    } else if (target == "/status") {
      response_.set(http::field::content_type, "application/json");
      response_.body() = sources_.status_json();
    } else {
      response_.result(http::status::not_found);
      response_.body() = "not found\n";
    }
    response_.prepare_payload();
    stream_.expires_after(AdminHttp::kTimeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (!ec && self->response_.keep_alive()) self->read();
                      });
  }

  beast::tcp_stream stream_;
  const AdminHttp::Sources& sources_;
  ConnectionBudget& budget_;
  const bool admitted_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

}  // namespace

AdminHttp::AdminHttp(const config::ListenAddress& address, Sources sources)
    : sources_(std::move(sources)) {
  listener_ = std::make_unique<HttpListener>(
      bind_listener(io_, address, "admin address "), std::vector<asio::io_context*>{&io_}, budget_,
      [this](tcp::socket socket, bool admitted, size_t) {
        std::make_shared<AdminSession>(std::move(socket), sources_, budget_, admitted)->read();
      });
  port_ = listener_->port();
  log::info("admin listening", {{"host", address.host}, {"port", port_}});
  listener_->start();
  thread_ = std::thread([this] { io_.run(); });
}

AdminHttp::~AdminHttp() {
  // Sessions end with their timers at the latest; stopping the context ends them all now.
  io_.stop();
  thread_.join();
  listener_.reset();
}

}  // namespace wsup::supervisor
