// Test support: runs scripts through a real Runtime on a private io_context, without the
// supervisor. One V8Engine per test binary.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "shared/http_message.h"
#include "tests/support/eventually.h"
#include "tests/support/temp_dir.h"
#include "worker/runtime.h"
#include "worker/v8_engine.h"

namespace wsup::worker::testing {

// Starts V8 once for the whole binary (idempotent) and returns it.
V8Engine& ensure_v8();

using ::wsup::testing::eventually;
using ::wsup::testing::TempDir;

HttpRequest make_request(const std::string& script, const std::string& url = "http://example.com/",
                         const std::string& method = "GET", HeaderList headers = {},
                         std::string body = {});

const std::string* find_header(const HttpResponse& response, const std::string& name);

class Harness {
 public:
  // `scripts` name files already written into dir(); options.isolates defaults to 1 here.
  // `baked`: the snapshot context requests start from (nullopt: picked from the scripts).
  explicit Harness(std::vector<ScriptSpec> scripts, size_t isolates = 1, RuntimeLimits limits = {},
                   std::optional<BakedContext> baked = std::nullopt);
  // One script `name` made of `source`, module or service worker.
  static std::unique_ptr<Harness> single(const std::string& source, bool module,
                                         size_t isolates = 1, RuntimeLimits limits = {},
                                         std::optional<BakedContext> baked = std::nullopt);

  // Sends one request and runs the loop until its response (and all work it started) is done.
  HttpResponse fetch(HttpRequest request);
  HttpResponse fetch(const std::string& script = "main",
                     const std::string& url = "http://example.com/");
  // Sends several requests at once; returns responses in request order.
  std::vector<HttpResponse> fetch_all(std::vector<HttpRequest> requests);

  boost::asio::io_context& loop() { return loop_; }
  Runtime& runtime() { return *runtime_; }
  TempDir& dir() { return *dir_; }

 private:
  Harness(std::unique_ptr<TempDir> dir, std::vector<ScriptSpec> scripts, size_t isolates,
          RuntimeLimits limits, std::optional<BakedContext> baked);
  std::unique_ptr<TempDir> dir_;
  boost::asio::io_context loop_;
  std::unique_ptr<Runtime> runtime_;
};

// Runs `body` (statements of an async function; `return` a JSON-able value) in a module's
// fetch handler and returns JSON.stringify of what it returned, or "THROWS <name>: <message>".
std::string evaluate(const std::string& body, std::optional<BakedContext> baked = std::nullopt);

}  // namespace wsup::worker::testing
