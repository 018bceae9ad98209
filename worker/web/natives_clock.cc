// The natives whose answer comes from outside the context: performance's clocks and
// navigator.userAgent. All are read at call time, never stored in a context, so a startup
// snapshot carries no stale clock and no user agent (a script's top level reads the clock as 0).
#include <chrono>
#include <string>
#include <utility>

#include "worker/web/natives.h"
#include "worker/web/runtime_hooks.h"
#include "worker/web/web_platform.h"

namespace wsup::worker::web {
namespace {

// performance.now() counts from process start on the monotonic clock; timeOrigin is the wall
// clock at that same instant, so timeOrigin + now() tracks Date.now().
const auto kProcessStartMonotonic = std::chrono::steady_clock::now();
const auto kProcessStartWall = std::chrono::system_clock::now();

void PerformanceNow(const v8::FunctionCallbackInfo<v8::Value>& info) {
  // A script's top level reads 0, as from Date.now() there (runtime_hooks.h).
  if (clock_frozen()) return info.GetReturnValue().Set(0.0);
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - kProcessStartMonotonic;
  info.GetReturnValue().Set(elapsed.count());
}

void TimeOrigin(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const std::chrono::duration<double, std::milli> since_epoch =
      kProcessStartWall.time_since_epoch();
  info.GetReturnValue().Set(since_epoch.count());
}

// Set by the runtime before its isolates run JavaScript (set_user_agent), so it is never
// written while a callback reads it.
std::string& user_agent_storage() {
  static std::string user_agent = "Cloudflare-Workers";
  return user_agent;
}

void UserAgent(const v8::FunctionCallbackInfo<v8::Value>& info) {
  const std::string& user_agent = user_agent_storage();
  v8::Local<v8::String> text;
  if (v8::String::NewFromUtf8(info.GetIsolate(), user_agent.data(), v8::NewStringType::kNormal,
                              static_cast<int>(user_agent.size()))
          .ToLocal(&text)) {
    info.GetReturnValue().Set(text);
  }
}

constexpr NativeFunction kTimeNatives[] = {
    {"performanceNow", PerformanceNow, 0},
    {"timeOrigin", TimeOrigin, 0},
};

constexpr NativeFunction kNavigatorNatives[] = {
    {"userAgent", UserAgent, 0},
};

}  // namespace

std::span<const NativeFunction> time_natives() {
  return kTimeNatives;
}

std::span<const NativeFunction> navigator_natives() {
  return kNavigatorNatives;
}

void set_user_agent(std::string user_agent) {
  user_agent_storage() = std::move(user_agent);
}

const std::string& user_agent() {
  return user_agent_storage();
}

}  // namespace wsup::worker::web
