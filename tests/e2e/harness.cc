#include "harness.h"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "tests/support/reap.h"

extern char** environ;

namespace wsup::e2e {
namespace {

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

pid_t spawn(std::vector<std::string> argv, int output_fd,
            const std::vector<std::string>& extra_env) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, output_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, output_fd, STDERR_FILENO);
  std::vector<std::string> env = environment_with(extra_env);
  auto args = c_strings(argv);
  auto envp = c_strings(env);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

}  // namespace

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

uint16_t free_port() {
  // The kernel may hand the same ephemeral port to two binds in a row once the first socket is
  // closed, so a test that asks for a listen port and then an admin port could get one twice
  // (seen in CI: "admin.http ... clashes with listen address"). Ports already given out in this
  // process are skipped.
  static std::mutex mutex;
  static std::set<uint16_t> given;
  std::lock_guard lock(mutex);
  for (;;) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                       ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    ::close(fd);
    if (!bound) throw std::runtime_error("free_port: cannot bind an ephemeral loopback port");
    const uint16_t port = ntohs(addr.sin_port);
    if (given.insert(port).second) return port;
  }
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const std::vector<std::string>& extra_env) {
  TempDir dir;
  std::string out_path = (dir.path() / "out").string();
  int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  pid_t pid = spawn(argv, fd, extra_env);
  ::close(fd);
  CommandResult result;
  auto code = wsup::testing::reap_within(pid, timeout);
  if (!code) {
    ::kill(pid, SIGKILL);
    code = wsup::testing::reap_within(pid, std::chrono::seconds(5));
  }
  result.exit_code = code.value_or(-1);
  result.output = read_file(out_path);
  return result;
}

namespace {
HttpResult to_result(const httplib::Result& r) {
  HttpResult out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  for (const auto& [k, v] : r->headers) out.headers.emplace(k, v);
  return out;
}
}  // namespace

HttpResult http_get(uint16_t port, const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  return to_result(client.Get(path.c_str(), h));
}

HttpResult http_post(uint16_t port, const std::string& path, const std::string& body,
                     const std::string& content_type) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  return to_result(client.Post(path.c_str(), body, content_type.c_str()));
}

ClusterWithFiles::ClusterWithFiles(const std::map<std::string, std::string>& files,
                                   const std::string& settings, const std::string& worker_binary,
                                   const std::vector<std::string>& extra_env)
    : port(free_port()) {
  for (const auto& [name, text] : files) dir.write(name, text);
  config = dir.write("cluster.yaml", "listen: 127.0.0.1:" + std::to_string(port) + "\n" + settings);
  control = (dir.path() / "control.sock").string();
  supervisor = std::make_unique<Supervisor>(config.string(), control, worker_binary, extra_env);
}

std::string send_raw(uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  return exchange_raw(port, bytes, timeout).bytes;
}

RawReply exchange_raw(uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  RawReply reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        reply.closed = true;  // the end of the stream, or a reset
        break;
      }
      reply.bytes.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return reply;
}

Supervisor::Supervisor(const std::string& config_path, const std::string& control_path,
                       const std::string& worker_binary, const std::vector<std::string>& extra_env)
    : log_path_(control_path + ".log"), control_path_(control_path) {
  int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::vector<std::string> argv = {WSUP_BINARY, "start", config_path, "--control", control_path};
  if (!worker_binary.empty()) {
    argv.push_back("--worker-binary");
    argv.push_back(worker_binary);
  }
  pid_ = spawn(argv, fd, extra_env);
  ::close(fd);
}

Supervisor::Supervisor(const std::vector<std::string>& wsup_args, const std::string& control_path,
                       const std::string& log_path)
    : Supervisor(WSUP_BINARY, wsup_args, control_path, log_path) {}

Supervisor::Supervisor(const std::string& binary, const std::vector<std::string>& args,
                       const std::string& control_path, const std::string& log_path)
    : log_path_(log_path), control_path_(control_path) {
  int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = spawn(argv, fd, {});
  ::close(fd);
}

Supervisor::~Supervisor() {
  if (exit_code_) return;
  ::kill(pid_, SIGTERM);
  if (!wait_exit(std::chrono::seconds(15))) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(5));
  }
}

