#include "worker/egress/upstream_connection.h"

#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <cerrno>

namespace wsup::worker::egress {
namespace asio = boost::asio;
namespace {

std::variant<asio::ip::tcp::socket, UpstreamConnection::TlsStream> make_stream(
    asio::io_context& loop, TlsClientContext* tls) {
  if (tls == nullptr) return asio::ip::tcp::socket(loop);
  return std::variant<asio::ip::tcp::socket, UpstreamConnection::TlsStream>(
      std::in_place_type<UpstreamConnection::TlsStream>, loop, tls->native());
}

std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  std::string text = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return text + ":" + std::to_string(endpoint.port());
}

}  // namespace

UpstreamConnection::UpstreamConnection(asio::io_context& loop, Origin origin, TlsClientContext* tls)
    : origin_(std::move(origin)),
      stream_(make_stream(loop, tls)),
      read_buffer_(kHeaderLimit + kBodyBufferBytes),
      body_buffer_(std::make_unique<char[]>(kBodyBufferBytes)) {
  // Beast sizes each socket read by the buffer's free capacity (at least 512 bytes): without room
  // up front a body would be read half a KiB at a time.
  read_buffer_.reserve(kBodyBufferBytes);
}

UpstreamConnection::tcp::socket& UpstreamConnection::socket() {
  if (auto* tls = std::get_if<TlsStream>(&stream_)) return tls->next_layer();
  return std::get<tcp::socket>(stream_);
}

void UpstreamConnection::connect(std::vector<tcp::endpoint> endpoints, ConnectDone done) {
  auto tried = std::make_shared<std::vector<tcp::endpoint>>(std::move(endpoints));
  asio::async_connect(socket(), *tried,
                      [this, tried, done = std::move(done)](const boost::system::error_code& error,
                                                            const tcp::endpoint& endpoint) mutable {
                        if (error == asio::error::operation_aborted) return done("aborted", false);
                        if (error) {
                          std::string where = tried->size() == 1
                                                  ? endpoint_text(tried->front())
                                                  : std::to_string(tried->size()) + " addresses";
                          return done("cannot connect to " + where + ": " + error.message(), false);
                        }
                        remote_ = endpoint;
                        boost::system::error_code ignored;
                        socket().set_option(tcp::no_delay(true), ignored);
                        if (std::holds_alternative<TlsStream>(stream_))
                          return handshake(std::move(done));
                        done("", false);
                      });
}

void UpstreamConnection::handshake(ConnectDone done) {
  auto& tls = std::get<TlsStream>(stream_);
  std::string error;
  if (!prepare_tls_connection(tls.native_handle(), origin_, error)) return done(error, true);
  tls.async_handshake(asio::ssl::stream_base::client,
                      [this, done = std::move(done)](const boost::system::error_code& failure) {
                        if (failure == asio::error::operation_aborted) return done("aborted", true);
                        if (failure) {
                          auto& stream = std::get<TlsStream>(stream_);
                          return done("TLS handshake with " + origin_.host + " failed: " +
                                          describe_tls_failure(stream.native_handle(), failure),
                                      true);
                        }
                        done("", true);
                      });
}

void UpstreamConnection::close() {
  boost::system::error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

bool UpstreamConnection::still_usable() {
  if (!socket().is_open() || read_buffer_.size() != 0) return false;
  char byte = 0;
  ssize_t peeked = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace wsup::worker::egress
