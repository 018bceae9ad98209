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

#include "tests/support/eventually.h"
#include "tests/support/temp_dir.h"

namespace wsup::e2e {

using wsup::testing::eventually;
using wsup::testing::TempDir;

// A loopback TCP port that was free a moment ago.
uint16_t free_port();

// A file's whole text ("" when it cannot be read).
std::string read_file(const std::string& path);

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
// Sends `bytes` as they are on a new connection and returns everything the server sends back
// until it closes the connection (or `timeout` passes).
std::string send_raw(uint16_t port, const std::string& bytes,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));
// send_raw, and whether the server closed the connection (false: `timeout` passed first, or the
// connection could not be made).
struct RawReply {
  std::string bytes;
  bool closed = false;
};
RawReply exchange_raw(uint16_t port, const std::string& bytes,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

// `wsup start CONFIG --control SOCKET [--worker-binary W]` as a child process.
class Supervisor {
 public:
  Supervisor(const std::string& config_path, const std::string& control_path,
             const std::string& worker_binary, const std::vector<std::string>& extra_env = {});
  // Any wsup subcommand that runs a supervisor (e.g. `dev SCRIPT --port P`).
  Supervisor(const std::vector<std::string>& wsup_args, const std::string& control_path,
             const std::string& log_path);
  // `binary ARGS` for a wsup other than the build tree's (one unpacked from the package).
  Supervisor(const std::string& binary, const std::vector<std::string>& args,
             const std::string& control_path, const std::string& log_path);
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

// Requests sent at once, each on a thread of its own; the destructor waits for them all.
class ConcurrentRequests {
 public:
  explicit ConcurrentRequests(uint16_t port) : port_(port) {}
  ~ConcurrentRequests();
  ConcurrentRequests(const ConcurrentRequests&) = delete;
  ConcurrentRequests& operator=(const ConcurrentRequests&) = delete;
  void get(const std::string& path);  // sends it and returns at once
  void join();                        // waits for every answer
  // Answers so far with `status` (0: the request failed without an answer).
  int count(int status) const;
  std::vector<HttpResult> results() const;  // the answers so far, in the order they came

 private:
  const uint16_t port_;
  mutable std::mutex mutex_;
  std::vector<HttpResult> results_;
  std::vector<std::thread> threads_;
};

// A cluster on a free loopback port: `files` (name -> text) written into a fresh folder beside a
// cluster.yaml made of "listen: 127.0.0.1:<port>" and `settings` (the rest of the YAML), and
// `wsup start` on it with `worker_binary`.
struct ClusterWithFiles {
  // `extra_env`: NAME=VALUE entries for the supervisor's environment (its workers inherit it).
  ClusterWithFiles(const std::map<std::string, std::string>& files, const std::string& settings,
                   const std::string& worker_binary,
                   const std::vector<std::string>& extra_env = {});
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
                   const std::string& worker_binary,
                   const std::vector<std::string>& extra_env = {});
};

// How often `word` occurs in `text` (a log, for counting its lines of one kind).
size_t count_of(const std::string& text, const std::string& word);

// One row of `wsup status --json`: one per worker slot, describing the slot's current process
// (while a replacement starts, the one that still serves).
struct WorkerStatus {
  int id = -1;
  int pid = 0;
  std::string state;
  int in_flight = 0;    // held by the supervisor for this worker (queued in its ring or taken)
  int queue_depth = 0;  // in its ring, not taken yet
};
std::vector<WorkerStatus> worker_status(const Supervisor& supervisor);

// Requests the supervisor holds for its workers right now (the sum of their in_flight).
int in_flight_total(const Supervisor& supervisor);

// Waits (bounded) until the supervisor holds `total` requests and every one has been taken by
// its worker (none left in a ring, where a worker's death would re-dispatch it rather than fail
// it); returns the worker that holds the most of them then (in_flight >= 1), or nullopt.
std::optional<WorkerStatus> busiest_once_all_taken(const Supervisor& supervisor, int total);
// Resident memory of a process (VmRSS in /proc/PID/status), 0 when it is gone.
uint64_t rss_bytes(pid_t pid);

// Pids of the workers, by id, from `wsup status --json` (0 when none).
std::map<int, int> worker_pids(const Supervisor& supervisor);

}  // namespace wsup::e2e
