#include "worker/snapshot_wire.h"

#include <cstring>
#include <functional>
#include <map>

namespace wsup::worker {
namespace {

constexpr std::string_view kRequestMagic = "wsup-snapshot-request-2\n";
constexpr std::string_view kBuildMagic = "wsup-snapshot-build-1\n";

class Writer {
 public:
  explicit Writer(std::string_view magic) : out_(magic) {}
  void number(uint64_t value) { out_.append(reinterpret_cast<const char*>(&value), sizeof value); }
  void text(std::string_view value) {
    number(value.size());
    out_.append(value);
  }
  void texts(const std::vector<std::string>& values) {
    number(values.size());
    for (const std::string& value : values) text(value);
  }
  void map(const std::map<std::string, std::string>& values) {
    number(values.size());
    for (const auto& [key, value] : values) {
      text(key);
      text(value);
    }
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what Writer wrote; any short or malformed read leaves it failed (and reading on
// returns zeros and empty strings), so the caller checks ok() once at the end.
class Reader {
 public:
  Reader(const std::string& bytes, std::string_view magic) : bytes_(bytes) {
    ok_ = bytes_.compare(0, magic.size(), magic) == 0;
    at_ = magic.size();
  }
  uint64_t number() {
    uint64_t value = 0;
    if (!ok_ || bytes_.size() - at_ < sizeof value) {
      ok_ = false;
      return 0;
    }
    std::memcpy(&value, bytes_.data() + at_, sizeof value);
    at_ += sizeof value;
    return value;
  }
  std::string text() {
    const uint64_t size = number();
    if (!ok_ || bytes_.size() - at_ < size) {
      ok_ = false;
      return {};
    }
    std::string value = bytes_.substr(at_, size);
    at_ += size;
    return value;
  }
  std::vector<std::string> texts() {
    std::vector<std::string> values(bounded(number()));
    for (std::string& value : values) value = text();
    return values;
  }
  std::map<std::string, std::string> map() {
    std::map<std::string, std::string> values;
    for (uint64_t n = bounded(number()); n > 0 && ok_; --n) {
      std::string key = text();
      values[key] = text();
    }
    return values;
  }
  bool failed() const { return !ok_; }
  // Everything read, and nothing left over.
  bool ok() const { return ok_ && at_ == bytes_.size(); }

 private:
  // A count cannot exceed the bytes left (each item takes at least one).
  uint64_t bounded(uint64_t count) {
    if (count > bytes_.size() - at_) ok_ = false;
    return ok_ ? count : 0;
  }
  const std::string& bytes_;
  size_t at_ = 0;
  bool ok_ = false;
};

}  // namespace

uint64_t source_fingerprint(const LoadedScript& script) {
  uint64_t hash = std::hash<std::string>{}(script.source);
  for (const ModuleFile& file : script.modules) {
    hash = hash * 1'000'003 ^ std::hash<std::string>{}(file.path);
    hash = hash * 1'000'003 ^ std::hash<std::string>{}(file.source);
  }
  return hash;
}

std::string encode_snapshot_request(const SnapshotRequest& request) {
  Writer out(kRequestMagic);
  out.number(static_cast<uint64_t>(request.plan.base));
  out.number(static_cast<uint64_t>(request.plan.startup_cpu.count()));
  out.number(request.plan.wasm_max_bytes);
  out.number(request.webassembly ? 1 : 0);
  out.text(request.user_agent);
  out.number(request.scripts.size());
  for (const ScriptSpec& spec : request.scripts) {
    out.text(spec.name);
    out.text(spec.path);
    out.number(spec.module ? 1 : 0);
    out.number(spec.snapshot ? 1 : 0);
    out.map(spec.vars);
    out.map(spec.secrets);
    out.texts(spec.warm_up);
    out.texts(spec.compatibility_flags);
    out.number(spec.allow_eval ? 1 : 0);
  }
  return out.take();
}

std::optional<SnapshotRequest> decode_snapshot_request(const std::string& bytes) {
  Reader in(bytes, kRequestMagic);
  SnapshotRequest request;
  const uint64_t base = in.number();
  request.plan.base =
      base < std::size(kBakedContexts) ? static_cast<BakedContext>(base) : BakedContext::plain;
  request.plan.startup_cpu = std::chrono::milliseconds(in.number());
  request.plan.wasm_max_bytes = static_cast<size_t>(in.number());
  request.webassembly = in.number() != 0;
  request.user_agent = in.text();
  for (uint64_t n = in.number(); n > 0 && !in.failed(); --n) {
    ScriptSpec spec;
    spec.name = in.text();
    spec.path = in.text();
    spec.module = in.number() != 0;
    spec.snapshot = in.number() != 0;
    spec.vars = in.map();
    spec.secrets = in.map();
    spec.warm_up = in.texts();
    spec.compatibility_flags = in.texts();
    spec.allow_eval = in.number() != 0;
    request.scripts.push_back(std::move(spec));
  }
  if (!in.ok()) return std::nullopt;
  return request;
}

std::string encode_snapshot_build(const SnapshotBuild& build,
                                  const std::vector<LoadedScript>& scripts) {
  Writer out(kBuildMagic);
  out.texts(build.errors);
  out.number(build.console.size());
  for (const ScriptConsoleLine& line : build.console) {
    out.number(line.script);
    out.number(static_cast<uint64_t>(line.level));
    out.text(line.text);
  }
  out.number(scripts.size());
  for (size_t i = 0; i < scripts.size(); ++i) {
    out.number(source_fingerprint(scripts[i]));
    const ScriptStart* start = build.snapshot ? &build.snapshot->start(i) : nullptr;
    out.number(start != nullptr && start->snapshotted ? 1 : 0);
    out.text(start != nullptr ? start->fallback_reason : "");
    out.number(start != nullptr ? start->warmed_up : 0);
    out.text(start != nullptr ? start->warm_up_failure : "");
    out.number(start != nullptr && start->weak_collections ? 1 : 0);
  }
  out.text(build.snapshot && build.snapshot->built() ? build.snapshot->blob_bytes() : "");
  return out.take();
}

std::optional<SnapshotBuild> decode_snapshot_build(const std::string& bytes,
                                                   const std::vector<LoadedScript>& scripts,
                                                   BakedContext base) {
  Reader in(bytes, kBuildMagic);
  SnapshotBuild build;
  build.errors = in.texts();
  for (uint64_t n = in.number(); n > 0 && !in.failed(); --n) {
    ScriptConsoleLine line;
    line.script = in.number();
    const uint64_t level = in.number();
    line.level = level <= static_cast<uint64_t>(log::Level::error) ? static_cast<log::Level>(level)
                                                                   : log::Level::info;
    line.text = in.text();
    if (line.script < scripts.size()) build.console.push_back(std::move(line));
  }
  if (in.number() != scripts.size()) return std::nullopt;
  std::vector<ScriptStart> starts(scripts.size());
  bool same_sources = true;
  for (size_t i = 0; i < scripts.size(); ++i) {
    same_sources = same_sources && in.number() == source_fingerprint(scripts[i]);
    starts[i].snapshotted = in.number() != 0;
    starts[i].fallback_reason = in.text();
    starts[i].warmed_up = in.number();
    starts[i].warm_up_failure = in.text();
    starts[i].weak_collections = in.number() != 0;
  }
  std::string blob = in.text();
  if (!in.ok() || !same_sources) return std::nullopt;
  if (!build.errors.empty()) return build;
  build.snapshot = blob.empty()
                       ? std::make_shared<ScriptSnapshot>(base, std::move(starts))
                       : std::make_shared<ScriptSnapshot>(std::move(blob), base, std::move(starts));
  return build;
}

}  // namespace wsup::worker
