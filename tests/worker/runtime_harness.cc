#include "tests/worker/runtime_harness.h"

#include <stdexcept>

#include "worker/v8_engine.h"

namespace wsup::worker::testing {

V8Engine& ensure_v8() {
  static V8Engine engine("wsup-tests");
  return engine;
}

HttpRequest make_request(const std::string& script, const std::string& url,
                         const std::string& method, HeaderList headers, std::string body) {
  static uint64_t next_id = 1;
  HttpRequest request;
  request.id = next_id++;
  request.script = script;
  request.url = url;
  request.method = method;
  request.headers = std::move(headers);
  request.body = std::move(body);
  return request;
}

const std::string* find_header(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

Harness::Harness(std::vector<ScriptSpec> scripts, size_t isolates, RuntimeLimits limits,
                 std::optional<BakedContext> baked, size_t concurrency)
    : Harness(std::make_unique<TempDir>(), std::move(scripts), isolates, limits, baked,
              concurrency) {}

Harness::Harness(std::unique_ptr<TempDir> dir, std::vector<ScriptSpec> scripts, size_t isolates,
                 RuntimeLimits limits, std::optional<BakedContext> baked, size_t concurrency,
                 std::optional<egress::ClientOptions> egress)
    : dir_(std::move(dir)) {
  ensure_v8();
  RuntimeOptions options;
  options.scripts = std::move(scripts);
  options.isolates = isolates;
  options.limits = limits;
  options.baked_context = baked;
  options.concurrency = concurrency;
  options.egress = std::move(egress);
  runtime_ = std::make_unique<Runtime>(loop_, std::move(options));
}

std::unique_ptr<Harness> Harness::single(const std::string& source, bool module, size_t isolates,
                                         RuntimeLimits limits, std::optional<BakedContext> baked,
                                         size_t concurrency,
                                         const std::function<void(ScriptSpec&)>& adjust) {
  auto dir = std::make_unique<TempDir>();
  ScriptSpec spec;
  spec.name = "main";
  spec.path = dir->write(module ? "main.mjs" : "main.js", source);
  spec.module = module;
  if (adjust) adjust(spec);
  return std::unique_ptr<Harness>(
      new Harness(std::move(dir), {spec}, isolates, limits, baked, concurrency));
}

std::unique_ptr<Harness> Harness::with_fetch(const std::string& source,
                                             egress::ClientOptions egress, RuntimeLimits limits,
                                             const std::function<void(ScriptSpec&)>& adjust) {
  auto dir = std::make_unique<TempDir>();
  ScriptSpec spec;
  spec.name = "main";
  spec.path = dir->write("main.mjs", source);
  spec.module = true;
  if (adjust) adjust(spec);
  return std::unique_ptr<Harness>(
      new Harness(std::move(dir), {spec}, 1, limits, std::nullopt, 64, std::move(egress)));
}

HttpResponse Harness::fetch(HttpRequest request) {
  std::vector<HttpRequest> requests;
  requests.push_back(std::move(request));
  return fetch_all(std::move(requests)).at(0);
}

HttpResponse Harness::fetch(const std::string& script, const std::string& url) {
  return fetch(make_request(script, url));
}

std::vector<HttpResponse> Harness::fetch_all(std::vector<HttpRequest> requests) {
  std::vector<std::optional<HttpResponse>> responses(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    runtime_->handle(std::move(requests[i]), sink_to([&responses, i](HttpResponse response) {
                       responses[i] = std::move(response);
                     }));
  }
  loop_.restart();
  loop_.run();
  std::vector<HttpResponse> result;
  for (auto& response : responses) {
    if (!response) throw std::logic_error("a request got no response");
    result.push_back(std::move(*response));
  }
  return result;
}

void MemorySink::respond(HttpResponse response) {
  if (answered_ || began_) throw std::logic_error("a request was answered twice");
  response_ = std::move(response);
  complete();
}

void MemorySink::begin(HttpResponse head, std::optional<uint64_t> length) {
  if (answered_ || began_) throw std::logic_error("a request was answered twice");
  began_ = true;
  response_ = std::move(head);
  response_.body.clear();
  length_ = length;
}

void MemorySink::write(std::string chunk) {
  if (!ready()) throw std::logic_error("write() on a sink that is not ready");
  if (chunk.size() > max_chunk_) throw std::logic_error("write() of a chunk over the maximum");
  response_.body += chunk;
  chunks_.push_back(std::move(chunk));
}

void MemorySink::end(bool aborted) {
  if (!began_ || ended_) throw std::logic_error("end() without begin(), or twice");
  ended_ = true;
  aborted_ = aborted;
  complete();
}

void MemorySink::resume() {
  paused_ = false;
  if (on_ready && ready()) on_ready();
}

void MemorySink::cancel() {
  cancelled_ = true;
  if (on_cancel) on_cancel();
}

void MemorySink::complete() {
  answered_ = true;
  if (on_answer_) on_answer_(response_);
}

std::shared_ptr<MemorySink> sink_to(std::function<void(HttpResponse)> on_answer) {
  return std::make_shared<MemorySink>(std::move(on_answer));
}

std::string evaluate(const std::string& body, std::optional<BakedContext> baked, bool snapshot) {
  // What the body computes is the point, not how long it takes: building every lazy family on
  // first use went past the default 50 ms under ASan on a loaded machine.
  RuntimeLimits limits;
  limits.cpu_ms = 5000;
  auto harness = Harness::single(
      "export default { async fetch(request, env, ctx) {\n"
      "  let result;\n"
      "  try { result = JSON.stringify(await (async () => {\n" +
          body +
          "\n  })()); } catch (e) { result = 'THROWS ' + e.name + ': ' + e.message; }\n"
          "  return new Response(result);\n} };\n",
      true, 1, limits, baked, 64, [snapshot](ScriptSpec& spec) { spec.snapshot = snapshot; });
  HttpResponse response = harness->fetch();
  if (response.status != 200)
    return "STATUS " + std::to_string(response.status) + " " + response.body;
  return response.body;
}

}  // namespace wsup::worker::testing
