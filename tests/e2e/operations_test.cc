// What an operator meets: the command line (help, usage errors, status of the supervisor itself)
// and the systemd protocol (sd_notify to a fake $NOTIFY_SOCKET), with the real `wsup` and
// fake-worker (V8-free) so each case is quick and deterministic.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fake_cluster.h"
#include "harness.h"
#include "tests/support/eventually.h"

using namespace wsup::e2e;
using wsup::testing::eventually;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kCommands = {"start",          "check",  "dev", "status",
                                            "restart-worker", "reload", "stop"};

// A datagram socket standing in for systemd's notify socket: what the supervisor sends with
// sd_notify, one message per datagram, in order.
class FakeNotifySocket {
 public:
  explicit FakeNotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("cannot bind " + path_ + ": " + std::strerror(errno));
  }
  ~FakeNotifySocket() { ::close(fd_); }
  const std::string& path() const { return path_; }

  // Every message received so far.
  const std::vector<std::string>& messages() {
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0) break;
      messages_.emplace_back(buf, static_cast<size_t>(n));
    }
    return messages_;
  }
  // Index of the first message at or after `from` containing `text`, or -1.
  int find(const std::string& text, size_t from = 0) {
    const auto& all = messages();
    for (size_t i = from; i < all.size(); ++i)
      if (all[i].find(text) != std::string::npos) return static_cast<int>(i);
    return -1;
  }
  std::string dump() {
    std::string out;
    for (const std::string& m : messages()) out += "[" + m + "] ";
    return out;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
};

}  // namespace

TEST(SupervisorCli, NoArgumentsIsAUsageErrorWithTheUsageOnStderr) {
  CommandResult r = run_command({WSUP_BINARY});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("usage:"), std::string::npos) << r.output;
}

