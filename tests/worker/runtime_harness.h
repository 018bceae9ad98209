// Test support: runs scripts through a real Runtime on a private io_context, without the
// supervisor. One V8Engine per test binary.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "shared/http_message.h"
#include "tests/support/eventually.h"
#include "tests/support/temp_dir.h"
#include "worker/response_sink.h"
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

// A ResponseSink in memory: a whole answer, or a streamed one gathered into one HttpResponse;
// `on_answer` runs once the answer is complete (at respond(), or at end()). Records how the
// answer came, and can hold back writes (`paused`) to test backpressure.
class MemorySink final : public ResponseSink {
 public:
  explicit MemorySink(std::function<void(HttpResponse)> on_answer = nullptr)
      : on_answer_(std::move(on_answer)) {}

  void respond(HttpResponse response) override;
  void begin(HttpResponse head, std::optional<uint64_t> length) override;
  bool ready() const override { return began_ && !ended_ && !paused_ && !cancelled_; }
  void write(std::string chunk) override;
  void end(bool aborted) override;
  size_t max_chunk_bytes() const override { return max_chunk_; }

  // Holds writes back until resume(), which calls on_ready.
  void pause() { paused_ = true; }
  void resume();
  // The client goes away: on_cancel runs.
  void cancel();
  void set_max_chunk_bytes(size_t bytes) { max_chunk_ = bytes; }

  const HttpResponse& response() const { return response_; }
  bool answered() const { return answered_; }
  bool streamed() const { return began_; }
  bool aborted() const { return aborted_; }
  std::optional<uint64_t> declared_length() const { return length_; }
  const std::vector<std::string>& chunks() const { return chunks_; }

 private:
  void complete();
  std::function<void(HttpResponse)> on_answer_;
  HttpResponse response_;
  std::optional<uint64_t> length_;
  std::vector<std::string> chunks_;
  size_t max_chunk_ = 64 * 1024;
  bool began_ = false, ended_ = false, aborted_ = false, paused_ = false, cancelled_ = false;
  bool answered_ = false;
};

// A sink that hands the complete answer to `on_answer`.
std::shared_ptr<MemorySink> sink_to(std::function<void(HttpResponse)> on_answer);

class Harness {
 public:
  // `scripts` name files already written into dir(); options.isolates defaults to 1 here.
  // `baked`: the snapshot context requests start from (nullopt: picked from the scripts).
  // `concurrency`: requests alive at once (RuntimeOptions::concurrency).
  explicit Harness(std::vector<ScriptSpec> scripts, size_t isolates = 1, RuntimeLimits limits = {},
                   std::optional<BakedContext> baked = std::nullopt, size_t concurrency = 64);
  // One script `name` made of `source`, module or service worker; `adjust` may change its
  // spec (snapshot, warm-up, isolation, ...) before the runtime starts.
  static std::unique_ptr<Harness> single(const std::string& source, bool module,
                                         size_t isolates = 1, RuntimeLimits limits = {},
                                         std::optional<BakedContext> baked = std::nullopt,
                                         size_t concurrency = 64,
                                         const std::function<void(ScriptSpec&)>& adjust = {});
  // One module `main` whose fetch() goes out through an HttpClient made with `egress`.
  static std::unique_ptr<Harness> with_fetch(const std::string& source,
                                             egress::ClientOptions egress,
                                             RuntimeLimits limits = {},
                                             const std::function<void(ScriptSpec&)>& adjust = {});

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
          RuntimeLimits limits, std::optional<BakedContext> baked, size_t concurrency,
          std::optional<egress::ClientOptions> egress = std::nullopt);
  std::unique_ptr<TempDir> dir_;
  boost::asio::io_context loop_;
  std::unique_ptr<Runtime> runtime_;
};

// Runs `body` (statements of an async function; `return` a JSON-able value) in a module's
// fetch handler and returns JSON.stringify of what it returned, or "THROWS <name>: <message>".
// `snapshot`: whether the script's requests start from its snapshot (else it is evaluated in
// each request's context). Its CPU limit is 5 s: these tests are about results, not limits.
std::string evaluate(const std::string& body, std::optional<BakedContext> baked = std::nullopt,
                     bool snapshot = true);

}  // namespace wsup::worker::testing
