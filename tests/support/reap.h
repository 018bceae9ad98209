// Reaping a child process without blocking forever: tests that start real processes (the wsup
// and wsup-worker binaries, the IPC stand-in worker) must never hang on one that does not exit.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <optional>

#include "tests/support/eventually.h"

namespace wsup::testing {

// Waits until the child `pid` exits and reaps it: its exit status, or 128 + the signal that
// killed it. nullopt when it is still running after `timeout` (or is not a child of ours).
inline std::optional<int> reap_within(pid_t pid, std::chrono::milliseconds timeout) {
  std::optional<int> code;
  eventually(
      [&] {
        int status = 0;
        const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
        if (reaped == pid) code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return reaped != 0;  // reaped, or no such child: nothing left to wait for
      },
      timeout);
  return code;
}

}  // namespace wsup::testing
