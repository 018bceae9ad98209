#include "supervisor/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <future>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include "config/load.h"
#include "shared/log.h"
#include "supervisor/admin_http.h"
#include "supervisor/control.h"
#include "supervisor/http_front.h"
#include "supervisor/status_report.h"
#include "supervisor/worker_binary.h"
#include "supervisor/worker_pool.h"

namespace wsup::supervisor {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kTick{20};

// Blocks the signals the loop handles, in this thread and every thread started after it.
class SignalFd {
 public:
  SignalFd() {
    sigset_t set;
    ::sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) ::sigaddset(&set, s);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    fd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd_ < 0) throw std::runtime_error("signalfd failed");
    ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the supervisor
  }
  ~SignalFd() { ::close(fd_); }
  int fd() const { return fd_; }
  std::optional<int> next() const {
    signalfd_siginfo info{};
    if (::read(fd_, &info, sizeof info) != sizeof info) return std::nullopt;
    return static_cast<int>(info.ssi_signo);
  }

 private:
  int fd_ = -1;
};

// Control commands handed from the control socket's threads to the main loop.
class CommandQueue {
 public:
  CommandQueue() : wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~CommandQueue() { ::close(wake_fd_); }
  int fd() const { return wake_fd_; }
  std::future<ControlReply> post(ControlCommand command) {
    std::promise<ControlReply> promise;
    auto future = promise.get_future();
    {
      std::lock_guard lock(mutex_);
      items_.push_back({command, std::move(promise)});
    }
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
    return future;
  }
  std::deque<std::pair<ControlCommand, std::promise<ControlReply>>> take() {
    uint64_t count;
    [[maybe_unused]] ssize_t n = ::read(wake_fd_, &count, sizeof count);
    std::lock_guard lock(mutex_);
    return std::exchange(items_, {});
  }

 private:
  int wake_fd_;
  std::mutex mutex_;
  std::deque<std::pair<ControlCommand, std::promise<ControlReply>>> items_;
};

std::string random_instance_id() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", rd());
  return buf;
}

PoolSettings pool_settings(const config::ClusterConfig& config, const std::string& worker_binary,
                           const std::string& instance_id) {
  PoolSettings s;
  s.worker_binary = worker_binary;
  s.config_path = config.file;
  s.instance_id = instance_id;
  s.workers =
      config.workers != 0 ? config.workers : std::max(1u, std::thread::hardware_concurrency());
  s.channel.slots = config.ring_slots;
  s.channel.slot_arena_bytes = config.slot_arena_bytes;
  s.channel.max_body_bytes = config.limits.max_body_bytes;
  s.drain_timeout = config.drain_timeout;
  return s;
}

void apply_logging(const config::ClusterConfig& config) {
  log::set_level(static_cast<log::Level>(static_cast<int>(config.logging.level)));
}

time_t mtime_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mtim.tv_sec * 1'000'000'000 + st.st_mtim.tv_nsec
                                        : 0;
}

}  // namespace