TEST(SupervisorCli, EveryCommandHasItsOwnHelp) {
  for (const std::string& command : kCommands) {
    CommandResult r = run_command({WSUP_BINARY, command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.output;
    EXPECT_EQ(r.output.rfind("usage: wsup " + command, 0), 0u) << command << ": " << r.output;
    EXPECT_NE(r.output.find("Exit status"), std::string::npos) << r.output;
    CommandResult same = run_command({WSUP_BINARY, "help", command});
    EXPECT_EQ(same.exit_code, 0);
    EXPECT_EQ(same.output, r.output);
  }
  // `status --help` is help, never a config path, even where no supervisor runs.
  CommandResult r = run_command({WSUP_BINARY, "status", "--help", "--control", "/nonexistent"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("pid, version, uptime"), std::string::npos) << r.output;
}

TEST(SupervisorCli, UsageErrorsExit2AndNameTheCommandsHelp) {
  const std::vector<std::vector<std::string>> cases = {
      {"frobnicate"},
      {"help", "frobnicate"},
      {"start"},
      {"start", "--bogus", "cluster.yaml"},
      {"check", "a.yaml", "b.yaml"},
      {"dev", "--type", "classic", "w.js"},
      {"status", "--frobnicate", "--control", "/nonexistent"},
      {"reload", "--control"},
      {"restart-worker", "one", "--control", "/nonexistent"},
      {"stop", "a.yaml", "b.yaml"},
  };
  for (const auto& args : cases) {
    std::vector<std::string> argv = {WSUP_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = run_command(argv);
    EXPECT_EQ(r.exit_code, 2) << args.front() << " ...: " << r.output;
    EXPECT_NE(r.output.find("wsup: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("help"), std::string::npos) << r.output;
  }
  // A failure that is not a usage error stays 1: no supervisor at that socket.
  EXPECT_EQ(run_command({WSUP_BINARY, "status", "--control", "/nonexistent/wsup.sock"}).exit_code,
            1);
}

TEST(SupervisorCli, VersionIsTheProjectsVersion) {
  CommandResult r = run_command({WSUP_BINARY, "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, std::string("wsup ") + WSUP_PROJECT_VERSION + "\n");
}

TEST(SupervisorCli, StatusShowsTheSupervisorsPidVersionUptimeAndListenAddress) {
  uint16_t admin = free_port();
  Cluster c("workers: 1\nadmin:\n  http: 127.0.0.1:" + std::to_string(admin));
  ASSERT_TRUE(c.serving()) << c.supervisor->log();
  const std::string pid = std::to_string(c.supervisor->pid());
  const std::string listen = "127.0.0.1:" + std::to_string(c.port);

  CommandResult table = c.supervisor->control({"status"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_EQ(table.output.rfind(
                "supervisor pid " + pid + "  version " WSUP_PROJECT_VERSION "  uptime ", 0),
            0u)
      << table.output;
  EXPECT_NE(table.output.find("  listen " + listen + "  admin 127.0.0.1:" + std::to_string(admin)),
            std::string::npos)
      << table.output;

  CommandResult json = c.supervisor->control({"status", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(json.output.rfind("{\"supervisor\":{\"pid\":" + pid +
                                  ",\"version\":\"" WSUP_PROJECT_VERSION "\",\"uptime_s\":",
                              0),
            0u)
      << json.output;
  EXPECT_NE(json.output.find("\"listen\":[\"" + listen + "\"]"), std::string::npos) << json.output;
}

// The shipped unit's own command lines (packaging/wsup.service), with its paths pointed at the
// build tree and a temporary config: ExecStart passes no --control, and ExecReload and `wsup
// status CONFIG` still find the supervisor, through admin.control_socket alone.
TEST(Systemd, TheUnitsCommandsFindTheSupervisorThroughTheConfigAlone) {
  std::ifstream unit_file(WSUP_SOURCE_DIR "/packaging/wsup.service");
  std::map<std::string, std::vector<std::string>> exec;
  for (std::string line; std::getline(unit_file, line);) {
    size_t eq = line.find('=');
    if (!line.starts_with("Exec") || eq == std::string::npos) continue;
    std::vector<std::string> argv;
    std::istringstream words(line.substr(eq + 1));
    for (std::string w; words >> w;) {
      if (w == "/usr/bin/wsup") w = WSUP_BINARY;
      argv.push_back(w);
    }
    exec[line.substr(0, eq)] = argv;
  }
  ASSERT_EQ(exec.size(), 3u) << "ExecStartPre, ExecStart, ExecReload";
  for (const auto& [key, argv] : exec)
    EXPECT_EQ(std::find(argv.begin(), argv.end(), "--control"), argv.end()) << key;

  TempDir dir;
  uint16_t port = free_port();
  dir.write("hello.js", "addEventListener('fetch', e => e.respondWith(new Response('hi')));\n");
  std::string control = (dir.path() / "control.sock").string();
  std::string config = dir.write("cluster.yaml", "listen: 127.0.0.1:" + std::to_string(port) +
                                                     "\nworkers: 1\nscripts:\n  - name: hello\n"
                                                     "    path: hello.js\n    routes: [\"/*\"]\n"
                                                     "admin:\n  control_socket: " +
                                                     control + "\n")
                           .string();
  auto with_config = [&](std::vector<std::string> argv) {
    std::replace(argv.begin(), argv.end(), std::string("/etc/wsup/cluster.yaml"), config);
    return argv;
  };
  CommandResult check = run_command(with_config(exec["ExecStartPre"]), 60s);
  ASSERT_EQ(check.exit_code, 0) << check.output;
  std::vector<std::string> start = with_config(exec["ExecStart"]);
  Supervisor supervisor(start[0], {start.begin() + 1, start.end()}, control,
                        (dir.path() / "wsup.log").string());
  ASSERT_TRUE(supervisor.wait_serving(port, 60s)) << supervisor.log();
  EXPECT_EQ(http_get(port, "/").body, "hi");

  CommandResult status = run_command({WSUP_BINARY, "status", config});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("supervisor pid " + std::to_string(supervisor.pid())),
            std::string::npos)
      << status.output;
  CommandResult reload = run_command(with_config(exec["ExecReload"]), 60s);
  EXPECT_EQ(reload.exit_code, 0) << reload.output;
  // A refused reload fails ExecReload visibly: exit 1 with the reason.
  dir.write("hello.js", "addEventListener('fetch', e => {\n");
  reload = run_command(with_config(exec["ExecReload"]), 60s);
  EXPECT_EQ(reload.exit_code, 1) << reload.output;
  EXPECT_NE(reload.output.find("hello.js:"), std::string::npos) << reload.output;
  EXPECT_EQ(http_get(port, "/").body, "hi");
}

TEST(Systemd, NotifiesReadyReloadingStoppingAndFeedsTheWatchdog) {
  TempDir notify_dir;
  FakeNotifySocket notify((notify_dir.path() / "notify").string());
  Cluster c("workers: 2", "",
            {"NOTIFY_SOCKET=" + notify.path(), "WATCHDOG_USEC=200000"});  // WATCHDOG=1 each 0.1 s

  // READY=1 once every worker is ready and the listener is open: the port answers at once.
  ASSERT_TRUE(eventually([&] { return notify.find("READY=1") >= 0; }, 30s)) << notify.dump();
  EXPECT_EQ(http_get(c.port, "/").status, 200);
  const std::string& ready = notify.messages()[static_cast<size_t>(notify.find("READY=1"))];
  EXPECT_NE(ready.find("STATUS=2/2 workers ready"), std::string::npos) << ready;

  // The watchdog is fed from the main loop, again and again.
  EXPECT_TRUE(eventually([&] {
    int seen = 0;
    for (const std::string& m : notify.messages()) seen += m == "WATCHDOG=1" ? 1 : 0;
    return seen >= 3;
  })) << notify.dump();

  // A reload: RELOADING=1, then READY=1 once every worker runs the new config.
  CommandResult r = c.supervisor->control({"reload"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  int reloading = notify.find("RELOADING=1");
  ASSERT_GE(reloading, 0) << notify.dump();
  EXPECT_TRUE(eventually([&] { return notify.find("READY=1", reloading + 1) >= 0; }))
      << notify.dump();

  // A refused reload fails `wsup reload` (and so systemd's ExecReload) and ends with READY=1:
  // the old workers serve on.
  size_t before = notify.messages().size();
  std::ofstream(c.config, std::ios::app) << "# fake-check-fails\n";
  r = c.supervisor->control({"reload"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  reloading = notify.find("RELOADING=1", before);
  ASSERT_GE(reloading, 0) << notify.dump();
  EXPECT_TRUE(eventually([&] { return notify.find("READY=1", reloading + 1) >= 0; }))
      << notify.dump();
  EXPECT_EQ(http_get(c.port, "/").status, 200);

  c.supervisor->signal(SIGTERM);
  EXPECT_EQ(c.supervisor->wait_exit(20s), 0);
  EXPECT_GE(notify.find("STOPPING=1"), 0) << notify.dump();
}
