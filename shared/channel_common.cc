// Names of the channel's enums, and start-up cleanup of segments left by dead supervisors.
#include <dirent.h>
#include <signal.h>

#include <cerrno>
#include <charconv>
#include <memory>
#include <vector>

#include "shared/channel.h"
#include "shared/log.h"
#include "shared/segment.h"

namespace wsup {

const char* to_string(WorkerState state) {
  switch (state) {
    case WorkerState::starting:
      return "starting";
    case WorkerState::ready:
      return "ready";
    case WorkerState::draining:
      return "draining";
    case WorkerState::stopped:
      return "stopped";
    case WorkerState::fatal:
      return "fatal";
    case WorkerState::replace_me:
      return "replace_me";
  }
  return "unknown";
}

const char* to_string(SubmitStatus status) {
  switch (status) {
    case SubmitStatus::ok:
      return "ok";
    case SubmitStatus::full:
      return "full";
    case SubmitStatus::too_large:
      return "too_large";
    case SubmitStatus::closed:
      return "closed";
    case SubmitStatus::spill_failed:
      return "spill_failed";
  }
  return "unknown";
}

const char* to_string(ChannelError error) {
  switch (error) {
    case ChannelError::none:
      return "none";
    case ChannelError::corrupt_record:
      return "corrupt_record";
    case ChannelError::corrupt_request:
      return "corrupt_request";
    case ChannelError::headers_too_large:
      return "headers_too_large";
  }
  return "unknown";
}

const char* to_string(RespondStatus status) {
  switch (status) {
    case RespondStatus::ok:
      return "ok";
    case RespondStatus::unknown_request:
      return "unknown_request";
    case RespondStatus::not_your_turn:
      return "not_your_turn";
    case RespondStatus::too_large:
      return "too_large";
    case RespondStatus::cancelled:
      return "cancelled";
  }
  return "unknown";
}

namespace {

// "wsup-<instance>-<pid>-..." -> pid, or -1 when the name does not have that shape.
int creator_pid(std::string_view name) {
  size_t first = name.find('-');
  if (first == std::string_view::npos) return -1;
  size_t second = name.find('-', first + 1);
  if (second == std::string_view::npos) return -1;
  size_t third = name.find('-', second + 1);
  std::string_view digits = name.substr(
      second + 1, third == std::string_view::npos ? std::string_view::npos : third - second - 1);
  int pid = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc() || end != digits.data() + digits.size() || pid <= 0) return -1;
  return pid;
}

bool process_gone(int pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

size_t remove_stale_segments(std::string_view prefix) {
  std::vector<std::string> stale;
  {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/dev/shm"), ::closedir);
    if (!dir) return 0;
    while (dirent* entry = ::readdir(dir.get())) {
      std::string_view name(entry->d_name);
      if (name.substr(0, prefix.size()) != prefix) continue;
      int pid = creator_pid(name);
      if (pid > 0 && process_gone(pid)) stale.emplace_back(name);
    }
  }
  for (const auto& name : stale) {
    shm::remove_object(name);
    log::info("removed stale shared-memory segment", {{"name", name}});
  }
  return stale.size();
}

}  // namespace wsup
