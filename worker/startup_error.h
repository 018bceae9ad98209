// The one exception type of the worker's start-up path (loading and compiling scripts, building
// the snapshot): a user-facing message, with "path:line:column: " in front where one applies.
// main() catches it once; request handling never throws it.
#pragma once

#include <stdexcept>
#include <string>

namespace wsup::worker {

class StartupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace wsup::worker
