// wsup-worker's main (worker_main.h): V8 first, then --version, --check or serving: config,
// logging (`worker=N`), PR_SET_PDEATHSIG, channel, runtime, service.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <v8-initialization.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "config/load.h"
#include "shared/channel.h"
#include "shared/log.h"
#include "worker/limits/fatal_handlers.h"
#include "worker/loop_rescue.h"
#include "worker/runtime.h"
#include "worker/snapshot_subprocess.h"
#include "worker/startup_error.h"
#include "worker/v8_engine.h"
#include "worker/worker_main.h"
#include "worker/worker_service.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: wsup-worker --version\n"
               "       wsup-worker --check CONFIG [--list-files PATH]\n"
               "       wsup-worker --build-snapshot\n"
               "       wsup-worker --config CONFIG --worker-id N --segment NAME "
               "--request-fd A --response-fd B\n");
  return 2;
}

// This very binary (wsup-worker, or the test-only worker), to run as the snapshot builder.
std::string own_binary() {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string() : self.string();
}

// `list_path` (optional) gets every script file the check read, one path per line, whether the
// scripts compile or not: the files `wsup dev` watches.
int check(const std::string& config_path, const std::string& list_path) {
  wsup::config::ClusterConfig config = wsup::config::load(config_path);
  wsup::worker::RuntimeOptions options = wsup::worker::RuntimeOptions::from_config(config);
  options.snapshot_builder = own_binary();
  wsup::worker::ScriptCheck checked = wsup::worker::check_scripts(options);
  if (!list_path.empty()) {
    std::ofstream list(list_path, std::ios::trunc);
    for (const std::string& file : checked.files) list << file << '\n';
    if (!list.flush())
      throw wsup::worker::StartupError("cannot write the file list to " + list_path);
  }
  for (const std::string& error : checked.errors) std::fprintf(stderr, "%s\n", error.c_str());
  if (!checked.errors.empty()) return 1;
  for (const std::string& line : checked.starts) std::printf("%s\n", line.c_str());
  std::printf("%s: %zu script(s) compile\n", config_path.c_str(), config.scripts.size());
  return 0;
}

wsup::log::Level log_level(wsup::config::Logging::Level level) {
  switch (level) {
    case wsup::config::Logging::Level::debug:
      return wsup::log::Level::debug;
    case wsup::config::Logging::Level::info:
      return wsup::log::Level::info;
    case wsup::config::Logging::Level::warn:
      return wsup::log::Level::warn;
    case wsup::config::Logging::Level::error:
      return wsup::log::Level::error;
  }
  return wsup::log::Level::info;
}

// V8's fatal out-of-memory report. The JavaScript heap's: the thread is stranded if it may be
// (the isolate is lost, the worker lives on: loop_rescue.h). Otherwise the report goes into the
// segment header for the supervisor to show, and the process aborts. No allocation: the process
// may be out of memory.
void on_v8_fatal(const wsup::worker::limits::FatalReport& report, void* channel) {
  static char line[256];
  wsup::worker::limits::format_fatal_report(report, line, sizeof(line));
  if (report.kind == wsup::worker::limits::FatalKind::heap_out_of_memory)
    wsup::worker::LoopRescue::strand_current_thread(line);
  static_cast<wsup::WorkerChannel*>(channel)->record_fatal(line);
}

