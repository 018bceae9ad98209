#include "worker/egress/connection_pool.h"

#include <algorithm>
#include <boost/asio/post.hpp>

namespace wsup::worker::egress {

ConnectionPool::ConnectionPool(boost::asio::io_context& loop, uint32_t per_origin,
                               std::chrono::milliseconds idle_timeout)
    : loop_(loop), per_origin_(per_origin), idle_timeout_(idle_timeout), sweep_timer_(loop) {}

ConnectionPool::~ConnectionPool() {
  *alive_ = false;
  for (auto& [key, state] : origins_)
    for (Idle& idle : state.idle) idle.connection->close();
}

ConnectionPool::WaitId ConnectionPool::acquire(const Origin& origin, GrantHandler on_grant) {
  const std::string key = origin.key();
  OriginState& state = origins_[key];
  while (!state.idle.empty()) {
    std::unique_ptr<UpstreamConnection> connection = std::move(state.idle.back().connection);
    state.idle.pop_back();
    if (connection->still_usable()) {
      ++reused_;
      grant(std::move(on_grant), std::move(connection));
      return 0;
    }
    connection->close();
    --state.open;
  }
  if (state.open < per_origin_) {
    ++state.open;
    grant(std::move(on_grant), nullptr);
    return 0;
  }
  const WaitId id = next_wait_id_++;
  state.waiting.push_back(Waiter{id, std::move(on_grant)});
  return id;
}

void ConnectionPool::cancel(WaitId id) {
  if (id == 0) return;
  for (auto& [key, state] : origins_) {
    auto found = std::find_if(state.waiting.begin(), state.waiting.end(),
                              [&](const Waiter& waiter) { return waiter.id == id; });
    if (found != state.waiting.end()) {
      state.waiting.erase(found);
      forget_if_unused(key);
      return;
    }
  }
}

void ConnectionPool::release(std::unique_ptr<UpstreamConnection> connection) {
  const std::string key = connection->origin().key();
  OriginState& state = origins_[key];
  if (!state.waiting.empty()) {
    Waiter waiter = std::move(state.waiting.front());
    state.waiting.pop_front();
    ++reused_;
    return grant(std::move(waiter.on_grant), std::move(connection));
  }
  if (idle_timeout_.count() == 0) {
    connection->close();
    return discard(connection->origin());
  }
  state.idle.push_back(Idle{std::move(connection), std::chrono::steady_clock::now()});
  arm_sweep();
}

void ConnectionPool::discard(const Origin& origin) {
  const std::string key = origin.key();
  auto found = origins_.find(key);
  if (found == origins_.end() || found->second.open == 0) return;  // a bug upstream; stay sane
  --found->second.open;
  slot_freed(key, found->second);
}

void ConnectionPool::slot_freed(const std::string& key, OriginState& state) {
  if (!grant_next_waiter(state)) forget_if_unused(key);
}

bool ConnectionPool::grant_next_waiter(OriginState& state) {
  if (state.waiting.empty() || state.open >= per_origin_) return false;
  Waiter waiter = std::move(state.waiting.front());
  state.waiting.pop_front();
  ++state.open;
  grant(std::move(waiter.on_grant), nullptr);
  return true;
}

void ConnectionPool::grant(GrantHandler on_grant, std::unique_ptr<UpstreamConnection> connection) {
  boost::asio::post(loop_, [alive = alive_, on_grant = std::move(on_grant),
                            connection = std::move(connection)]() mutable {
    if (*alive) on_grant(Grant{std::move(connection)});
  });
}

void ConnectionPool::forget_if_unused(const std::string& key) {
  auto found = origins_.find(key);
  if (found != origins_.end() && found->second.open == 0 && found->second.waiting.empty())
    origins_.erase(found);
}

void ConnectionPool::arm_sweep() {
  if (sweep_armed_) return;
  auto oldest = std::chrono::steady_clock::time_point::max();
  for (const auto& [key, state] : origins_)
    if (!state.idle.empty()) oldest = std::min(oldest, state.idle.front().since);
  if (oldest == std::chrono::steady_clock::time_point::max()) return;
  sweep_armed_ = true;
  sweep_timer_.expires_at(oldest + idle_timeout_);
  sweep_timer_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
    if (!*alive || error) return;
    sweep_armed_ = false;
    sweep();
  });
}

void ConnectionPool::sweep() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = origins_.begin(); it != origins_.end();) {
    OriginState& state = it->second;
    while (!state.idle.empty() && now - state.idle.front().since >= idle_timeout_) {
      state.idle.front().connection->close();
      state.idle.pop_front();
      --state.open;
    }
    // A closed idle connection frees a slot for whoever waits on this origin.
    while (grant_next_waiter(state)) {
    }
    it = state.open == 0 && state.waiting.empty() ? origins_.erase(it) : std::next(it);
  }
  arm_sweep();
}

void ConnectionPool::close_idle() {
  for (auto it = origins_.begin(); it != origins_.end();) {
    OriginState& state = it->second;
    for (Idle& idle : state.idle) idle.connection->close();
    state.open -= static_cast<uint32_t>(state.idle.size());
    state.idle.clear();
    it = state.open == 0 && state.waiting.empty() ? origins_.erase(it) : std::next(it);
  }
}

size_t ConnectionPool::idle_connections() const {
  size_t count = 0;
  for (const auto& [key, state] : origins_) count += state.idle.size();
  return count;
}

size_t ConnectionPool::open_connections() const {
  size_t count = 0;
  for (const auto& [key, state] : origins_) count += state.open;
  return count;
}

}  // namespace wsup::worker::egress
