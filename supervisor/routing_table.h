// What a request needs from the config, replaced as a whole on reload, and the holder the HTTP
// threads read it from.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "config/cluster_config.h"
#include "config/router.h"

namespace wsup::supervisor {

struct RoutingTable {
  explicit RoutingTable(const config::ClusterConfig& config)
      : router(config), limits(config.limits), max_hops(config.outbound.max_hops) {}
  config::Router router;
  config::Limits limits;
  uint32_t max_hops;  // outbound.max_hops: past it an incoming subrequest gets 508
};

// The current table; a request keeps the one it started with (a shared_ptr) across a reload.
// Readers keep a copy and look for a newer one by its generation (one atomic load per request
// instead of a lock shared by every I/O thread).
class CurrentRouting {
 public:
  explicit CurrentRouting(std::shared_ptr<const RoutingTable> table) : table_(std::move(table)) {}
  // Replaces `cached` when a newer table was set since it was taken.
  void refresh(std::shared_ptr<const RoutingTable>& cached, uint64_t& cached_generation) const {
    // acquire: pairs with set()'s release; the lock below orders the table itself
    uint64_t now = generation_.load(std::memory_order_acquire);
    if (cached && now == cached_generation) return;
    std::lock_guard lock(mutex_);
    cached = table_;
    cached_generation = generation_.load(std::memory_order_relaxed);  // under the lock: exact
  }
  void set(std::shared_ptr<const RoutingTable> table) {
    std::lock_guard lock(mutex_);
    table_ = std::move(table);
    generation_.fetch_add(1, std::memory_order_release);  // after the table: see refresh()
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const RoutingTable> table_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace wsup::supervisor
