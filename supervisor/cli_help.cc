#include "supervisor/cli_help.h"

#include <array>
#include <utility>

namespace wsup::supervisor {
namespace {

// How status, restart-worker, reload, stop and trigger find the supervisor (cli.cc,
// cmd_control).
constexpr std::string_view kFindSupervisor =
    "The supervisor is found by, in order: --control PATH, $WSUP_CONTROL, or the config it was\n"
    "started with (--config CONFIG, or CONFIG as the last argument): its admin.control_socket,\n"
    "else the default path derived from the config file's absolute path. The packaged unit\n"
    "starts /etc/wsup/cluster.yaml, whose admin.control_socket is /run/wsup/control.sock.\n";

constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kCommands = {{
    {"start",
     "usage: wsup start CONFIG [--control PATH] [--worker-binary PATH]\n"
     "\n"
     "Runs the cluster CONFIG describes, in the foreground, until SIGTERM/SIGINT or `wsup stop`\n"
     "(SIGHUP or `wsup reload` reloads it). Under systemd (Type=notify) it reports READY=1 once\n"
     "every worker is ready, and feeds WatchdogSec.\n"
     "\n"
     "  --control PATH        the control socket (default: admin.control_socket, else a path\n"
     "                        derived from CONFIG's absolute path)\n"
     "  --worker-binary PATH  wsup-worker to run (default: beside wsup, ../lib/wsup/, or\n"
     "                        ../worker/ in a build tree)\n"
     "Exit status: 0 stopped, 1 the config or start-up failed, 2 usage error.\n"},
    {"check",
     "usage: wsup check CONFIG [--worker-binary PATH]\n"
     "\n"
     "Validates CONFIG and compiles its scripts without starting anything; prints each script's\n"
     "isolation and snapshot, and its cron triggers. Errors are printed as\n"
     "file:line:column: key: message.\n"
     "Exit status: 0 valid, 1 invalid, 2 usage error.\n"},
    {"dev",
     "usage: wsup dev [SCRIPT | WRANGLER_FILE | FOLDER] [--var KEY=VALUE]... [--port 8787]\n"
     "                [--workers 1] [--type module|service-worker] [--worker-binary PATH]\n"
     "\n"
     "Serves one script, or the Workers project a wrangler.json/.jsonc/.toml describes (the\n"
     "folder's, the current folder's by default), on http://127.0.0.1:PORT/ with logs on the\n"
     "terminal. Reads the wrangler file's name, main, vars, compatibility settings and\n"
     "triggers.crons, and .dev.vars beside it; lists every other key it ignores. --var adds a\n"
     "string binding over both. Reloads whenever a file of the script's module graph, the\n"
     "wrangler file or .dev.vars changes; a script that does not compile is reported with\n"
     "file:line:column and waited on until the next save. fetch() may reach loopback addresses.\n"
     "Exit status: 0 stopped, 1 start-up failed, 2 usage error.\n"},
    {"status",
     "usage: wsup status [CONFIG] [--json] [--control PATH | --config CONFIG]\n"
     "\n"
     "Prints the supervisor (pid, version, uptime, listen and admin addresses), one row per\n"
     "worker, one per script, and one per script with crons (each with its next tick, UTC);\n"
     "--json prints the same as JSON (as the admin /status does).\n"
     "Exit status: 0 answered, 1 no supervisor answered, 2 usage error.\n"},
    {"restart-worker",
     "usage: wsup restart-worker N [CONFIG] [--control PATH | --config CONFIG]\n"
     "\n"
     "Starts a new process for worker N beside the old one, routes to it once ready, then\n"
     "drains the old one. Returns when the new process serves.\n"
     "Exit status: 0 done, 1 failed or no supervisor answered, 2 usage error.\n"},
    {"reload",
     "usage: wsup reload [CONFIG] [--control PATH | --config CONFIG]\n"
     "\n"
     "Re-reads the config and scripts the supervisor was started with, checks them, and\n"
     "replaces the workers one by one. A refused config changes nothing and is reported here.\n"
     "Exit status: 0 reloaded, 1 refused or no supervisor answered, 2 usage error.\n"},
    {"trigger",
     "usage: wsup trigger SCRIPT [--cron EXPR] [CONFIG] [--control PATH | --config CONFIG]\n"
     "\n"
     "Runs SCRIPT's scheduled handler once, now, on one worker (as `wrangler dev\n"
     "--test-scheduled` does), with controller.cron = EXPR (\"\" without --cron), and prints\n"
     "the outcome: ok, exception, exceeded_cpu, exceeded_memory, timed_out, worker_died or\n"
     "not_run, with the worker and the duration.\n"
     "Exit status: 0 the run succeeded, 1 it failed or no supervisor answered, 2 usage error.\n"},
    {"stop",
     "usage: wsup stop [CONFIG] [--control PATH | --config CONFIG]\n"
     "\n"
     "Finishes in-flight requests (up to drain_timeout), stops the workers and exits; returns\n"
     "once that is done.\n"
     "Exit status: 0 stopped, 1 no supervisor answered, 2 usage error.\n"},
}};

bool is_control_command(std::string_view command) {
  return command == "status" || command == "restart-worker" || command == "reload" ||
         command == "stop" || command == "trigger";
}

}  // namespace

std::optional<std::string> command_help(std::string_view command) {
  for (const auto& [name, text] : kCommands) {
    if (name != command) continue;
    std::string help(text);
    if (is_control_command(command)) help += "\n" + std::string(kFindSupervisor);
    return help;
  }
  return std::nullopt;
}

std::string overall_help() {
  return "wsup: serve Cloudflare-Workers-style JavaScript on every core\n"
         "\n"
         "usage:\n"
         "  wsup start CONFIG [--control PATH] [--worker-binary PATH]\n"
         "                                 run a cluster in the foreground\n"
         "  wsup check CONFIG              validate the config and compile its scripts\n"
         "  wsup dev [SCRIPT | WRANGLER_FILE | FOLDER] [--var KEY=VALUE] [--port 8787]\n"
         "                                 one script or Workers project; reloads when its "
         "files change\n"
         "  wsup status [--json]           the supervisor, one row per worker and per script\n"
         "  wsup restart-worker N          drain worker N, replace it, route to it when ready\n"
         "  wsup reload                    re-read config and scripts, replace workers one by "
         "one\n"
         "  wsup stop                      finish in-flight requests, stop workers, exit\n"
         "  wsup trigger SCRIPT [--cron EXPR]\n"
         "                                 run SCRIPT's scheduled handler once, print the "
         "outcome\n"
         "  wsup --version | help [COMMAND] | COMMAND --help\n"
         "\n"
         "status, restart-worker, reload, stop and trigger find the supervisor by --control\n"
         "PATH, by --config CONFIG (or CONFIG as last argument: its admin.control_socket or\n"
         "default path), or by $WSUP_CONTROL.\n"
         "Signals to a running supervisor: SIGTERM/SIGINT = stop, SIGHUP = reload.\n"
         "Exit status: 0 success, 1 failure, 2 usage error.\n";
}

}  // namespace wsup::supervisor
