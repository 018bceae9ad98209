#include "worker/egress/tls_client_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace wsup::worker::egress {
namespace ssl = boost::asio::ssl;

TlsClientContext::TlsClientContext(const std::string& extra_ca_bundle)
    : context_(ssl::context::tls_client) {
  SSL_CTX* native = context_.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  context_.set_verify_mode(ssl::verify_peer);
  boost::system::error_code error;
  context_.set_default_verify_paths(error);  // $SSL_CERT_FILE/$SSL_CERT_DIR, else /etc/ssl/certs
  if (error)
    throw std::runtime_error("cannot load the system's CA certificates: " + error.message());
  if (!extra_ca_bundle.empty()) {
    context_.load_verify_file(extra_ca_bundle, error);
    if (error)
      throw std::runtime_error("outbound.ca_bundle " + extra_ca_bundle +
                               ": cannot load CA certificates: " + error.message());
  }
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(native, kAlpn, sizeof(kAlpn));
}

bool prepare_tls_connection(SSL* ssl, const Origin& origin, std::string& error) {
  if (origin.literal) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), origin.host.c_str()) != 1) {
      error = "cannot check the certificate against the address " + origin.host;
      return false;
    }
    return true;
  }
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (SSL_set1_host(ssl, origin.host.c_str()) != 1 ||
      SSL_set_tlsext_host_name(ssl, origin.host.c_str()) != 1) {
    error = "cannot use '" + origin.host + "' as a TLS host name";
    return false;
  }
  return true;
}

std::string describe_tls_failure(SSL* ssl, const boost::system::error_code& error) {
  long verdict = SSL_get_verify_result(ssl);
  if (verdict != X509_V_OK)
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verdict);
  return error.message();
}

}  // namespace wsup::worker::egress
