#include "supervisor/slow_client_reaper.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <vector>

#include "shared/log.h"

namespace wsup::supervisor {
namespace {

// Port and numeric address, formatted the way cpp-httplib fills Request::remote_addr.
bool describe(const sockaddr_storage& addr, int* port, std::string* text) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    *port = ntohs(in.sin_port);
    ::inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf);
  } else if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    *port = ntohs(in6.sin6_port);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf);
  } else {
    return false;
  }
  *text = buf;
  return true;
}

}  // namespace

SlowClientReaper::SlowClientReaper(std::set<int> local_ports,
                                   std::chrono::milliseconds header_deadline)
    : ports_(std::move(local_ports)), deadline_(header_deadline) {
  thread_ = std::thread([this] {
    std::unique_lock lock(stop_mutex_);
    while (!stop_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
      lock.unlock();
      scan(Clock::now());
      lock.lock();
    }
  });
}

SlowClientReaper::~SlowClientReaper() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_one();
  thread_.join();
}

std::string SlowClientReaper::key(int local_port, const std::string& remote_addr, int remote_port) {
  return std::to_string(local_port) + " " + remote_addr + " " + std::to_string(remote_port);
}

void SlowClientReaper::request_started(int local_port, const std::string& remote_addr,
                                       int remote_port) {
  std::lock_guard lock(mutex_);
  connections_[key(local_port, remote_addr, remote_port)].busy = true;
}

void SlowClientReaper::request_finished(int local_port, const std::string& remote_addr,
                                        int remote_port) {
  std::lock_guard lock(mutex_);
  Connection& c = connections_[key(local_port, remote_addr, remote_port)];
  c.busy = false;
  c.waiting_since = Clock::now();
}

void SlowClientReaper::scan(Clock::time_point now) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return;
  std::map<ino_t, std::string> alive;
  std::vector<std::pair<int, ino_t>> overdue;
  {
    std::lock_guard lock(mutex_);
    while (dirent* entry = ::readdir(dir)) {
      char* end = nullptr;
      long fd_long = std::strtol(entry->d_name, &end, 10);
      if (*end != '\0' || end == entry->d_name) continue;
      int fd = static_cast<int>(fd_long);
      struct stat st {};
      if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
      sockaddr_storage local{}, peer{};
      socklen_t local_len = sizeof local, peer_len = sizeof peer;
      int local_port = 0, remote_port = 0;
      std::string local_addr, remote_addr;
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
          !describe(local, &local_port, &local_addr) || ports_.count(local_port) == 0)
        continue;
      if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 ||
          !describe(peer, &remote_port, &remote_addr))
        continue;  // the listener
      std::string k = key(local_port, remote_addr, remote_port);
      Connection& c = connections_[k];
      // First sight of this socket: its wait for headers starts now, unless a request of its own
      // is already being served.
      if (sockets_.count(st.st_ino) == 0 && !c.busy) c.waiting_since = now;
      if (!c.busy && now - c.waiting_since > deadline_) overdue.emplace_back(fd, st.st_ino);
      alive[st.st_ino] = std::move(k);
    }
    ::closedir(dir);
    // Forget connections that are gone (a busy one is forgotten after its request finishes).
    std::set<std::string> alive_keys;
    for (const auto& [inode, k] : alive) alive_keys.insert(k);
    std::erase_if(connections_, [&](const auto& entry) {
      return !entry.second.busy && alive_keys.count(entry.first) == 0;
    });
    sockets_ = std::move(alive);
  }
  for (auto [fd, inode] : overdue) {
    // The fd may have been closed and reused since the scan: cut it only if it is the same socket.
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_ino != inode) continue;
    ::shutdown(fd, SHUT_RDWR);
    cut_.fetch_add(1, std::memory_order_relaxed);
  }
  if (!overdue.empty())
    log::warn(
        "cut connections that sent no complete request headers in time",
        {{"count", overdue.size()}, {"deadline_ms", static_cast<int64_t>(deadline_.count())}});
}

}  // namespace wsup::supervisor
