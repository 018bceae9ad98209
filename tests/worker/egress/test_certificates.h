// Certificates for the TLS tests, made once per test binary by the `openssl` command line in a
// fresh directory: a test CA, server certificates it signs (for localhost + 127.0.0.1, and for
// another name), and a server certificate signed by a second CA no client trusts.
#pragma once

#include <string>

namespace wsup::worker::egress::testing {

struct TestCertificates {
  std::string directory;
  std::string ca;          // the test CA's certificate (PEM): the client's extra bundle
  std::string server_key;  // one key for every server certificate below
  std::string localhost;   // SAN DNS:localhost, IP:127.0.0.1, signed by `ca`
  std::string wrong_host;  // SAN DNS:wrong.example, signed by `ca`
  std::string unknown_ca;  // SAN DNS:localhost, IP:127.0.0.1, signed by another CA

  // Made on the first call; aborts the test binary with openssl's output when it fails.
  static const TestCertificates& get();
};

}  // namespace wsup::worker::egress::testing
