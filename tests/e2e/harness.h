// Process-level test harness: starts the real `wsup` binary on a loopback port chosen at run
// time, talks to it over HTTP (cpp-httplib client) and through its CLI, and always stops it
// (SIGTERM, then SIGKILL) so no test leaves processes behind. Every wait is bounded.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace wsup::e2e {

// A loopback TCP port that was free a moment ago.
uint16_t free_port();

// A fresh directory under /tmp, removed with its contents at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};
// Runs a command to completion (killed after `timeout`), capturing its output.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30),
                          const std::vector<std::string>& extra_env = {});

struct HttpResult {
  int status = 0;  // 0 = connection failed
  std::string body;
  std::multimap<std::string, std::string> headers;
};
HttpResult http_get(uint16_t port, const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
HttpResult http_post(uint16_t port, const std::string& path, const std::string& body,
                     const std::string& content_type = "application/octet-stream");

// `wsup start CONFIG --control SOCKET [--worker-binary W]` as a child process.
class Supervisor {
 public:
  Supervisor(const std::string& config_path, const std::string& control_path,
             const std::string& worker_binary, const std::vector<std::string>& extra_env = {});
  // Any wsup subcommand that runs a supervisor (e.g. `dev SCRIPT --port P`).
  Supervisor(const std::vector<std::string>& wsup_args, const std::string& control_path,
             const std::string& log_path);
  ~Supervisor();  // SIGTERM, wait, SIGKILL
  void set_control_path(std::string path) { control_path_ = std::move(path); }
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Waits until `port` answers HTTP (any status) or the process exits.
  bool wait_serving(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends a signal; wait_exit() then reaps with a bound.
  void signal(int sig) const;
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }
  std::string log() const;                                            // everything it wrote so far
  CommandResult control(const std::vector<std::string>& args) const;  // wsup ARGS --control S

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string log_path_;
  std::string control_path_;
};

// A cluster on a free loopback port: `files` (name -> text) written into a fresh folder beside a
// cluster.yaml made of "listen: 127.0.0.1:<port>" and `settings` (the rest of the YAML), and
// `wsup start` on it with `worker_binary`.
struct ClusterWithFiles {
  ClusterWithFiles(const std::map<std::string, std::string>& files, const std::string& settings,
                   const std::string& worker_binary);
  TempDir dir;
  uint16_t port;
  std::filesystem::path config;
  std::string control;
  std::unique_ptr<Supervisor> supervisor;
};

// Clients sending requests in a loop until stopped, counting statuses.
class LoadGenerator {
 public:
  LoadGenerator(uint16_t port, std::string path, int clients);
  ~LoadGenerator();  // stops
  void stop();
  std::map<int, int> counts() const;  // status -> how many
  int total() const;
  int failed() const;  // anything but 200

 private:
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<int, int> counts_;
  std::vector<std::thread> threads_;
};

// One script `w.js` (routes "/*") served by the real binaries on a free port, with extra
// top-level cluster.yaml settings; stopped when it goes out of scope.
struct OneScriptCluster : ClusterWithFiles {
  OneScriptCluster(const std::string& script, const std::string& settings,
                   const std::string& worker_binary);
};

// How often `word` occurs in `text` (a log, for counting its lines of one kind).
size_t count_of(const std::string& text, const std::string& word);
// Resident memory of a process (VmRSS in /proc/PID/status), 0 when it is gone.
uint64_t rss_bytes(pid_t pid);

// Pids of the workers, by id, from `wsup status --json` (0 when none).
std::map<int, int> worker_pids(const Supervisor& supervisor);

}  // namespace wsup::e2e
