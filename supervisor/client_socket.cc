#include "supervisor/client_socket.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>

namespace wsup::supervisor {
namespace {

// Port and numeric address of a socket address, as cpp-httplib formats remote_addr.
bool describe(const sockaddr_storage& addr, int* port, std::string* text) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    *port = ntohs(in.sin_port);
    if (text) ::inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf);
  } else if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    *port = ntohs(in6.sin6_port);
    if (text) ::inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf);
  } else {
    return false;
  }
  if (text) *text = buf;
  return true;
}

// The socket of this (keep-alive) connection is found again by the next slow request on the same
// thread: checked with two system calls instead of a getpeername per open fd (measured: ~38
// getpeername calls per request at 64 connections when requests waited past the first check).
struct LastFound {
  int fd = -1;
  int local_port = 0;
  std::string remote_addr;
  int remote_port = 0;
};
thread_local LastFound t_last_found;

bool socket_matches(int fd, int local_port, const std::string& remote_addr, int remote_port) {
  sockaddr_storage peer{}, local{};
  socklen_t peer_len = sizeof peer, local_len = sizeof local;
  int port = 0;
  std::string address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 ||
      !describe(peer, &port, &address) || port != remote_port || address != remote_addr)
    return false;
  return ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0 &&
         describe(local, &port, nullptr) && port == local_port;
}

int scan_for_connection_socket(int local_port, const std::string& remote_addr, int remote_port) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return -1;
  int found = -1;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || end == entry->d_name) continue;
    if (!socket_matches(static_cast<int>(fd), local_port, remote_addr, remote_port)) continue;
    found = static_cast<int>(fd);
    break;
  }
  ::closedir(dir);
  return found;
}

}  // namespace

int find_connection_socket(int local_port, const std::string& remote_addr, int remote_port) {
  LastFound& last = t_last_found;
  // The addresses are checked on the fd itself, so a reused fd number cannot match wrongly.
  if (last.fd >= 0 && last.local_port == local_port && last.remote_port == remote_port &&
      last.remote_addr == remote_addr &&
      socket_matches(last.fd, local_port, remote_addr, remote_port))
    return last.fd;
  int fd = scan_for_connection_socket(local_port, remote_addr, remote_port);
  last = LastFound{fd, local_port, remote_addr, remote_port};
  return fd;
}

bool peer_hung_up(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace wsup::supervisor