int serve(const std::map<std::string, std::string>& options,
          wsup::worker::ChannelSinks::Factory sink_factory) {
  // No worker outlives its supervisor (the supervisor sets this before exec too).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) return 1;
  const std::string worker_id = options.at("--worker-id");
  wsup::config::ClusterConfig config = wsup::config::load(options.at("--config"));
  // Logging first, while this is the only thread besides V8's platform worker.
  wsup::log::set_level(log_level(config.logging.level));
  wsup::log::set_format(config.logging.format == wsup::config::Logging::Format::json
                            ? wsup::log::Format::json
                            : wsup::log::Format::logfmt);
  wsup::log::set_destination(config.logging.destination);
  wsup::log::set_process_field("worker", std::stoll(worker_id));
  wsup::WorkerChannel channel =
      wsup::WorkerChannel::open(options.at("--segment"), std::stoi(options.at("--request-fd")),
                                std::stoi(options.at("--response-fd")));
  channel.set_pid(static_cast<int32_t>(::getpid()));

  wsup::worker::RuntimeOptions runtime_options = wsup::worker::RuntimeOptions::from_config(config);
  runtime_options.snapshot_builder = own_binary();
  runtime_options.on_fatal = on_v8_fatal;
  runtime_options.on_fatal_data = &channel;
  // On the CPU watchdog's thread; the loop thread is stuck in V8 and nothing else can stop it.
  runtime_options.on_cpu_stuck = [&channel](const std::string& reason) {
    channel.record_fatal(reason);
    wsup::log::error("ending the worker: a request's JavaScript is stuck past its hard CPU limit",
                     {{"reason", reason}});
    std::_Exit(wsup::kWorkerExitHardLimit);
  };
  boost::asio::io_context loop;
  std::unique_ptr<wsup::worker::Runtime> runtime;
  try {
    runtime = std::make_unique<wsup::worker::Runtime>(loop, std::move(runtime_options));
  } catch (const std::exception& error) {
    channel.record_fatal(error.what());
    throw;
  }
  wsup::worker::WorkerService service(loop, *runtime, channel, std::chrono::milliseconds(100),
                                      std::move(sink_factory));
  // A worker that lost isolates serves on with their memory still mapped; once they hold about as
  // much as its live ones, the supervisor replaces it with a fresh process and retires it.
  runtime->set_on_replacement_due(
      [&channel](const std::string& reason) { channel.request_replacement(reason); });
  wsup::worker::LoopRescue rescue(
      loop,
      [&](const wsup::worker::IsolateLoss& loss) {  // on the thread that runs the loop now
        runtime->take_over_loop_thread();
        runtime->isolate_lost(loss.isolate, loss.reason);
        service.resume_after_strand();
      },
      [&](const wsup::worker::IsolateLoss& loss) {  // the spare maker was stranded
        boost::asio::post(loop, [&runtime, isolate = loss.isolate, why = std::string(loss.reason)] {
          runtime->isolate_lost(isolate, why);
        });
      });
  wsup::worker::LoopRescue::install_signal_handlers();
  service.start();  // reports ready: every script compiled
  wsup::log::info("worker ready", {{"pid", static_cast<int64_t>(::getpid())},
                                   {"isolates", config.isolates_per_worker},
                                   {"scripts", config.scripts.size()}});
  return rescue.run([&runtime] {
    wsup::log::info("worker stopped", {{"served", runtime->stats().served}});
    // A stranded thread holds a lost isolate locked (and, the maker's, an isolate claimed):
    // tearing V8 down would wait for it forever.
    if (wsup::worker::LoopRescue::strands() > 0) std::_Exit(0);
    return 0;
  });
}

}  // namespace

int wsup::worker::worker_main(int argc, char** argv, ChannelSinks::Factory sink_factory) {
  // V8 first, before any other thread exists.
  wsup::worker::V8Engine engine(argv[0]);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 1 && args[0] == "--version") {
      std::printf("wsup-worker 0.1.0 (V8 %s)\n", v8::V8::GetVersion());
      return 0;
    }
    if (args.size() == 2 && args[0] == "--check") return check(args[1], "");
    if (args.size() == 4 && args[0] == "--check" && args[2] == "--list-files")
      return check(args[1], args[3]);
    if (args.size() == 1 && args[0] == "--build-snapshot") {
      return wsup::worker::run_snapshot_builder_child();
    }
    std::map<std::string, std::string> options;
    for (size_t i = 0; i + 1 < args.size(); i += 2) options[args[i]] = args[i + 1];
    const bool complete = args.size() % 2 == 0 && options.size() == 5 &&
                          options.count("--config") && options.count("--worker-id") &&
                          options.count("--segment") && options.count("--request-fd") &&
                          options.count("--response-fd");
    if (complete) return serve(options, std::move(sink_factory));
  } catch (const wsup::config::ConfigError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  } catch (const wsup::worker::StartupError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "wsup-worker: %s\n", error.what());
    return 1;
  }
  return usage();
}
