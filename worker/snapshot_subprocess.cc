#include "worker/snapshot_subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <iterator>
#include <sstream>

#include "worker/script_evaluator.h"
#include "worker/script_preparation.h"
#include "worker/snapshot_wire.h"
#include "worker/startup_error.h"
#include "worker/wasm_memory_budget.h"
#include "worker/web/web_platform.h"

extern char** environ;

namespace wsup::worker {
namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

struct Pipe {
  Fd read, write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw StartupError(std::string("cannot make a pipe for the snapshot builder: ") +
                       std::strerror(errno));
  }
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// The child hands its build back on this descriptor, not on stdout: V8 prints its traces
// (WSUP_V8_FLAGS=--trace-gc, ...) and its complaints before a crash to stdout, which would
// corrupt the build.
constexpr int kBuildFd = 3;

struct ChildRun {
  bool exited_cleanly = false;  // exit code 0
  std::string build;            // what the child wrote to kBuildFd
  std::string out;              // V8's own output
  std::string err;
  std::string failure;  // how it ended when not cleanly: "killed by signal 6", ...
};

// Runs `binary --build-snapshot` with `input` on its stdin, for at most `limit`.
ChildRun run_child(const std::string& binary, const std::string& input,
                   std::chrono::milliseconds limit) {
  // `in` is made first, so none of the later pipes' ends can be kBuildFd itself (a dup2 onto
  // itself would leave O_CLOEXEC set), and each dup2 below reads its source before a later one
  // could overwrite it.
  Pipe in = make_pipe(), out = make_pipe(), err = make_pipe(), build = make_pipe();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, build.write.get(), kBuildFd);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  std::string program = binary, flag = "--build-snapshot";
  char* argv[] = {program.data(), flag.data(), nullptr};
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    throw StartupError("cannot start the snapshot builder " + binary + ": " +
                       std::strerror(spawned));
  }
  in.read.reset();
  out.write.reset();
  err.write.reset();
  build.write.reset();
  ::fcntl(in.write.get(), F_SETFL, O_NONBLOCK);

  ChildRun run;
  size_t written = 0;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  bool timed_out = false;
  for (;;) {
    Fd* sources[3] = {&build.read, &out.read, &err.read};
    std::string* sinks[3] = {&run.build, &run.out, &run.err};
    pollfd fds[4] = {{build.read.get(), POLLIN, 0},
                     {out.read.get(), POLLIN, 0},
                     {err.read.get(), POLLIN, 0},
                     {in.write.get(), POLLOUT, 0}};
    const nfds_t count = in.write.get() >= 0 ? 4 : 3;
    if (std::all_of(std::begin(sources), std::end(sources), [](Fd* f) { return f->get() < 0; }))
      break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, count, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 3; ++i) {
      Fd& source = *sources[i];
      if (source.get() < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buffer[65536];
      const ssize_t n = ::read(source.get(), buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        source.reset();
      }
    }
    if (count == 4 && (fds[3].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      const ssize_t n = ::write(in.write.get(), input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        in.write.reset();
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exited_cleanly = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (timed_out) {
    run.failure = "it did not finish within " + std::to_string(limit.count() / 1000) + " s";
  } else if (WIFSIGNALED(status)) {
    run.failure = "it was killed by signal " + std::to_string(WTERMSIG(status));
  } else if (!run.exited_cleanly) {
    run.failure = "it exited with code " + std::to_string(WEXITSTATUS(status));
  }
  return run;
}

// What V8 said before the child died: it prints the object it could not serialize to stdout
// ("global handle not serialized: ...: [Foreign]") and its fatal error to stderr ("# Check
// failed: ...", "Unknown external reference ...").
std::string complaint(const ChildRun& run) {
  std::string fallback;
  for (const std::string* text : {&run.out, &run.err}) {
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
      const size_t start = line.find_first_not_of("# ");
      if (start == std::string::npos || line.starts_with("ts=")) continue;
      line = line.substr(start, 200);
      if (line.find("not serialized") != std::string::npos ||
          line.find("Unknown external reference") != std::string::npos ||
          line.starts_with("Check failed")) {
        return line;
      }
      if (fallback.empty() && text == &run.err && !line.starts_with("Fatal error in")) {
        fallback = line;
      }
    }
  }
  return fallback;
}

std::string crash_reason(const ChildRun& run) {
  const std::string said = complaint(run);
  return "building its snapshot failed (" + run.failure + (said.empty() ? "" : ": " + said) +
         "); its top level probably keeps an object V8 cannot snapshot, such as an Intl "
         "formatter or a FinalizationRegistry with registrations";
}

std::chrono::milliseconds time_limit(const SnapshotPlan& plan, size_t scripts) {
  // V8's start-up and serialization take well under this; the rest is the scripts' budget.
  return std::chrono::seconds(60) + plan.startup_cpu * static_cast<int64_t>(2 * scripts + 2);
}

// One child build of `scripts`, of which those with `asks[i]` false are built without a
// snapshot. Nullopt when the child did not hand a build back.
std::optional<SnapshotBuild> try_build(const std::string& binary,
                                       const std::vector<LoadedScript>& scripts,
                                       const std::vector<bool>& asks, const SnapshotPlan& plan,
                                       bool webassembly, ChildRun& run) {
  SnapshotRequest request;
  request.plan = plan;
  request.webassembly = webassembly;
  request.user_agent = web::user_agent();
  for (size_t i = 0; i < scripts.size(); ++i) {
    request.scripts.push_back(scripts[i].spec);
    request.scripts.back().snapshot = asks[i];
  }
  run = run_child(binary, encode_snapshot_request(request), time_limit(plan, scripts.size()));
  if (!run.exited_cleanly) return std::nullopt;
  std::optional<SnapshotBuild> build = decode_snapshot_build(run.build, scripts, plan.base);
  if (!build) run.failure = "what it sent back was not a build of these scripts' sources";
  return build;
}

}  // namespace

SnapshotBuild build_snapshot_in_child(const std::string& binary,
                                      const std::vector<LoadedScript>& scripts,
                                      const SnapshotPlan& plan, bool webassembly) {
  std::vector<bool> asks(scripts.size());
  std::vector<size_t> evaluated;  // the scripts whose top level a build runs
  for (size_t i = 0; i < scripts.size(); ++i) {
    asks[i] = scripts[i].spec.snapshot;
    if (asks[i] && unsnapshottable_source(scripts[i]).empty()) evaluated.push_back(i);
  }
  // Without a top level to run, the build only copies wsup's own contexts: nothing can abort.
  if (evaluated.empty()) return build_script_snapshot(scripts, plan);
  ChildRun run;
  if (auto build = try_build(binary, scripts, asks, plan, webassembly, run)) return *build;

  // The child died. Find the scripts it dies on, each built alone, and leave them out.
  std::vector<std::string> culprits(scripts.size());
  if (evaluated.size() > 1) {
    for (size_t i : evaluated) {
      std::vector<bool> only(scripts.size(), false);
      only[i] = true;
      ChildRun single;
      std::optional<SnapshotBuild> alone =
          try_build(binary, scripts, only, plan, webassembly, single);
      if (!alone) {
        culprits[i] = crash_reason(single);
      } else if (!alone->errors.empty()) {
        return std::move(*alone);  // the script is wrong as written: nothing else matters
      }
    }
  }
  if (std::all_of(culprits.begin(), culprits.end(), [](const auto& c) { return c.empty(); })) {
    for (size_t i : evaluated) culprits[i] = crash_reason(run);  // alone, or only together
  }
  std::optional<SnapshotBuild> build;
  for (size_t i = 0; i < scripts.size(); ++i) asks[i] = asks[i] && culprits[i].empty();
  if (std::any_of(evaluated.begin(), evaluated.end(), [&](size_t i) { return asks[i]; })) {
    build = try_build(binary, scripts, asks, plan, webassembly, run);
    if (build && !build->errors.empty()) return std::move(*build);
  }
  std::vector<ScriptStart> starts(scripts.size());
  if (build) {
    for (size_t i = 0; i < scripts.size(); ++i) starts[i] = build->snapshot->start(i);
  } else {
    build.emplace();
    for (size_t i : evaluated) {
      if (culprits[i].empty()) culprits[i] = crash_reason(run);
    }
    for (size_t i = 0; i < scripts.size(); ++i) {
      if (scripts[i].spec.snapshot) starts[i].fallback_reason = unsnapshottable_source(scripts[i]);
    }
  }
  for (size_t i = 0; i < scripts.size(); ++i) {
    if (!culprits[i].empty()) starts[i].fallback_reason = culprits[i];
  }
  const bool built = build->snapshot && build->snapshot->built();
  build->snapshot = built ? std::make_shared<ScriptSnapshot>(build->snapshot->blob_bytes(),
                                                             plan.base, std::move(starts))
                          : std::make_shared<ScriptSnapshot>(plan.base, std::move(starts));
  return *build;
}

int run_snapshot_builder_child() {
  // No builder outlives the worker that asked for it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::optional<SnapshotRequest> request = decode_snapshot_request(input);
  if (!request) {
    std::cerr << "wsup-worker --build-snapshot: stdin does not hold a snapshot request\n";
    return 2;
  }
  if (request->plan.wasm_max_bytes != 0)
    WasmMemoryPageAllocator::set_max_bytes(request->plan.wasm_max_bytes);
  set_webassembly(request->webassembly);
  web::set_user_agent(request->user_agent);
  std::vector<LoadedScript> scripts = load_scripts(request->scripts);
  const SnapshotBuild build = build_script_snapshot(scripts, request->plan);
  const std::string bytes = encode_snapshot_build(build, scripts);
  for (size_t written = 0; written < bytes.size();) {
    const ssize_t n = ::write(kBuildFd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::cerr << "wsup-worker --build-snapshot: cannot write the build to descriptor " << kBuildFd
                << ": " << std::strerror(errno) << "\n";
      return 1;
    }
    written += static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace wsup::worker