bool Supervisor::wait_serving(uint16_t port, std::chrono::milliseconds timeout) {
  bool serving = false;
  eventually(
      [&] {
        if (wait_exit(std::chrono::milliseconds(0))) return true;  // exited: it never will
        httplib::Client client("127.0.0.1", port);
        client.set_connection_timeout(0, 200'000);
        serving = static_cast<bool>(client.Get("/"));
        return serving;
      },
      timeout);
  return serving;
}

void Supervisor::signal(int sig) const {
  ::kill(pid_, sig);
}

std::optional<int> Supervisor::wait_exit(std::chrono::milliseconds timeout) {
  if (!exit_code_) exit_code_ = wsup::testing::reap_within(pid_, timeout);
  return exit_code_;
}

std::string Supervisor::log() const {
  return read_file(log_path_);
}

CommandResult Supervisor::control(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {WSUP_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--control");
  argv.push_back(control_path_);
  return run_command(argv, std::chrono::seconds(60));
}

ConcurrentRequests::~ConcurrentRequests() {
  join();
}

void ConcurrentRequests::get(const std::string& path) {
  threads_.emplace_back([this, path] {
    HttpResult result = http_get(port_, path);
    std::lock_guard lock(mutex_);
    results_.push_back(std::move(result));
  });
}

void ConcurrentRequests::join() {
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

int ConcurrentRequests::count(int status) const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(std::count_if(results_.begin(), results_.end(),
                                        [&](const HttpResult& r) { return r.status == status; }));
}

std::vector<HttpResult> ConcurrentRequests::results() const {
  std::lock_guard lock(mutex_);
  return results_;
}

LoadGenerator::LoadGenerator(uint16_t port, std::string path, int clients) {
  for (int i = 0; i < clients; ++i) {
    threads_.emplace_back([this, port, path] {
      httplib::Client client("127.0.0.1", port);  // keep-alive across the loop
      client.set_keep_alive(true);
      client.set_read_timeout(30, 0);
      // relaxed: a stop request only needs to be seen eventually
      while (!stop_.load(std::memory_order_relaxed)) {
        auto r = client.Get(path.c_str());
        int status = r ? r->status : 0;
        std::lock_guard lock(mutex_);
        ++counts_[status];
      }
    });
  }
}

LoadGenerator::~LoadGenerator() {
  stop();
}

void LoadGenerator::stop() {
  stop_.store(true, std::memory_order_relaxed);
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

std::map<int, int> LoadGenerator::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

int LoadGenerator::total() const {
  int n = 0;
  for (auto [status, count] : counts()) n += count;
  return n;
}

int LoadGenerator::failed() const {
  int n = 0;
  for (auto [status, count] : counts()) n += status == 200 ? 0 : count;
  return n;
}

std::vector<WorkerStatus> worker_status(const Supervisor& supervisor) {
  std::vector<WorkerStatus> rows;
  const std::string json = supervisor.control({"status", "--json"}).output;
  static const std::regex row(R"re(\{"id":(\d+),"pid":(-?\d+),"state":"([^"]*)",)re"
                              R"re([^}]*"in_flight":(\d+),"queue_depth":(\d+))re");
  for (std::sregex_iterator it(json.begin(), json.end(), row), end; it != end; ++it) {
    const std::smatch& m = *it;
    rows.push_back({std::stoi(m[1]), std::stoi(m[2]), m[3], std::stoi(m[4]), std::stoi(m[5])});
  }
  return rows;
}

int in_flight_total(const Supervisor& supervisor) {
  int n = 0;
  for (const WorkerStatus& w : worker_status(supervisor)) n += w.in_flight;
  return n;
}

std::optional<WorkerStatus> busiest_once_all_taken(const Supervisor& supervisor, int total) {
  std::optional<WorkerStatus> busiest;
  eventually([&] {
    busiest.reset();
    int held = 0;
    for (const WorkerStatus& w : worker_status(supervisor)) {
      if (w.queue_depth != 0) return false;
      held += w.in_flight;
      if (!busiest || w.in_flight > busiest->in_flight) busiest = w;
    }
    return held == total;
  });
  if (busiest && busiest->in_flight == 0) busiest.reset();
  return busiest;
}

uint64_t rss_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  uint64_t kib = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> kib;
      break;
    }
  }
  return kib * 1024;
}

std::map<int, int> worker_pids(const Supervisor& supervisor) {
  std::map<int, int> pids;
  for (const WorkerStatus& w : worker_status(supervisor)) pids[w.id] = w.pid;
  return pids;
}

OneScriptCluster::OneScriptCluster(const std::string& script, const std::string& settings,
                                   const std::string& worker_binary,
                                   const std::vector<std::string>& extra_env)
    : ClusterWithFiles({{"w.js", script}},
                       settings + "\nscripts:\n  - name: w\n    path: w.js\n    routes: [\"/*\"]\n",
                       worker_binary, extra_env) {}

size_t count_of(const std::string& text, const std::string& word) {
  size_t n = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
  return n;
}

}  // namespace wsup::e2e
