#include "supervisor/cli.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>

#include "config/load.h"
#include "supervisor/cli_args.h"
#include "supervisor/cli_help.h"
#include "supervisor/control.h"
#include "supervisor/status_report.h"
#include "supervisor/supervisor.h"
#include "supervisor/version.h"
#include "supervisor/worker_binary.h"

namespace wsup::supervisor {

int cmd_start(const Args& raw) {
  Args args = raw;
  StartOptions options;
  options.control_path = take_option(args, "--control").value_or("");
  options.worker_binary = take_option(args, "--worker-binary").value_or("");
  no_unknown_options("start", args);
  if (args.empty()) usage_error("start", "wsup start needs a config file");
  options.config_path = args.front();
  args.erase(args.begin());
  no_extra_arguments("start", args);
  return run_supervisor(options);
}

int cmd_check(const Args& raw) {
  Args args = raw;
  std::string worker_binary = take_option(args, "--worker-binary").value_or("");
  no_unknown_options("check", args);
  if (args.size() != 1) usage_error("check", "wsup check needs exactly one config file");
  config::ClusterConfig config = config::load(args.front());  // ConfigError -> main prints it
  CheckResult check = run_worker_check(find_worker_binary(worker_binary), args.front());
  if (!check.ok) {
    std::fputs(check.output.c_str(), stderr);
    return 1;
  }
  // The worker's report: how each script's requests get their context (isolation, snapshot).
  std::fputs(check.output.c_str(), stdout);
  // Each script's cron triggers, as the supervisor will run them (a bad one is a ConfigError
  // above).
  for (const ScriptMode& script : script_modes(config))
    if (!script.crons.empty())
      std::printf("%s: crons %s (UTC)\n", script.name.c_str(), render_crons(script).c_str());
  // What the config (its wrangler files) says that wsup ignores: valid, but worth a look.
  for (const std::string& notice : config.notices) std::printf("%s\n", notice.c_str());
  std::printf("%s: ok (%zu script%s)\n", args.front().c_str(), config.scripts.size(),
              config.scripts.size() == 1 ? "" : "s");
  return 0;
}

int cmd_control(const std::string& name, const Args& raw) {
  Args args = raw;
  std::optional<std::string> control = take_option(args, "--control");
  std::optional<std::string> config_path = take_option(args, "--config");
  ControlCommand command;
  if (name == "status") {
    command.kind = take_flag(args, "--json") ? ControlCommand::Kind::status_json
                                             : ControlCommand::Kind::status;
  } else if (name == "restart-worker") {
    command.kind = ControlCommand::Kind::restart_worker;
    no_unknown_options(name, args);
    if (args.empty()) usage_error(name, "wsup restart-worker needs a worker number");
    char* end = nullptr;
    long n = std::strtol(args.front().c_str(), &end, 10);
    if (args.front().empty() || *end != '\0' || n < 0)
      usage_error(name, "'" + args.front() + "' is not a worker number");
    command.worker = static_cast<int>(n);
    args.erase(args.begin());
  } else if (name == "trigger") {
    command.kind = ControlCommand::Kind::trigger;
    command.cron = take_option(args, "--cron").value_or("");
    no_unknown_options(name, args);
    if (args.empty()) usage_error(name, "wsup trigger needs a script name");
    command.script = args.front();
    args.erase(args.begin());
    if (command.script.find_first_of(" \n\r") != std::string::npos ||
        command.cron.find_first_of("\n\r") != std::string::npos)
      usage_error(name, "a script name has no blanks and a cron expression is one line");
  } else if (name == "reload") {
    command.kind = ControlCommand::Kind::reload;
  } else {
    command.kind = ControlCommand::Kind::stop;
  }
  no_unknown_options(name, args);
  // A remaining positional argument names the config the supervisor was started with.
  if (!config_path && !args.empty()) {
    config_path = args.front();
    args.erase(args.begin());
  }
  no_extra_arguments(name, args);
  if (!control) {
    if (const char* env = std::getenv("WSUP_CONTROL"); env && *env) control = env;
  }
  if (!control && config_path) {
    config::ClusterConfig config = config::load(*config_path);
    control = config.admin.control_socket.empty() ? default_control_path(config.file)
                                                  : config.admin.control_socket;
  }
  if (!control)
    usage_error(name,
                "which supervisor? pass --control PATH or the config file it was started with");
  // restart-worker, reload and trigger answer when done: allow for a slow worker start and a
  // drain, or a run's wall time.
  ControlReply reply = send_control_command(*control, command, 300);
  std::fputs(reply.body.c_str(), reply.ok ? stdout : stderr);
  return reply.ok ? 0 : 1;
}

int cmd_version() {
  std::printf("wsup %s\n", kVersion);
  return 0;
}

int cmd_help(const Args& args) {
  if (args.empty()) {
    std::fputs(overall_help().c_str(), stdout);
    return 0;
  }
  std::optional<std::string> help = command_help(args.front());
  if (!help || args.size() > 1)
    throw std::invalid_argument("wsup help takes one command name, not '" + args.back() +
                                "' (see 'wsup help')");
  std::fputs(help->c_str(), stdout);
  return 0;
}

}  // namespace wsup::supervisor
