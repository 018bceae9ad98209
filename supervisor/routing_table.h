// What a request needs from the config, replaced as a whole on reload, and the holder the HTTP
// threads read it from.
#pragma once

#include <memory>
#include <mutex>

#include "config/cluster_config.h"
#include "config/router.h"

namespace wsup::supervisor {

struct RoutingTable {
  explicit RoutingTable(const config::ClusterConfig& config)
      : router(config), limits(config.limits) {}
  config::Router router;
  config::Limits limits;
};

// The current table; a request keeps the one it started with (a shared_ptr) across a reload.
class CurrentRouting {
 public:
  explicit CurrentRouting(std::shared_ptr<const RoutingTable> table) : table_(std::move(table)) {}
  std::shared_ptr<const RoutingTable> get() const {
    std::lock_guard lock(mutex_);
    return table_;
  }
  void set(std::shared_ptr<const RoutingTable> table) {
    std::lock_guard lock(mutex_);
    table_ = std::move(table);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const RoutingTable> table_;
};

}  // namespace wsup::supervisor
