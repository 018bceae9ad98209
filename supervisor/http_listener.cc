#include "supervisor/http_listener.h"

#include <boost/asio/io_context.hpp>
#include <stdexcept>

#include "shared/log.h"

namespace wsup::supervisor {

tcp::acceptor bind_listener(asio::io_context& io, const config::ListenAddress& address,
                            const std::string& what) {
  boost::system::error_code ec;
  tcp::acceptor acceptor(io);
  tcp::endpoint endpoint;
  tcp::resolver resolver(io);
  auto found = resolver.resolve(address.host, std::to_string(address.port),
                                tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (!ec && found.empty()) ec = asio::error::host_not_found;
  if (!ec) endpoint = found.begin()->endpoint();
  if (!ec) acceptor.open(endpoint.protocol(), ec);
  // A restart binds despite the last run's TIME_WAIT sockets.
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::string where = address.where.file.empty() ? ""
                                                   : " (" + address.where.file + ":" +
                                                         std::to_string(address.where.line) + ")";
    throw std::runtime_error("cannot listen on " + what + address.host + ":" +
                             std::to_string(address.port) + where + ": " + ec.message());
  }
  return acceptor;
}

HttpListener::HttpListener(tcp::acceptor acceptor, std::vector<asio::io_context*> ios,
                           ConnectionBudget& budget, OnAccept on_accept)
    : acceptor_(std::move(acceptor)),
      ios_(std::move(ios)),
      budget_(budget),
      on_accept_(std::move(on_accept)),
      port_(acceptor_.local_endpoint().port()),
      retry_(acceptor_.get_executor()) {}

void HttpListener::start() {
  accept_next();
}

void HttpListener::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_.cancel();
}

void HttpListener::accept_next() {
  const size_t io = next_io_;
  next_io_ = (next_io_ + 1) % ios_.size();
  acceptor_.async_accept(*ios_[io], [this, io](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // closed
    if (ec) {
      // EMFILE and the like: say so and try again shortly rather than stop serving for good (or
      // spin on an error that repeats at once).
      log::warn("accept failed", {{"error", ec.message()}});
      retry_.expires_after(kRetryAfterError);
      retry_.async_wait([this](boost::system::error_code wait_ec) {
        if (!wait_ec && acceptor_.is_open()) accept_next();
      });
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);  // responses leave in one write; no Nagle wait
    on_accept_(std::move(socket), budget_.try_take(), io);
    accept_next();
  });
}

}  // namespace wsup::supervisor
