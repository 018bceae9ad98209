// One connection to an upstream origin: a TCP socket, or TLS over one for https, connected to
// endpoints the outbound policy has already judged. It outlives the exchanges on it while the
// connection pool keeps it alive between them; it holds the bytes read ahead of the parser and
// the scratch buffer body bytes are read into, so a kept-alive connection allocates nothing per
// request.
//
//   UpstreamConnection connection(loop, origin, &tls);         // tls: null for http
//   connection.connect(allowed_endpoints, [](const std::string& error) { ... });
//   connection.visit([&](auto& stream) { http::async_write(stream, ...); });
//   connection.close();        // abort: pending operations end with operation_aborted
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "worker/egress/fetch_url.h"
#include "worker/egress/tls_client_context.h"

namespace wsup::worker::egress {

class UpstreamConnection {
 public:
  using tcp = boost::asio::ip::tcp;
  using TlsStream = boost::asio::ssl::stream<tcp::socket>;
  // error "" once connected (and the handshake done), else why not; `in_tls`: it was the TLS
  // handshake that failed.
  using ConnectDone = std::function<void(const std::string& error, bool in_tls)>;

  // Largest response header block accepted; read-ahead buffer size beyond it.
  static constexpr size_t kHeaderLimit = 128 * 1024;
  static constexpr size_t kBodyBufferBytes = 64 * 1024;

  UpstreamConnection(boost::asio::io_context& loop, Origin origin, TlsClientContext* tls);
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Connects to the first of `endpoints` that accepts, in order, then shakes hands for https.
  void connect(std::vector<tcp::endpoint> endpoints, ConnectDone done);

  // Calls f(stream) with the tcp::socket or the TLS stream: one generic body for both.
  template <typename F>
  decltype(auto) visit(F&& f) {
    return std::visit(std::forward<F>(f), stream_);
  }

  // Closes the socket at once; never returns the connection to a pool.
  void close();
  // An idle connection may carry a next request: open, nothing unread (a kept-alive connection
  // the upstream closed, or one it sent stray bytes on, is not).
  bool still_usable();

  const Origin& origin() const { return origin_; }
  const tcp::endpoint& remote() const { return remote_; }
  boost::beast::flat_buffer& read_buffer() { return read_buffer_; }
  std::span<char> body_buffer() { return {body_buffer_.get(), kBodyBufferBytes}; }
  // Exchanges completed on this connection (more than 0: it was reused).
  uint32_t exchanges = 0;

 private:
  tcp::socket& socket();
  void handshake(ConnectDone done);

  Origin origin_;
  std::variant<tcp::socket, TlsStream> stream_;
  tcp::endpoint remote_;
  boost::beast::flat_buffer read_buffer_;
  std::unique_ptr<char[]> body_buffer_;
};

}  // namespace wsup::worker::egress
