// A raw loopback HTTP client for tests: sends bytes exactly as given and reads with deadlines,
// so tests see the wire byte for byte (framing, abrupt ends).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace wsup::testing {

// One loopback TCP connection with bounded waits.
class RawClient {
 public:
  // `receive_buffer`: SO_RCVBUF before connecting (0: the system's), to keep what the kernel
  // buffers for a slow reader small.
  explicit RawClient(uint16_t port, int receive_buffer = 0);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  bool connected() const { return fd_ >= 0; }
  void send(const std::string& bytes);
  // Everything until the server closes, or until `timeout` passes (closed() tells which).
  std::string read_until_close(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Up to `max` bytes, waiting at most `timeout` for the first; "" on timeout or close.
  std::string read_some(size_t max, std::chrono::milliseconds timeout);
  // Reads until `count` complete responses (Content-Length framed) are in, or timeout.
  std::string read_responses(size_t count,
                             std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool closed() const { return closed_; }
  // True when the server closes the connection within `timeout`, reading whatever comes.
  bool closed_within(std::chrono::milliseconds timeout);
  void close();

 private:
  bool read_into(std::string& into, std::chrono::steady_clock::time_point until, size_t max);
  int fd_ = -1;
  bool closed_ = false;
};

// Count of complete "HTTP/1.1 NNN" responses (status lines + Content-Length bodies) in `bytes`.
size_t complete_responses(const std::string& bytes);

}  // namespace wsup::testing