int run_supervisor(const StartOptions& options) {
  SignalFd signals;  // first: every thread created below inherits the blocked mask
  config::ClusterConfig config = config::load(options.config_path);
  config::require_secrets(config);  // workers inherit this environment and read them there
  apply_logging(config);
  log::set_destination(config.logging.destination);
  const std::string worker_binary = find_worker_binary(options.worker_binary);
  const std::string instance_id = random_instance_id();
  if (size_t removed = remove_stale_segments("wsup-"))
    log::info("removed stale shared-memory segments", {{"count", removed}});

  // Requests beyond the rings wait in supervisor memory, at most one per allowed connection.
  Dispatcher dispatcher({.overflow_limit = config.limits.max_connections});
  Metrics metrics;
  AccessLog access_log(config.logging.access_format, config.logging.destination);
  WorkerPool pool(pool_settings(config, worker_binary, instance_id), dispatcher, metrics);
  pool.start_all();

  // Start-up: wait until every worker is ready or failed (a bad script fails fast via backoff).
  auto wait_step = [&](std::chrono::milliseconds timeout) -> bool {  // false: asked to stop
    std::vector<pollfd> fds = {{signals.fd(), POLLIN, 0}};
    for (int fd : pool.pidfds()) fds.push_back({fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
    while (auto s = signals.next())
      if (*s != SIGHUP) return false;
    pool.tick(Clock::now());
    return true;
  };
  auto startup_deadline = Clock::now() + std::chrono::seconds(60);
  while (!pool.settled() && Clock::now() < startup_deadline)
    if (!wait_step(kTick)) return 0;
  if (pool.ready_count() == 0)
    throw std::runtime_error("no worker became ready; the workers exited like this:\n" +
                             pool.last_exit_reasons());

  HttpFront front(config, dispatcher, metrics, access_log);
  front.start();
  std::optional<AdminHttp> admin;
  if (config.admin.http) {
    admin.emplace(*config.admin.http,
                  AdminHttp::Sources{[&] {
                                       auto workers = pool.snapshot();
                                       return metrics.render(workers, dispatcher.overflow_depth());
                                     },
                                     [&] { return render_status_json(pool.snapshot()); },
                                     [&] { return pool.ready_count() > 0; }});
  }
  CommandQueue commands;
  const std::string control_path = !options.control_path.empty() ? options.control_path
                                   : !config.admin.control_socket.empty()
                                       ? config.admin.control_socket
                                       : default_control_path(config.file);
  ControlServer control(control_path, [&](const ControlCommand& c) -> ControlReply {
    if (c.kind == ControlCommand::Kind::status) return {true, render_status_table(pool.snapshot())};
    if (c.kind == ControlCommand::Kind::status_json)
      return {true, render_status_json(pool.snapshot())};
    return commands.post(c).get();
  });
  log::info("wsup started", {{"workers", pool.ready_count()},
                             {"port", front.ports().empty() ? 0 : front.ports().front()},
                             {"control", control_path},
                             {"pid", static_cast<int64_t>(::getpid())}});

  // --- the main loop
  bool stopping = false;
  Clock::time_point drain_deadline;
  std::thread front_stopper;  // closes listeners and waits for in-flight requests
  std::atomic<bool> front_stopped{false};
  std::vector<std::promise<ControlReply>> stop_replies;
  std::optional<std::future<std::pair<std::optional<config::ClusterConfig>, ControlReply>>>
      reload_check;
  std::vector<std::promise<ControlReply>> reload_replies;
  time_t watched_mtime = options.watch_file.empty() ? 0 : mtime_of(options.watch_file);
  auto next_watch = Clock::now();

  auto begin_reload = [&](std::optional<std::promise<ControlReply>> reply) {
    if (reply) reload_replies.push_back(std::move(*reply));
    if (reload_check) return;  // one reload at a time; this caller gets the same answer
    log::info("reload: checking config and scripts", {{"config", options.config_path}});
    reload_check = std::async(std::launch::async, [path = options.config_path, worker_binary] {
      std::pair<std::optional<config::ClusterConfig>, ControlReply> out;
      try {
        auto next = config::load(path);
        config::require_secrets(next);
        CheckResult check = run_worker_check(worker_binary, path);
        if (!check.ok) {
          out.second = {false, "reload refused, workers keep running:\n" + check.output};
        } else {
          out.first = std::move(next);
        }
      } catch (const std::exception& e) {
        out.second = {false,
                      std::string("reload refused, workers keep running:\n") + e.what() + "\n"};
      }
      return out;
    });
  };
  auto begin_stop = [&] {
    if (stopping) return;
    stopping = true;
    log::info("stopping: draining in-flight requests",
              {{"drain_timeout_ms", static_cast<int64_t>(config.drain_timeout.count())}});
    drain_deadline = Clock::now() + config.drain_timeout;
    dispatcher.close();
    front_stopper = std::thread([&] {
      front.stop();
      front_stopped.store(true, std::memory_order_release);  // pairs with the loop's acquire
    });
  };

  for (;;) {
    std::vector<pollfd> fds = {{signals.fd(), POLLIN, 0}, {commands.fd(), POLLIN, 0}};
    for (int fd : pool.pidfds()) fds.push_back({fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), static_cast<int>(kTick.count()));
    auto now = Clock::now();

    while (auto s = signals.next()) {
      if (*s == SIGHUP)
        begin_reload(std::nullopt);
      else
        begin_stop();
    }
    for (auto& [command, reply] : commands.take()) {
      switch (command.kind) {
        case ControlCommand::Kind::stop:
          stop_replies.push_back(std::move(reply));
          begin_stop();
          break;
        case ControlCommand::Kind::reload:
          if (stopping)
            reply.set_value({false, "the supervisor is stopping\n"});
          else
            begin_reload(std::move(reply));
          break;
        case ControlCommand::Kind::restart_worker: {
          auto shared = std::make_shared<std::promise<ControlReply>>(std::move(reply));
          if (stopping)
            shared->set_value({false, "the supervisor is stopping\n"});
          else
            pool.restart_worker(command.worker, [shared](ControlReply r) { shared->set_value(r); });
          break;
        }
        default:
          reply.set_value({false, "not handled by the main loop\n"});
      }
    }
    if (reload_check &&
        reload_check->wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      auto [next, refusal] = reload_check->get();
      reload_check.reset();
      auto replies =
          std::make_shared<std::vector<std::promise<ControlReply>>>(std::move(reload_replies));
      reload_replies.clear();
      if (!next || stopping) {
        if (!next) {
          log::error("reload refused", {{"why", refusal.body}});
          // wsup dev: show the compile error as the worker printed it, lines intact.
          if (!options.watch_file.empty()) std::fputs(refusal.body.c_str(), stderr);
        }
        for (auto& r : *replies)
          r.set_value(next ? ControlReply{false, "the supervisor is stopping\n"} : refusal);
      } else {
        auto table = std::make_shared<const RoutingTable>(*next);
        config::ClusterConfig applied = *next;
        pool.replace_all(pool_settings(applied, worker_binary, instance_id),
                         [&front, table, replies, applied, &config](ControlReply r) {
                           if (r.ok) {
                             front.set_routing(table);
                             apply_logging(applied);
                             config.drain_timeout = applied.drain_timeout;
                             log::info("reload done");
                           }
                           for (auto& p : *replies) p.set_value(r);
                         });
      }
    }
    if (!options.watch_file.empty() && now >= next_watch && !stopping) {
      next_watch = now + std::chrono::milliseconds(300);
      if (time_t m = mtime_of(options.watch_file); m != 0 && m != watched_mtime) {
        watched_mtime = m;
        log::info("script changed; restarting workers", {{"file", options.watch_file}});
        begin_reload(std::nullopt);
      }
    }

    pool.tick(now);

    if (stopping) {
      bool drained =
          dispatcher.total_pending() == 0 && front_stopped.load(std::memory_order_acquire);
      if (drained || now >= drain_deadline) {
        if (!drained)
          log::warn("drain timeout: failing what is left",
                    {{"pending", dispatcher.total_pending()}});
        dispatcher.abandon_all();
        pool.stop_all();
        auto exit_deadline = Clock::now() + std::chrono::seconds(6);
        while (!pool.all_exited() && Clock::now() < exit_deadline) {
          std::this_thread::sleep_for(kTick);
          pool.tick(Clock::now());
        }
        break;
      }
    }
  }
  front_stopper.join();
  for (auto& r : stop_replies) r.set_value({true, "stopped\n"});
  log::info("wsup stopped");
  return 0;
}

}  // namespace wsup::supervisor
