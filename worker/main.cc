// wsup-worker: one single-threaded worker process of a wsup cluster.
//
//   wsup-worker --version
//   wsup-worker --check CONFIG     compile every script of CONFIG; print "path:line:column:
//   message"
//                                  for each that fails; exit 1 on any
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <v8-initialization.h>

#include "config/load.h"
#include "worker/runtime.h"
#include "worker/startup_error.h"
#include "worker/v8_engine.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: wsup-worker --version\n"
               "       wsup-worker --check CONFIG\n");
  return 2;
}

int check(const std::string& config_path) {
  wsup::config::ClusterConfig config = wsup::config::load(config_path);
  std::vector<std::string> errors =
      wsup::worker::check_scripts(wsup::worker::RuntimeOptions::from_config(config).scripts);
  for (const std::string& error : errors) std::fprintf(stderr, "%s\n", error.c_str());
  if (!errors.empty()) return 1;
  std::printf("%s: %zu script(s) compile\n", config_path.c_str(), config.scripts.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // V8 first, before any other thread exists.
  wsup::worker::V8Engine engine(argv[0]);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 1 && args[0] == "--version") {
      std::printf("wsup-worker 0.1.0 (V8 %s)\n", v8::V8::GetVersion());
      return 0;
    }
    if (args.size() == 2 && args[0] == "--check") return check(args[1]);
  } catch (const wsup::config::ConfigError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  } catch (const wsup::worker::StartupError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  }
  return usage();
}
