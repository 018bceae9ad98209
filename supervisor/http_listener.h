// Accepting TCP connections for the HTTP front and the admin listener (Boost.Asio).
//
// bind_listener() opens one listening socket; HttpListener accepts on it and hands each socket,
// already placed on the io_context that will serve it, to a callback. The connection cap is
// counted here: a connection beyond `max_connections` is handed over marked as refused, so that
// it gets a 503 instead of a reset.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/cluster_config.h"

namespace wsup::supervisor {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A listening socket on host:port (port 0: a free one), SO_REUSEADDR, backlog SOMAXCONN. Throws
// std::runtime_error naming `what` and the address when it cannot bind.
tcp::acceptor bind_listener(asio::io_context& io, const config::ListenAddress& address,
                            const std::string& what);

// Open connections against their cap, shared by the listeners and the connections they made.
class ConnectionBudget {
 public:
  explicit ConnectionBudget(size_t limit) : limit_(limit) {}
  // True when one more connection fits; it then counts until release().
  bool try_take() {
    // relaxed: a counter; nothing else is published through it
    if (open_.fetch_add(1, std::memory_order_relaxed) < limit_) return true;
    open_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  void release() { open_.fetch_sub(1, std::memory_order_relaxed); }  // relaxed: as above
  size_t open() const { return open_.load(std::memory_order_relaxed); }

 private:
  const size_t limit_;
  std::atomic<size_t> open_{0};
};

class HttpListener {
 public:
  // `admitted` is false for a connection over the cap (it holds no place in the budget); `io`
  // indexes the io_context the socket was opened on.
  using OnAccept = std::function<void(tcp::socket socket, bool admitted, size_t io)>;
  // Accepts on `acceptor`'s io_context; each new socket is opened on next_io() (round robin over
  // the I/O threads' contexts).
  HttpListener(tcp::acceptor acceptor, std::vector<asio::io_context*> ios, ConnectionBudget& budget,
               OnAccept on_accept);
  static constexpr std::chrono::milliseconds kRetryAfterError{50};
  void start();
  // Stops accepting; call on the acceptor's io_context thread (post it).
  void close();
  uint16_t port() const { return port_; }

 private:
  void accept_next();

  tcp::acceptor acceptor_;
  std::vector<asio::io_context*> ios_;
  size_t next_io_ = 0;
  ConnectionBudget& budget_;
  OnAccept on_accept_;
  uint16_t port_ = 0;
  asio::steady_timer retry_;  // after a failed accept
};

}  // namespace wsup::supervisor
