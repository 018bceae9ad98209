// The worker's kept-alive upstream connections, per origin (scheme, host, port): at most
// `per_origin` connections to one origin at a time (idle or busy); a subrequest that finds none
// idle and the origin at its cap waits its turn (FIFO). An idle connection closes after
// `idle_timeout`, and one the upstream closed (or that has stray bytes) is dropped when taken.
// A connection that failed, or whose exchange was cut short, is never given back: discard() it.
//
//   ConnectionPool::WaitId id = pool.acquire(origin, [](ConnectionPool::Grant grant) {
//     if (grant.connection) ... reuse it ... else ... open a new one (the slot is yours) ...
//   });
//   pool.release(std::move(connection));      // done with it, reusable
//   pool.discard(origin);                     // done with its slot, connection dropped
//   pool.cancel(id);                          // gave up waiting (only before the grant)
//
// Grants are posted to the loop, never run inside the call that frees a slot. A granted slot
// is the receiver's to release or discard, even when it no longer wants it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "worker/egress/upstream_connection.h"

namespace wsup::worker::egress {

class ConnectionPool {
 public:
  struct Grant {
    std::unique_ptr<UpstreamConnection> connection;  // null: open a new connection in this slot
  };
  using GrantHandler = std::function<void(Grant)>;
  using WaitId = uint64_t;

  ConnectionPool(boost::asio::io_context& loop, uint32_t per_origin,
                 std::chrono::milliseconds idle_timeout);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  WaitId acquire(const Origin& origin, GrantHandler on_grant);
  void cancel(WaitId id);
  void release(std::unique_ptr<UpstreamConnection> connection);
  void discard(const Origin& origin);

  // Closes every idle connection now (the client is going away).
  void close_idle();

  size_t idle_connections() const;
  size_t open_connections() const;  // idle and busy
  uint64_t reused() const { return reused_; }

 private:
  struct Idle {
    std::unique_ptr<UpstreamConnection> connection;
    std::chrono::steady_clock::time_point since;
  };
  struct Waiter {
    WaitId id;
    GrantHandler on_grant;
  };
  struct OriginState {
    uint32_t open = 0;      // connections counted against the cap: idle, busy, being opened
    std::deque<Idle> idle;  // most recently used at the back
    std::deque<Waiter> waiting;
  };

  void grant(GrantHandler on_grant, std::unique_ptr<UpstreamConnection> connection);
  // A slot of this origin became free: the first waiter opens a new connection in it.
  void slot_freed(const std::string& key, OriginState& state);
  bool grant_next_waiter(OriginState& state);
  void arm_sweep();
  void sweep();
  void forget_if_unused(const std::string& key);

  boost::asio::io_context& loop_;
  const uint32_t per_origin_;
  const std::chrono::milliseconds idle_timeout_;
  std::map<std::string, OriginState> origins_;
  WaitId next_wait_id_ = 1;
  uint64_t reused_ = 0;
  boost::asio::steady_timer sweep_timer_;
  bool sweep_armed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // posted grants check it
};

}  // namespace wsup::worker::egress
