#include "tests/support/raw_client.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace wsup::testing {

RawClient::RawClient(uint16_t port, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer > 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) close();
}

RawClient::~RawClient() {
  close();
}

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RawClient::send(const std::string& bytes) {
  size_t done = 0;
  while (fd_ >= 0 && done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

bool RawClient::read_into(std::string& into, std::chrono::steady_clock::time_point until,
                          size_t max) {
  if (fd_ < 0 || closed_) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[16384];
  ssize_t n = ::recv(fd_, buf, std::min(max, sizeof buf), 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  into.append(buf, static_cast<size_t>(n));
  return true;
}

std::string RawClient::read_until_close(std::chrono::milliseconds timeout) {
  std::string out;
  auto until = std::chrono::steady_clock::now() + timeout;
  while (read_into(out, until, SIZE_MAX)) {
  }
  return out;
}

std::string RawClient::read_some(size_t max, std::chrono::milliseconds timeout) {
  std::string out;
  read_into(out, std::chrono::steady_clock::now() + timeout, max);
  return out;
}

std::string RawClient::read_responses(size_t count, std::chrono::milliseconds timeout) {
  std::string out;
  auto until = std::chrono::steady_clock::now() + timeout;
  while (complete_responses(out) < count && read_into(out, until, SIZE_MAX)) {
  }
  return out;
}

bool RawClient::closed_within(std::chrono::milliseconds timeout) {
  read_until_close(timeout);
  return closed_;
}

size_t complete_responses(const std::string& bytes) {
  size_t count = 0;
  size_t at = 0;
  while (bytes.compare(at, 9, "HTTP/1.1 ") == 0) {
    size_t end = bytes.find("\r\n\r\n", at);
    if (end == std::string::npos) break;
    std::string head = bytes.substr(at, end - at);
    size_t length = 0;
    if (size_t cl = head.find("Content-Length: "); cl != std::string::npos)
      length = std::stoul(head.substr(cl + 16));
    if (bytes.size() < end + 4 + length) break;
    at = end + 4 + length;
    ++count;
  }
  return count;
}

}  // namespace wsup::testing
