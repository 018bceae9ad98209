// TLS for subrequests (OpenSSL 3 through Boost.Asio): one client context per worker that trusts
// the system's certificate store and, when outbound.ca_bundle is set, the CAs in that PEM file;
// TLS 1.2 or newer, ALPN "http/1.1". Each connection then checks the certificate against the
// host it was asked for (a name, or an IP address for a literal) and sends that name as SNI.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <string>

#include "worker/egress/fetch_url.h"

namespace wsup::worker::egress {

class TlsClientContext {
 public:
  // Throws std::runtime_error naming the file when the bundle cannot be loaded (start-up).
  explicit TlsClientContext(const std::string& extra_ca_bundle);

  boost::asio::ssl::context& native() { return context_; }

 private:
  boost::asio::ssl::context context_;
};

// Sets SNI (host names only: RFC 6066 leaves addresses out) and the name or address the peer's
// certificate must hold. False and `error` when OpenSSL refuses them.
bool prepare_tls_connection(SSL* ssl, const Origin& origin, std::string& error);

// Why a handshake failed, for the error message: the certificate check's verdict when it was
// that ("certificate verify failed: hostname mismatch"), else the TLS error.
std::string describe_tls_failure(SSL* ssl, const boost::system::error_code& error);

}  // namespace wsup::worker::egress
