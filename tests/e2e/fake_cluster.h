// A cluster of the real `wsup` with fake-worker (V8-free, tests/supervisor/fake_worker.cc) on a
// free loopback port: `settings` is cluster.yaml's text above its scripts.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"

namespace wsup::e2e {

struct Cluster {
  explicit Cluster(const std::string& settings, const std::string& scripts = "",
                   const std::vector<std::string>& env = {})
      : port(free_port()) {
    dir.write("a.js", "// fake-worker does not read scripts\n");
    dir.write("b.js", "// fake-worker does not read scripts\n");
    config = dir.write("cluster.yaml", "listen: 127.0.0.1:" + std::to_string(port) + "\n" +
                                           settings + "\nscripts:\n" +
                                           (scripts.empty() ? "  - name: a\n    path: a.js\n"
                                                              "    routes: [\"/*\"]\n"
                                                            : scripts));
    control = (dir.path() / "control.sock").string();
    supervisor = std::make_unique<Supervisor>(config.string(), control, FAKE_WORKER_BINARY, env);
  }
  bool serving() { return supervisor->wait_serving(port); }

  TempDir dir;
  uint16_t port;
  std::filesystem::path config;
  std::string control;
  std::unique_ptr<Supervisor> supervisor;
};

}  // namespace wsup::e2e
