// HTTPS against a TLS upstream with certificates made at test time: verification against the
// trusted CAs (system store + outbound.ca_bundle), the host name or address checked, SNI sent
// for names only, and refusals that say why.
#include <gtest/gtest.h>

#include "tests/worker/egress/client_test_support.h"
#include "tests/worker/egress/test_certificates.h"
#include "tests/worker/egress/test_upstream.h"

namespace wsup::worker::egress::testing {
namespace {

TestUpstream::Tls serving(const std::string& certificate) {
  return {certificate, TestCertificates::get().server_key};
}

ClientOptions trusting_test_ca() {
  ClientOptions options = loopback_options();
  options.outbound.ca_bundle = TestCertificates::get().ca;
  return options;
}

TEST(TlsTest, VerifiedConnectionByNameSendsSniAndKeepsAlive) {
  boost::asio::io_context loop;
  TestUpstream upstream(serving(TestCertificates::get().localhost));
  HttpClient client(loop, trusting_test_ca());
  for (int i = 0; i < 3; ++i) {
    SubrequestSpec spec = get(upstream.url("/echo", "localhost"));
    spec.method = "POST";
    spec.body.kind = RequestBody::Kind::bytes;
    spec.body.bytes = "over tls";
    FetchResult result = fetch_and_wait(loop, client, std::move(spec));
    ASSERT_TRUE(result.ended) << (result.error ? result.error->message : "");
    EXPECT_EQ(result.body, "over tls");
  }
  EXPECT_EQ(upstream.server_names(), std::vector<std::string>{"localhost"});
  EXPECT_EQ(upstream.connections_accepted(), 1u);
}

TEST(TlsTest, AddressLiteralIsCheckedAgainstTheCertificatesIpAndSendsNoSni) {
  boost::asio::io_context loop;
  TestUpstream upstream(serving(TestCertificates::get().localhost));
  HttpClient client(loop, trusting_test_ca());
  FetchResult result = fetch_and_wait(loop, client, get(upstream.url("/status/200")));
  ASSERT_TRUE(result.ended) << (result.error ? result.error->message : "");
  EXPECT_EQ(upstream.server_names(), std::vector<std::string>{""});
}

TEST(TlsTest, CertificateForAnotherHostIsRefused) {
  boost::asio::io_context loop;
  TestUpstream upstream(serving(TestCertificates::get().wrong_host));
  HttpClient client(loop, trusting_test_ca());
  FetchResult result = fetch_and_wait(loop, client, get(upstream.url("/status/200", "localhost")));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, FetchError::Kind::tls);
  EXPECT_NE(result.error->message.find("TLS handshake with localhost failed: certificate verify "
                                       "failed: hostname mismatch"),
            std::string::npos)
      << result.error->message;
  EXPECT_EQ(upstream.request_count(), 0u);
}

TEST(TlsTest, CertificateFromAnUnknownCaIsRefused) {
  boost::asio::io_context loop;
  TestUpstream upstream(serving(TestCertificates::get().unknown_ca));
  HttpClient client(loop, trusting_test_ca());
  FetchResult result = fetch_and_wait(loop, client, get(upstream.url("/status/200", "localhost")));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, FetchError::Kind::tls);
  EXPECT_NE(result.error->message.find("certificate verify failed: unable to get local issuer "
                                       "certificate"),
            std::string::npos)
      << result.error->message;
}

TEST(TlsTest, TheSystemStoreAloneDoesNotTrustTheTestCa) {
  boost::asio::io_context loop;
  TestUpstream upstream(serving(TestCertificates::get().localhost));
  HttpClient client(loop, loopback_options());
  FetchResult result = fetch_and_wait(loop, client, get(upstream.url("/status/200", "localhost")));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, FetchError::Kind::tls);
}

TEST(TlsTest, UnreadableCaBundleIsAStartUpErrorNamingTheFile) {
  boost::asio::io_context loop;
  ClientOptions options;
  options.outbound.ca_bundle = TestCertificates::get().directory + "/missing.pem";
  try {
    HttpClient client(loop, options);
    FAIL() << "a missing CA bundle was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("outbound.ca_bundle " + options.outbound.ca_bundle),
              std::string::npos)
        << error.what();
  }
}

TEST(TlsTest, PlainHttpToATlsPortIsAClearError) {
  boost::asio::io_context loop;
  TestUpstream upstream(serving(TestCertificates::get().localhost));
  HttpClient client(loop, trusting_test_ca());
  std::string url = upstream.url("/status/200");
  url.replace(0, 5, "http");  // https -> http
  FetchResult result = fetch_and_wait(loop, client, get(url));
  ASSERT_TRUE(result.error);
  EXPECT_NE(result.error->message.find("failed:"), std::string::npos) << result.error->message;
}

}  // namespace
}  // namespace wsup::worker::egress::testing
