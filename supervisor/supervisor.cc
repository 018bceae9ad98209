#include "supervisor/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "config/load.h"
#include "shared/log.h"
#include "supervisor/admin_http.h"
#include "supervisor/control.h"
#include "supervisor/cron_scheduler.h"
#include "supervisor/file_watch.h"
#include "supervisor/http_front.h"
#include "supervisor/loop_events.h"
#include "supervisor/reload_check.h"
#include "supervisor/scheduled_runs.h"
#include "supervisor/status_report.h"
#include "supervisor/systemd_notify.h"
#include "supervisor/version.h"
#include "supervisor/worker_binary.h"
#include "supervisor/worker_pool.h"

namespace wsup::supervisor {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kTick{20};            // longest sleep of the loop
constexpr std::chrono::seconds kStartupTimeout{60};       // all workers ready or failed
constexpr std::chrono::milliseconds kWatchInterval{300};  // wsup dev's mtime polling
constexpr std::chrono::seconds kWorkerExitTimeout{6};     // after stop_all: grace + margin

std::string random_instance_id() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", rd());
  return buf;
}

// How long a ring consumer (worker, response reader) spins before it sleeps on its eventfd.
// Spinning saves a wake-up only when a core is free to spin on: on a box with 2 cores or fewer the
// spinner takes the core the worker or HTTP thread needs (measured in docs/PERFORMANCE.md, "Where
// the time goes"). WSUP_SPIN_US overrides it, for such measurements.
std::chrono::microseconds channel_spin() {
  if (const char* text = std::getenv("WSUP_SPIN_US"); text != nullptr && *text != '\0')
    return std::chrono::microseconds(std::clamp(std::atoll(text), 0LL, 10'000LL));
  return std::chrono::microseconds(std::thread::hardware_concurrency() <= 2 ? 0 : 20);
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
  s.channel.spin = channel_spin();
  s.drain_timeout = config.drain_timeout;
  s.unresponsive_after = config.unresponsive_after();
  s.stuck_timeout = config.stuck_worker_timeout_or_auto();
  return s;
}

// "ok" while every ready worker's loop turns; the unresponsive ones listed otherwise, and 503
// once none that is ready responds.
AdminHttp::Sources::Health health_answer(const WorkerPool::Health& health) {
  AdminHttp::Sources::Health answer{health.responsive > 0, ""};
  if (health.responsive == 0 && health.unresponsive.empty())
    answer.text = "no worker ready\n";
  else if (health.unresponsive.empty())
    answer.text = "ok\n";
  else
    answer.text = health.responsive > 0 ? "degraded\n" : "no worker responds\n";
  for (const std::string& line : health.unresponsive) answer.text += line + " (unresponsive)\n";
  return answer;
}

void apply_log_level(const config::ClusterConfig& config) {
  log::set_level(static_cast<log::Level>(static_cast<int>(config.logging.level)));
}

// What the config says that wsup ignores (ClusterConfig::notices): one warning line each.
void log_notices(const config::ClusterConfig& config) {
  for (const std::string& notice : config.notices) log::warn(notice);
}

class Supervisor {
 public:
  Supervisor(const StartOptions& options, SignalFd& signals, config::ClusterConfig config)
      : options_(options),
        signals_(signals),
        config_(std::move(config)),
        worker_binary_(find_worker_binary(options.worker_binary)),
        instance_id_(random_instance_id()),
        // Requests beyond the rings wait in supervisor memory, one place per allowed connection.
        dispatcher_({.overflow_limit = config_.limits.max_connections}),
        scheduled_runs_(dispatcher_, metrics_, config_.limits.wall_ms),
        access_log_(config_.logging.access_format),
        pool_(pool_settings(config_, worker_binary_, instance_id_), dispatcher_, metrics_),
        front_(config_, dispatcher_, metrics_, access_log_) {}

  // Workers first, listeners once at least one is ready. False: a signal asked to stop.
  bool start();
  void run();

 private:
  void wait_for_events(bool with_commands);
  void on_signals();
  void reopen_logs();
  void on_commands();
  // Hands every cron trigger due now to ScheduledRuns (main loop).
  void fire_due_crons();
  // `wsup trigger`: one run now, answered with its outcome (control thread).
  ControlReply trigger(const ControlCommand& command);
  void begin_reload(std::optional<std::promise<ControlReply>> reply);
  void finish_reload_check();
  void watch_script(Clock::time_point now);
  bool dev_mode() const { return !options_.watch_files.empty(); }
  // wsup dev: watch options_.watch_files and `script_files`; a file already watched keeps the
  // modification time it had, so a change made while a check ran is still seen.
  void set_watched(const std::vector<std::string>& script_files);
  void begin_stop();
  bool drain_done(Clock::time_point now);  // true once everything is stopped
  SystemdNotifier::Counts notify_counts() const;
  SupervisorInfo supervisor_info() const;
  void notify_tick() {
    systemd_.tick(Clock::now(), [this] { return notify_counts(); });
  }
  // The scripts' modes for `wsup status` (control thread), as the running config says.
  std::vector<ScriptMode> script_modes_now() const {
    std::lock_guard lock(script_modes_mutex_);
    return script_modes_;
  }
  // What `wsup status` shows of the scripts, with each cron's next tick by the cron clock
  // (immutable once made, so the control and admin threads may read it).
  std::vector<ScriptMode> status_scripts() const {
    std::vector<ScriptMode> scripts = script_modes_now();
    set_next_cron_ticks(scripts, cron_clock_.now());
    return scripts;
  }
  std::string status_json() const {
    return render_status_json(pool_.snapshot(), status_scripts(), supervisor_info());
  }
  void set_script_modes(const config::ClusterConfig& config) {
    std::lock_guard lock(script_modes_mutex_);
    script_modes_ = script_modes(config);
  }

  const StartOptions options_;
  SignalFd& signals_;
  config::ClusterConfig config_;
  const std::string worker_binary_;
  const std::string instance_id_;
  Dispatcher dispatcher_;
  Metrics metrics_;
  ScheduledRuns scheduled_runs_;
  CronClock cron_clock_;  // WSUP_TEST_CRON_SPEEDUP, read once
  CronScheduler cron_;    // main loop only (start, run, the reload callback)
  AccessLog access_log_;
  WorkerPool pool_;
  HttpFront front_;
  std::optional<AdminHttp> admin_;
  CommandQueue commands_;
  std::optional<ControlServer> control_;
  SystemdNotifier systemd_;
  bool reload_ended_ = false;  // set by replace_all's callback, on the main thread
  const Clock::time_point started_at_ = Clock::now();

  bool stopping_ = false;
  Clock::time_point drain_deadline_;
  std::thread front_stopper_;  // closes the listeners, waits for in-flight requests
  std::atomic<bool> front_stopped_{false};
  std::vector<std::promise<ControlReply>> stop_replies_;
  std::optional<std::future<ReloadVerdict>> reload_check_;
  std::vector<std::promise<ControlReply>> reload_replies_;
  FileWatch watched_;
  std::vector<std::string> script_files_;  // the latest check's list, kept if one has none
  Clock::time_point next_watch_;
  // Written by the main loop (start, reload), read by the control thread.
  mutable std::mutex script_modes_mutex_;
  std::vector<ScriptMode> script_modes_;
};

void Supervisor::wait_for_events(bool with_commands) {
  std::vector<pollfd> fds = {{signals_.fd(), POLLIN, 0}};
  if (with_commands) fds.push_back({commands_.fd(), POLLIN, 0});
  for (int fd : pool_.pidfds()) fds.push_back({fd, POLLIN, 0});
  ::poll(fds.data(), fds.size(), static_cast<int>(kTick.count()));
  notify_tick();  // every loop (start, run, drain) waits here: the watchdog is fed from it
}

SupervisorInfo Supervisor::supervisor_info() const {
  // Read by the control and admin threads: pid, version, start time, config_.listen and the
  // front's ports never change after start() (a reload keeps the listeners).
  SupervisorInfo info;
  info.pid = static_cast<int>(::getpid());
  info.version = kVersion;
  info.uptime_seconds = std::chrono::duration<double>(Clock::now() - started_at_).count();
  auto address = [](const std::string& host, uint16_t port) {
    bool v6 = host.find(':') != std::string::npos;  // [::1]:8080, as URLs write it
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  };
  std::vector<uint16_t> ports = front_.ports();
  for (size_t i = 0; i < ports.size() && i < config_.listen.size(); ++i)
    info.listen.push_back(address(config_.listen[i].host, ports[i]));
  if (config_.admin.http) info.admin = address(config_.admin.http->host, config_.admin.http->port);
  return info;
}

SystemdNotifier::Counts Supervisor::notify_counts() const {
  SystemdNotifier::Counts counts;
  for (const WorkerSnapshot& w : pool_.snapshot()) {
    ++counts.workers;
    counts.workers_ready += w.state == "ready" ? 1 : 0;
    counts.served += w.requests_served;
  }
  return counts;
}

bool Supervisor::start() {
  if (config_.bench_no_js)
    log::warn("bench_no_js is on: BENCHMARK ONLY, workers answer a fixed 200 and run no script");
  if (size_t removed = remove_stale_segments("wsup-"))
    log::info("removed stale shared-memory segments", {{"count", removed}});
  pool_.start_all();
  // Every worker ready or failed; a script that cannot start fails fast through the backoff.
  auto deadline = Clock::now() + kStartupTimeout;
  while (!pool_.settled() && Clock::now() < deadline) {
    wait_for_events(false);
    while (auto s = signals_.next()) {
      if (*s == SIGUSR1) reopen_logs();
      if (*s != SIGHUP && *s != SIGUSR1) return false;
    }
    pool_.tick(Clock::now());
  }
  if (pool_.ready_count() == 0)
    throw std::runtime_error("no worker became ready; the workers exited like this:\n" +
                             pool_.last_exit_reasons());

  front_.start();
  set_script_modes(config_);  // before the admin and control threads answer status
  if (config_.admin.http) {
    admin_.emplace(*config_.admin.http,
                   AdminHttp::Sources{[this] {
                                        auto workers = pool_.snapshot();
                                        return metrics_.render(workers,
                                                               dispatcher_.overflow_depth(),
                                                               SupervisorFigures::now());
                                      },
                                      [this] { return status_json(); },
                                      [this] { return health_answer(pool_.health()); }});
  }
  const std::string control_path = !options_.control_path.empty() ? options_.control_path
                                   : !config_.admin.control_socket.empty()
                                       ? config_.admin.control_socket
                                       : default_control_path(config_.file);
  // Status is answered on the control thread; everything that changes the cluster goes through
  // the main loop.
  control_.emplace(control_path, [this](const ControlCommand& c) -> ControlReply {
    if (c.kind == ControlCommand::Kind::status)
      return {true, render_status_table(pool_.snapshot(), status_scripts(), supervisor_info())};
    if (c.kind == ControlCommand::Kind::status_json) return {true, status_json()};
    if (c.kind == ControlCommand::Kind::trigger) return trigger(c);
    return commands_.post(c).get();
  });
  if (dev_mode()) set_watched({});
  if (cron_clock_.speedup() != 1)
    log::warn(
        "WSUP_TEST_CRON_SPEEDUP is set: FOR TESTS ONLY, cron triggers follow a clock that "
        "runs faster than real time",
        {{"speedup", cron_clock_.speedup()}});
  cron_.set_config(config_, cron_clock_.now());
  if (cron_.size() > 0) log::info("cron triggers armed", {{"triggers", cron_.size()}});
  systemd_.ready(notify_counts());
  log::info("wsup started", {{"workers", pool_.ready_count()},
                             {"port", front_.ports().empty() ? 0 : front_.ports().front()},
                             {"control", control_path},
                             {"pid", static_cast<int64_t>(::getpid())}});
  return true;
}

void Supervisor::run() {
  for (;;) {
    wait_for_events(true);
    auto now = Clock::now();
    on_signals();
    on_commands();
    fire_due_crons();
    finish_reload_check();
    watch_script(now);
    pool_.tick(now);
    if (std::exchange(reload_ended_, false)) systemd_.ready(notify_counts());
    if (stopping_ && drain_done(now)) break;
  }
  front_stopper_.join();
  for (auto& r : stop_replies_) r.set_value({true, "stopped\n"});
  log::info("wsup stopped");
}

void Supervisor::on_signals() {
  while (auto s = signals_.next()) {
    if (*s == SIGHUP)
      begin_reload(std::nullopt);
    else if (*s == SIGUSR1)
      reopen_logs();
    else
      begin_stop();
  }
}

// SIGUSR1 (logrotate's postrotate): the supervisor's files here, each worker's in its own loop.
void Supervisor::reopen_logs() {
  const bool ok = log::reopen();
  pool_.signal_all(SIGUSR1);
  if (ok) log::info("log files reopened");
}

void Supervisor::on_commands() {
  for (auto& [command, reply] : commands_.take()) {
    if (command.kind == ControlCommand::Kind::stop) {
      stop_replies_.push_back(std::move(reply));
      begin_stop();
    } else if (stopping_) {
      reply.set_value({false, "the supervisor is stopping\n"});
    } else if (command.kind == ControlCommand::Kind::reload) {
      begin_reload(std::move(reply));
    } else if (command.kind == ControlCommand::Kind::restart_worker) {
      auto shared = std::make_shared<std::promise<ControlReply>>(std::move(reply));
      pool_.restart_worker(command.worker, [shared](ControlReply r) { shared->set_value(r); });
    } else {
      reply.set_value({false, "not a main-loop command\n"});
    }
  }
}

void Supervisor::fire_due_crons() {
  if (stopping_) return;
  for (const CronTick& tick : cron_.take_due(cron_clock_.now())) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(tick.time.time_since_epoch());
    scheduled_runs_.fire(tick.script, tick.cron, ms.count(), nullptr);
  }
}

ControlReply Supervisor::trigger(const ControlCommand& command) {
  std::vector<ScriptMode> scripts = script_modes_now();
  if (std::none_of(scripts.begin(), scripts.end(),
                   [&](const ScriptMode& s) { return s.name == command.script; }))
    return {false, "no script named '" + command.script + "' in the running config\n"};
  ScheduledRunResult r = scheduled_runs_.run_and_wait(command.script, command.cron);
  return {r.ok(), r.summary(command.script) + "\n"};
}

void Supervisor::begin_reload(std::optional<std::promise<ControlReply>> reply) {
  if (reply) reload_replies_.push_back(std::move(*reply));
  if (reload_check_ || stopping_) return;  // one at a time: later callers share its answer
  log::info("reload: checking config and scripts", {{"config", options_.config_path}});
  systemd_.reloading();
  reload_check_ = start_reload_check(options_.config_path, worker_binary_, dev_mode());
}

void Supervisor::finish_reload_check() {
  if (!reload_check_ ||
      reload_check_->wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    return;
  ReloadVerdict verdict = reload_check_->get();
  reload_check_.reset();
  auto replies =
      std::make_shared<std::vector<std::promise<ControlReply>>>(std::move(reload_replies_));
  reload_replies_.clear();
  if (dev_mode()) set_watched(verdict.files);
  if (!verdict.config) {
    log::error("reload refused", {{"why", verdict.refusal.body}});
    // wsup dev: show the compile error as the worker printed it, lines intact, and wait for the
    // next save with the old workers serving.
    if (dev_mode()) {
      std::fputs(verdict.refusal.body.c_str(), stderr);
      std::fputs("wsup dev: still serving the previous version; waiting for the next change\n",
                 stderr);
    }
    systemd_.ready(notify_counts());  // still serving the old config
    for (auto& r : *replies) r.set_value(verdict.refusal);
    return;
  }
  if (stopping_) {
    for (auto& r : *replies) r.set_value({false, "the supervisor is stopping\n"});
    return;
  }
  auto same_address = [](const config::ListenAddress& a, const config::ListenAddress& b) {
    return a.host == b.host && a.port == b.port;
  };
  if (!std::equal(config_.listen.begin(), config_.listen.end(), verdict.config->listen.begin(),
                  verdict.config->listen.end(), same_address))
    log::warn("reload: new listen addresses take effect at the next start");
  if (verdict.config->limits.max_body_bytes != config_.limits.max_body_bytes ||
      verdict.config->limits.max_response_bytes != config_.limits.max_response_bytes ||
      verdict.config->http_threads != config_.http_threads)
    log::warn(
        "reload: max_body_bytes, max_response_bytes and http_threads take effect at the next "
        "start");
  const config::Logging& now_logging = config_.logging;
  const config::Logging& next_logging = verdict.config->logging;
  if (next_logging.format != now_logging.format ||
      next_logging.destination != now_logging.destination ||
      next_logging.access_file != now_logging.access_file ||
      next_logging.access_format != now_logging.access_format)
    log::warn(
        "reload: logging format, destination, access_log and access_file take effect at "
        "the next start");
  log_notices(*verdict.config);
  // Routes, limits and log level switch once every worker runs the new config.
  auto next = std::make_shared<const config::ClusterConfig>(std::move(*verdict.config));
  pool_.replace_all(pool_settings(*next, worker_binary_, instance_id_),
                    [this, next, replies](ControlReply r) {
                      if (r.ok) {
                        front_.set_routing(std::make_shared<const RoutingTable>(*next));
                        set_script_modes(*next);
                        cron_.set_config(*next, cron_clock_.now());
                        scheduled_runs_.set_wall_ms(next->limits.wall_ms);
                        apply_log_level(*next);
                        config_.drain_timeout = next->drain_timeout;
                        log::info("reload done");
                      }
                      // The pool calls this under its lock: READY=1 goes out after its tick.
                      reload_ended_ = true;
                      for (auto& p : *replies) p.set_value(r);
                    });
}

void Supervisor::set_watched(const std::vector<std::string>& script_files) {
  if (!script_files.empty()) script_files_ = script_files;
  std::vector<std::string> files = options_.watch_files;
  files.insert(files.end(), script_files_.begin(), script_files_.end());
  watched_.set(files);
}

void Supervisor::watch_script(Clock::time_point now) {
  // While a check runs, a change stays unseen until it ends: the check may have read the file
  // before the change, so the change starts a check of its own.
  if (!dev_mode() || stopping_ || reload_check_ || now < next_watch_) return;
  next_watch_ = now + kWatchInterval;
  std::vector<std::string> changed = watched_.changed();
  if (changed.empty()) return;
  log::info("file changed; reloading", {{"file", changed.front()}});
  if (options_.before_reload) options_.before_reload();
  begin_reload(std::nullopt);
}

void Supervisor::begin_stop() {
  if (stopping_) return;
  stopping_ = true;
  systemd_.stopping();
  log::info("stopping: draining in-flight requests",
            {{"drain_timeout_ms", static_cast<int64_t>(config_.drain_timeout.count())}});
  drain_deadline_ = Clock::now() + config_.drain_timeout;
  dispatcher_.close();
  pool_.begin_drain();
  front_stopper_ = std::thread([this] {
    front_.stop();
    front_stopped_.store(true, std::memory_order_release);  // pairs with drain_done's acquire
  });
}

bool Supervisor::drain_done(Clock::time_point now) {
  bool drained = dispatcher_.total_pending() == 0 && front_stopped_.load(std::memory_order_acquire);
  if (!drained && now < drain_deadline_) return false;
  if (!drained)
    log::warn("drain timeout: failing what is left", {{"pending", dispatcher_.total_pending()}});
  dispatcher_.abandon_all();
  pool_.stop_all();
  auto deadline = Clock::now() + kWorkerExitTimeout;
  while (!pool_.all_exited() && Clock::now() < deadline) {
    wait_for_events(false);
    pool_.tick(Clock::now());
  }
  return true;
}

}  // namespace

int run_supervisor(const StartOptions& options) {
  SignalFd signals;  // first: every thread created below inherits the blocked signals
  config::ClusterConfig config = config::load(options.config_path);
  log_notices(config);
  config::require_secrets(config);  // workers inherit this environment and read them there
  apply_log_level(config);
  log::set_format(static_cast<log::Format>(static_cast<int>(config.logging.format)));
  log::set_destination(config.logging.destination);
  log::set_access_destination(config.logging.access_file);
  Supervisor supervisor(options, signals, std::move(config));
  if (!supervisor.start()) return 0;
  supervisor.run();
  return 0;
}

}  // namespace wsup::supervisor
