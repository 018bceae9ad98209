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

}  // namespace

int find_connection_socket(int local_port, const std::string& remote_addr, int remote_port) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return -1;
  int found = -1;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || end == entry->d_name) continue;
    sockaddr_storage peer{}, local{};
    socklen_t peer_len = sizeof peer, local_len = sizeof local;
    int port = 0;
    std::string address;
    if (::getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 ||
        !describe(peer, &port, &address) || port != remote_port || address != remote_addr)
      continue;
    if (::getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        !describe(local, &port, nullptr) || port != local_port)
      continue;
    found = static_cast<int>(fd);
    break;
  }
  ::closedir(dir);
  return found;
}

bool peer_hung_up(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace wsup::supervisor
