#include "supervisor/worker_binary.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace wsup::supervisor {

std::string find_worker_binary(const std::string& explicit_path) {
  namespace fs = std::filesystem;
  if (!explicit_path.empty()) {
    if (::access(explicit_path.c_str(), X_OK) != 0)
      throw std::runtime_error("--worker-binary " + explicit_path + " is not an executable file");
    return fs::absolute(explicit_path).string();
  }
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(self.parent_path() / "wsup-worker");
    // Installed (cmake/WsupPackage.cmake): bin/wsup beside lib/wsup/wsup-worker.
    candidates.push_back(self.parent_path().parent_path() / "lib" / "wsup" / "wsup-worker");
    // Build tree: build/<preset>/supervisor/wsup beside build/<preset>/worker/wsup-worker.
    candidates.push_back(self.parent_path().parent_path() / "worker" / "wsup-worker");
  }
  std::string looked;
  for (const fs::path& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c.lexically_normal().string();
    looked += " " + c.lexically_normal().string();
  }
  throw std::runtime_error("cannot find wsup-worker (looked at:" + looked +
                           "); pass --worker-binary PATH");
}

namespace {

// A temporary file's name, the file removed when this goes.
struct TempFile {
  std::string path;
  TempFile() {
    std::string name = (std::filesystem::temp_directory_path() / "wsup-files-XXXXXX").string();
    int fd = ::mkstemp(name.data());
    if (fd >= 0) {
      ::close(fd);
      path = name;
    }
  }
  ~TempFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
};

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace

CheckResult run_worker_check(const std::string& worker_binary, const std::string& config_path,
                             bool list_files) {
  std::optional<TempFile> list;
  if (list_files) list.emplace();
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return {false, std::string("pipe failed: ") + std::strerror(errno), {}};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  std::string binary = worker_binary, flag = "--check", config = config_path;
  std::string list_flag = "--list-files", list_path = list ? list->path : "";
  char* argv[] = {binary.data(), flag.data(), config.data(), nullptr, nullptr, nullptr};
  if (list && !list_path.empty()) {
    argv[3] = list_flag.data();
    argv[4] = list_path.data();
  }
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  CheckResult result;
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return {false, "cannot run " + worker_binary + ": " + std::strerror(rc), {}};
  }
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!result.ok && result.output.empty())
    result.output = worker_binary + " --check failed without a message\n";
  if (list && !list_path.empty()) result.files = read_lines(list_path);
  return result;
}

}  // namespace wsup::supervisor
