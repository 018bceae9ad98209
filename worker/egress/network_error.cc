#include "worker/egress/network_error.h"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>

namespace wsup::worker::egress {
namespace asio = boost::asio;
namespace http = boost::beast::http;

FetchError::Kind network_error_kind(const boost::system::error_code& error) {
  if (error == http::error::end_of_stream || error == http::error::partial_message)
    return FetchError::Kind::network;  // the connection ended: no protocol was broken
  if (error.category() == http::make_error_code(http::error::end_of_stream).category())
    return FetchError::Kind::protocol;
  if (error.category() == asio::error::get_ssl_category()) return FetchError::Kind::tls;
  return FetchError::Kind::network;
}

std::string describe_network_error(const boost::system::error_code& error) {
  if (error == asio::error::eof || error == http::error::end_of_stream ||
      error == http::error::partial_message || error == asio::ssl::error::stream_truncated)
    return "the upstream closed the connection";
  if (error == asio::error::connection_reset) return "the upstream reset the connection";
  if (error == asio::error::broken_pipe) return "the upstream closed the connection (broken pipe)";
  if (error == http::error::header_limit) return "the response head is larger than 128 KiB";
  if (error.category() == http::make_error_code(http::error::end_of_stream).category())
    return "invalid HTTP response: " + error.message();
  if (error.category() == asio::error::get_ssl_category()) return "TLS error: " + error.message();
  return error.message();
}

}  // namespace wsup::worker::egress
