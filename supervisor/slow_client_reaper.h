// Cuts connections that take too long to send their request headers (slowloris).
//
// cpp-httplib 0.11's read timeout applies to each recv(), so a client dribbling a byte a second
// never trips it and pins a pool thread for as long as it likes. This watchdog scans the process's
// TCP sockets on the front's ports once a second and shuts down (SHUT_RDWR; cpp-httplib then
// closes it) every connection that has been waiting for request headers longer than the deadline:
// since it was first seen, or since its previous request finished. A connection whose request is
// being served is never touched; idle keep-alive connections are closed by cpp-httplib first.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace wsup::supervisor {

class SlowClientReaper {
 public:
  using Clock = std::chrono::steady_clock;
  SlowClientReaper(std::set<int> local_ports, std::chrono::milliseconds header_deadline);
  ~SlowClientReaper();
  SlowClientReaper(const SlowClientReaper&) = delete;
  SlowClientReaper& operator=(const SlowClientReaper&) = delete;

  // From the HTTP threads: the connection's request headers are in / its response is out.
  void request_started(int local_port, const std::string& remote_addr, int remote_port);
  void request_finished(int local_port, const std::string& remote_addr, int remote_port);
  uint64_t connections_cut() const { return cut_.load(std::memory_order_relaxed); }

  // One pass (the thread calls it every second; tests call it directly).
  void scan(Clock::time_point now);

 private:
  struct Connection {
    Clock::time_point waiting_since;  // first seen, or end of its last request
    bool busy = false;                // a request is being served
  };
  static std::string key(int local_port, const std::string& remote_addr, int remote_port);

  const std::set<int> ports_;
  const std::chrono::milliseconds deadline_;
  std::mutex mutex_;
  std::map<std::string, Connection> connections_;  // by local port + peer address
  std::map<ino_t, std::string> sockets_;           // socket inode -> key, for the scan
  std::atomic<uint64_t> cut_{0};                   // relaxed: a statistic
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace wsup::supervisor
