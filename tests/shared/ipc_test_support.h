// Shared by the channel tests, the test worker binary and the benchmark: deterministic bodies
// with checksums, and starting a worker process on a channel the way the supervisor does.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
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
