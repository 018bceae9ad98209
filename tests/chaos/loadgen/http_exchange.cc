#include "tests/chaos/loadgen/http_exchange.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <strings.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

namespace wsup::chaos {
namespace {

using Clock = std::chrono::steady_clock;

int millis_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<long long>(0, left.count()));
}

// Waits until fd is ready for `events` or the deadline passes.
bool wait_ready(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, millis_left(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
    if (Clock::now() >= deadline) return false;
  }
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  return host == "127.0.0.1";
}

bool parse_response_head(const std::string& head, ResponseHead& out) {
  out = ResponseHead{};
  size_t eol = head.find("\r\n");
  std::string status_line = head.substr(0, eol);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12 || status_line[8] != ' ') {
    return false;
  }
  out.http10 = status_line[7] == '0';
  std::string code = status_line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  out.status = std::stoi(code);
  out.connection_close = out.http10;
  size_t pos = eol == std::string::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    if (next == std::string::npos) next = head.size();
    std::string line = head.substr(pos, next - pos);
    pos = next + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::string value = trim(line.substr(colon + 1));
    if (strcasecmp(name.c_str(), "content-length") == 0) {
      if (value.empty() || value.size() > 15 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false;
      }
      out.content_length = std::stoll(value);
    } else if (strcasecmp(name.c_str(), "transfer-encoding") == 0) {
      out.chunked = strcasestr(value.c_str(), "chunked") != nullptr;
    } else if (strcasecmp(name.c_str(), "connection") == 0) {
      if (strcasestr(value.c_str(), "close")) out.connection_close = true;
      if (strcasestr(value.c_str(), "keep-alive")) out.connection_close = false;
    }
  }
  return true;
}

HttpConnection::HttpConnection(uint16_t port, std::chrono::milliseconds timeout)
    : port_(port), timeout_(timeout) {}

HttpConnection::~HttpConnection() {
  close();
}

void HttpConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

bool HttpConnection::connect_now(std::string& error) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only, by construction
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return true;
  if (errno != EINPROGRESS) {
    error = std::string("connect: ") + std::strerror(errno);
    close();
    return false;
  }
  if (!wait_ready(fd_, POLLOUT, deadline_)) {
    error = "connect: timeout";
    close();
    return false;
  }
  int so_error = 0;
  socklen_t len = sizeof so_error;
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &len);
  if (so_error != 0) {
    error = std::string("connect: ") + std::strerror(so_error);
    close();
    return false;
  }
  return true;
}

bool HttpConnection::write_all(const std::string& bytes, std::string& error) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_ready(fd_, POLLOUT, deadline_)) {
        error = "write: timeout";
        return false;
      }
      continue;
    }
    error = std::string("write: ") + std::strerror(errno);
    return false;
  }
  return true;
}

bool HttpConnection::fill_to(size_t size, std::string& error) {
  char chunk[16 * 1024];
  while (buffer_.size() < size) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      error = "eof";
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_ready(fd_, POLLIN, deadline_)) {
        error = "timeout";
        return false;
      }
      continue;
    }
    error = std::string("read: ") + std::strerror(errno);
    return false;
  }
  return true;
}

bool HttpConnection::find_from(const std::string& marker, size_t from, size_t& found_at,
                               std::string& error) {
  for (;;) {
    size_t at = buffer_.find(marker, from);
    if (at != std::string::npos) {
      found_at = at;
      return true;
    }
    if (!fill_to(buffer_.size() + 1, error)) return false;
  }
}

bool HttpConnection::read_body(Exchange& ex, size_t body_start, long long content_length,
                               bool chunked, std::string& error) {
  if (chunked) {
    size_t pos = body_start;
    for (;;) {
      size_t eol = 0;
      if (!find_from("\r\n", pos, eol, error)) return false;
      size_t chunk_size = 0;
      try {
        chunk_size = std::stoul(buffer_.substr(pos, eol - pos), nullptr, 16);
      } catch (...) {
        error = "bad chunk size";
        return false;
      }
      pos = eol + 2;
      if (chunk_size == 0) {
        // Trailers (none expected) end with an empty line.
        if (!find_from("\r\n", pos, eol, error)) return false;
        buffer_.erase(0, eol + 2);
        return true;
      }
      if (!fill_to(pos + chunk_size + 2, error)) return false;
      ex.body.append(buffer_, pos, chunk_size);
      pos += chunk_size + 2;
    }
  }
  if (content_length >= 0) {
    if (!fill_to(body_start + static_cast<size_t>(content_length), error)) return false;
    ex.body = buffer_.substr(body_start, static_cast<size_t>(content_length));
    buffer_.erase(0, body_start + static_cast<size_t>(content_length));
    return true;
  }
  // Neither: the body runs to EOF.
  std::string eof_error;
  fill_to(SIZE_MAX, eof_error);
  if (eof_error != "eof") {
    error = eof_error;
    return false;
  }
  ex.body = buffer_.substr(body_start);
  ex.server_closed = true;
  buffer_.clear();
  return true;
}

Exchange HttpConnection::round_trip(const std::string& request) {
  Exchange ex;
  deadline_ = Clock::now() + timeout_;
  if (fd_ < 0 && !connect_now(ex.error)) {
    ex.outcome = Outcome::connect_error;
    return ex;
  }
  ex.outcome = Outcome::lost;  // from here on the request may have reached the server
  buffer_.clear();
  size_t head_end = 0;
  if (!write_all(request, ex.error) || !find_from("\r\n\r\n", 0, head_end, ex.error)) {
    close();
    return ex;
  }
  ResponseHead head;
  if (!parse_response_head(buffer_.substr(0, head_end), head)) {
    ex.error = "malformed response head";
    close();
    return ex;
  }
  bool no_body = head.status == 204 || head.status == 304 || head.status < 200;
  if (!no_body && !read_body(ex, head_end + 4, head.content_length, head.chunked, ex.error)) {
    close();
    return ex;
  }
  if (no_body) buffer_.erase(0, head_end + 4);
  ex.outcome = Outcome::answered;
  ex.status = head.status;
  ex.server_closed = ex.server_closed || head.connection_close;
  if (ex.server_closed) close();
  return ex;
}

}  // namespace wsup::chaos
