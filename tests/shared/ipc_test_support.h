// Shared by the channel tests, the test worker binary and the benchmark: deterministic bodies
// with checksums, starting a worker process on a channel the way the supervisor does, and
// assembling streamed answers.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shared/channel.h"

namespace wsup::testing {

// A checksum over 8-byte words (then the tail), cheap enough for millions of records even in
// debug builds.
inline uint64_t fnv1a(const std::string& bytes) {
  uint64_t hash = 1469598103934665603ull;
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    hash = (hash ^ word) * 1099511628211ull;
  }
  for (; i < bytes.size(); ++i)
    hash = (hash ^ static_cast<unsigned char>(bytes[i])) * 1099511628211ull;
  return hash ^ bytes.size();
}

// Bytes that depend on `seed`, so a misplaced or stale body fails its checksum.
inline std::string make_body(uint64_t seed, size_t size) {
  std::string body(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < size; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(body.data() + i, &x, std::min<size_t>(8, size - i));
  }
  return body;
}

// Chunk `k` of request `id`'s test stream (ipc_test_worker's x-stream-chunks).
inline std::string stream_chunk(uint64_t id, uint64_t k, size_t size) {
  return make_body(id * 1000003 + k, size);
}
// ipc_test_worker's --stream-log-fd event for a cancel (others are chunk indices).
inline constexpr uint64_t kCancelledEvent = ~uint64_t{0};

// One request's answer as the supervisor got it, whole or assembled from a stream.
struct Answer {
  uint64_t request_id = 0;
  ChannelError error = ChannelError::none;
  HttpResponse response;  // a stream's body is its chunks joined
  bool streamed = false;
  bool aborted = false;
  size_t chunks = 0;
  std::optional<uint64_t> length;
};

// Reads a channel's records into whole answers, releasing each head and chunk as soon as it is
// read (a client that takes everything at once).
class Assembler {
 public:
  explicit Assembler(SupervisorChannel& channel) : channel_(channel) {}
  // One poll_responses(); `on_answer` gets each answer that finished. Returns records read.
  size_t poll(const std::function<void(Answer&&)>& on_answer) {
    return channel_.poll_responses([&](ResponseEvent&& e) { feed(std::move(e), on_answer); });
  }
  void feed(ResponseEvent&& e, const std::function<void(Answer&&)>& on_answer) {
    switch (e.kind) {
      case ResponseEvent::Kind::whole: {
        Answer a;
        a.request_id = e.request_id;
        a.error = e.error;
        a.response = std::move(e.response);
        on_answer(std::move(a));
        return;
      }
      case ResponseEvent::Kind::head: {
        Answer& a = partial_[e.request_id];
        a.request_id = e.request_id;
        a.response = std::move(e.response);
        a.streamed = true;
        a.length = e.length;
        channel_.release(e.request_id);
        return;
      }
      case ResponseEvent::Kind::chunk: {
        Answer& a = partial_[e.request_id];
        a.response.body += e.chunk;
        ++a.chunks;
        channel_.release(e.request_id);
        return;
      }
      case ResponseEvent::Kind::end: {
        Answer a = std::move(partial_[e.request_id]);
        partial_.erase(e.request_id);
        a.request_id = e.request_id;
        a.error = e.error;
        a.aborted = e.aborted;
        on_answer(std::move(a));
        return;
      }
    }
  }
  size_t open_streams() const { return partial_.size(); }

 private:
  SupervisorChannel& channel_;
  std::map<uint64_t, Answer> partial_;
};

// Whole-buffer read/write on a blocking socket; false on EOF or error.
inline bool read_full(int fd, void* data, size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

inline bool write_full(int fd, const void* data, size_t size) {
  auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

inline std::string header_value(const HeaderList& headers, const std::string& name) {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

// fork + exec `binary --segment NAME --request-fd N --response-fd M extra...`, passing the two
// doorbells the way the supervisor does. Returns the child's pid.
inline pid_t spawn_worker(const std::string& binary, const SupervisorChannel& channel,
                          const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {binary,
                                   "--segment",
                                   channel.name(),
                                   "--request-fd",
                                   std::to_string(channel.worker_doorbell_fd()),
                                   "--response-fd",
                                   std::to_string(channel.supervisor_doorbell_fd())};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (!clear_close_on_exec(channel.worker_doorbell_fd()) ||
        !clear_close_on_exec(channel.supervisor_doorbell_fd())) {
      ::_exit(126);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

inline int wait_exit_status(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return status;
}

}  // namespace wsup::testing
