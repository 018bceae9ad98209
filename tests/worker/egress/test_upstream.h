// A real HTTP/1.1 server on 127.0.0.1 (plain or TLS) for the egress tests and benchmark: a
// thread per connection, blocking Boost.Beast, so that a route may stall, reset or stream at
// its own pace without an event loop of its own. It records what it was sent and counts what it
// saw (connections accepted and closed, SNI, body bytes sent) for tests to assert on.
//
// Routes:
//   /echo              200, body = the request's body; X-Method, X-Target, X-Body-Framing
//                      ("length", "chunked", "none") describe the request
//   /status/N          status N, body "status N"
//   /redirect/N?to=L   status N, Location: L (L taken verbatim up to the end of the target)
//   /loop              302 to /loop, forever
//   /chunked           200, chunked, body "one,two,three" in three chunks
//   /encoded/C         200, Content-Encoding C (gzip, deflate, deflate-raw -> "deflate", br),
//                      body = kEncodedText encoded; /encoded/gzip-truncated cuts the stream short
//   /hang              reads the request, never answers (until the client closes)
//   /hang-body         200 with Content-Length 100, sends 10 bytes, then nothing
//   /short             200 with Content-Length 100, sends 10 bytes, then closes the connection
//   /reset             reads the request, then resets the connection (RST)
//   /big?bytes=N       200, N bytes of 'x' with Content-Length, written 64 KiB at a time
//   /close             200 "bye" with Connection: close
//   /json              200, Content-Type: application/json, body kJsonBody
//   /pattern?bytes=N   200, pattern_bytes(N) with Content-Length
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "shared/http_message.h"

namespace wsup::worker::egress::testing {

// What /encoded/C decodes to.
std::string encoded_text();
// /json's body.
inline constexpr const char* kJsonBody = R"({"greeting":"hello","items":[1,2,3]})";
// N bytes of (i * 7) % 251: a body whose every byte says where it belongs.
std::string pattern_bytes(uint64_t size);

struct RecordedRequest {
  std::string method;
  std::string target;
  HeaderList headers;
  std::string body;
  uint64_t connection = 0;  // which accepted connection carried it (1, 2, ...)

  // The first value of a header (case-insensitive), "" when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

class TestUpstream {
 public:
  struct Tls {
    std::string certificate_file;  // PEM chain
    std::string key_file;
  };
  // Plain HTTP; or TLS with this certificate.
  explicit TestUpstream(std::optional<Tls> tls = std::nullopt);
  ~TestUpstream();
  TestUpstream(const TestUpstream&) = delete;
  TestUpstream& operator=(const TestUpstream&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT/path" (https for a TLS upstream; `host` instead of 127.0.0.1).
  std::string url(const std::string& path, const std::string& host = "127.0.0.1") const;

  uint64_t connections_accepted() const { return accepted_.load(); }
  uint64_t connections_closed_by_client() const { return closed_by_client_.load(); }
  uint64_t big_bytes_sent() const { return big_bytes_sent_.load(); }
  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;
  // The server names TLS clients asked for, in order ("" for a handshake without SNI).
  std::vector<std::string> server_names() const;

 private:
  struct Impl;
  void accept_loop();
  void serve(uint64_t id, int fd);

  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> closed_by_client_{0};
  std::atomic<uint64_t> big_bytes_sent_{0};
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  std::vector<std::string> server_names_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace wsup::worker::egress::testing
