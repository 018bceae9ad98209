// One keep-alive HTTP/1.1 client connection to 127.0.0.1 over a raw socket, classifying every
// exchange exactly: never connected, sent but never answered, or answered with a status.
//
// Raw sockets instead of httplib::Client because the chaos figures depend on knowing whether the
// request left this process: a library that reconnects or retries behind our back would turn a
// lost request into a success.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace wsup::chaos {

// Refuses anything but the loopback address, so a typo cannot send load elsewhere.
bool is_loopback_host(const std::string& host);

enum class Outcome {
  answered,       // a complete response arrived (any status)
  connect_error,  // connect() failed or timed out: the request never left
  lost,           // the request was written (at least partly) but no complete response came back
};

struct Exchange {
  Outcome outcome = Outcome::connect_error;
  int status = 0;              // when answered
  std::string body;            // when answered (dechunked)
  std::string error;           // why, when not answered ("connection reset", "timeout", ...)
  bool server_closed = false;  // the response said "Connection: close" (or was HTTP/1.0)
};

// Owns one socket fd (closed on destruction or on any error).
class HttpConnection {
 public:
  HttpConnection(uint16_t port, std::chrono::milliseconds timeout);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Connects when needed, writes `request` (complete HTTP/1.1 bytes) and reads one response.
  Exchange round_trip(const std::string& request);
  void close();

 private:
  bool connect_now(std::string& error);
  bool write_all(const std::string& bytes, std::string& error);
  // Reads into buffer_ until it holds at least `size` bytes. EOF: returns false, error "eof".
  bool fill_to(size_t size, std::string& error);
  // Reads until `marker` occurs at or after `from`; its offset goes to found_at.
  bool find_from(const std::string& marker, size_t from, size_t& found_at, std::string& error);
  bool read_body(Exchange& ex, size_t body_start, long long content_length, bool chunked,
                 std::string& error);

  uint16_t port_;
  std::chrono::milliseconds timeout_;
  std::chrono::steady_clock::time_point deadline_;
  int fd_ = -1;
  std::string buffer_;
};

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n" (the head, without the blank line).
// Returns false when the status line is malformed.
struct ResponseHead {
  int status = 0;
  bool http10 = false;
  long long content_length = -1;  // -1: absent
  bool chunked = false;
  bool connection_close = false;
};
bool parse_response_head(const std::string& head, ResponseHead& out);

}  // namespace wsup::chaos
