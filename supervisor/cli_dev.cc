// `wsup dev [SCRIPT | WRANGLER_FILE | FOLDER]`: one script, or a Workers project's wrangler file,
// served on loopback through a generated cluster.yaml, reloaded whenever a file of its module
// graph (or the wrangler file, or .dev.vars) changes or, for .dev.vars and a folder's wrangler
// file, appears. A script that does not compile at start is reported and waited on, not
// crash-looped.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "shared/json_escape.h"
#include "supervisor/cli.h"
#include "supervisor/cli_args.h"
#include "supervisor/file_watch.h"
#include "supervisor/supervisor.h"
#include "supervisor/worker_binary.h"

namespace wsup::supervisor {
namespace {

namespace fs = std::filesystem;

// Where wrangler looks, in its order, when given a folder.
constexpr const char* kWranglerFiles[] = {"wrangler.json", "wrangler.jsonc", "wrangler.toml"};
constexpr auto kPollInterval = std::chrono::milliseconds(300);

bool is_wrangler_file(const fs::path& path) {
  const std::string extension = path.extension().string();
  return extension == ".toml" || extension == ".json" || extension == ".jsonc";
}

// What `wsup dev` serves: a script file, or a project described by a wrangler file.
struct DevTarget {
  fs::path script;    // set for a script
  fs::path folder;    // set when a folder was named: its wrangler file is looked up on each change
  fs::path wrangler;  // set for a wrangler project
  fs::path dev_vars;  // the project's .dev.vars, when it has one now
};

// The first of wrangler's file names that `folder` holds, or an empty path.
fs::path wrangler_file_in(const fs::path& folder) {
  std::error_code ignored;
  for (const char* name : kWranglerFiles)
    if (fs::is_regular_file(folder / name, ignored)) return folder / name;
  return {};
}

// Which files the project has now: a named folder's wrangler file (one created later, earlier in
// wrangler's order, takes over; one removed is kept, for the check to report) and .dev.vars beside
// the wrangler file, which wrangler dev reads.
void refresh_project(DevTarget& target) {
  if (!target.folder.empty()) {
    fs::path found = wrangler_file_in(target.folder);
    if (!found.empty()) target.wrangler = found;
  }
  if (target.wrangler.empty()) return;
  std::error_code ignored;
  const fs::path dev_vars = target.wrangler.parent_path() / ".dev.vars";
  target.dev_vars = fs::is_regular_file(dev_vars, ignored) ? dev_vars : fs::path();
}

DevTarget find_target(const Args& args) {
  fs::path given = args.empty() ? fs::current_path() : fs::absolute(args.front());
  given = given.lexically_normal();
  std::error_code ignored;
  if (!fs::exists(given, ignored))
    throw std::runtime_error("no such file or folder: " + given.string());
  DevTarget target;
  if (fs::is_directory(given, ignored)) {
    target.folder = given;
    if (wrangler_file_in(given).empty())
      usage_error("dev", "no wrangler.json, wrangler.jsonc or wrangler.toml in " + given.string() +
                             ": name a script file or a wrangler file");
  } else if (is_wrangler_file(given)) {
    target.wrangler = given;
  } else {
    target.script = given;
  }
  refresh_project(target);
  return target;
}

// The files whose change (or appearance) alters what is served besides the module graph: the
// script or the wrangler file, .dev.vars beside it, and a named folder's other wrangler files.
// Absent ones are watched too: FileWatch reports a file that appears.
std::vector<std::string> project_files(const DevTarget& target) {
  std::vector<std::string> files;
  if (!target.script.empty()) files.push_back(target.script.string());
  if (!target.folder.empty()) {
    for (const char* name : kWranglerFiles) files.push_back((target.folder / name).string());
  } else if (!target.wrangler.empty()) {
    files.push_back(target.wrangler.string());
  }
  if (!target.wrangler.empty())
    files.push_back((target.wrangler.parent_path() / ".dev.vars").string());
  return files;
}

// `--var KEY=VALUE` (or wrangler's KEY:VALUE), each repeatable; later ones win.
std::map<std::string, std::string> take_vars(Args& args) {
  std::map<std::string, std::string> vars;
  while (std::optional<std::string> var = take_option(args, "--var")) {
    const size_t split = var->find_first_of("=:");
    const std::string key = var->substr(0, split);
    bool identifier = !key.empty() && !std::isdigit(static_cast<unsigned char>(key.front()));
    for (char c : key)
      identifier =
          identifier && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$');
    if (split == std::string::npos || !identifier)
      usage_error("dev",
                  "--var takes KEY=VALUE with KEY a JavaScript identifier, not \"" + *var + "\"");
    vars[key] = var->substr(split + 1);
  }
  return vars;
}

std::string yaml_string(const std::string& text) {
  return "\"" + json_escape(text) + "\"";  // a JSON string is a YAML double-quoted scalar
}

std::string cluster_yaml(const DevTarget& target, const std::map<std::string, std::string>& vars,
                         const std::optional<std::string>& type, const std::string& port,
                         const std::string& workers, const fs::path& control) {
  std::string yaml = "# generated by wsup dev\nlisten: " + yaml_string("127.0.0.1:" + port) +
                     "\nworkers: " + workers + "\nscripts:\n";
  if (!target.wrangler.empty()) {
    yaml += "  - wrangler: " + yaml_string(target.wrangler.string()) + "\n";
    if (!target.dev_vars.empty())
      yaml += "    vars_file: " + yaml_string(target.dev_vars.string()) + "\n";
  } else {
    std::string name = target.script.stem().string();
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    yaml += "  - name: " + yaml_string(name) +
            "\n    path: " + yaml_string(target.script.string()) + "\n";
  }
  if (type) yaml += "    type: " + *type + "\n";
  if (!vars.empty()) {
    yaml += "    vars:\n";
    for (const auto& [key, value] : vars) yaml += "      " + key + ": " + yaml_string(value) + "\n";
  }
  yaml +=
      "    routes: [\"/*\"]\n"
      "outbound:\n  allow: [loopback]  # a local API or mock while developing\n"
      "logging:\n  level: info\n  access_log: on\n"
      "admin:\n  control_socket: " +
      yaml_string(control.string()) + "\n";
  return yaml;
}

// Waits until one of `files` changes (false: SIGINT or SIGTERM came first). The signals are
// blocked by the caller, so they wait here, pending, instead of killing the process.
bool wait_for_change(const std::vector<std::string>& files, const sigset_t& stop_signals) {
  FileWatch watch;
  watch.set(files);
  const timespec poll{0, std::chrono::nanoseconds(kPollInterval).count()};
  for (;;) {
    if (::sigtimedwait(&stop_signals, nullptr, &poll) > 0) return false;
    if (!watch.changed().empty()) return true;
  }
}

std::vector<std::string> join(const std::vector<std::string>& a,
                              const std::vector<std::string>& b) {
  std::vector<std::string> all = a;
  for (const std::string& file : b)
    if (std::find(all.begin(), all.end(), file) == all.end()) all.push_back(file);
  return all;
}

}  // namespace

int cmd_dev(const Args& raw) {
  Args args = raw;
  const std::string port = take_option(args, "--port").value_or("8787");
  const std::string workers = take_option(args, "--workers").value_or("1");
  const std::string worker_binary_option = take_option(args, "--worker-binary").value_or("");
  const std::optional<std::string> type = take_option(args, "--type");
  if (type && *type != "module" && *type != "service-worker")
    usage_error("dev", "wsup dev --type takes module or service-worker, not \"" + *type + "\"");
  const std::map<std::string, std::string> vars = take_vars(args);
  no_unknown_options("dev", args);
  if (args.size() > 1) usage_error("dev", "wsup dev takes one script, wrangler file or folder");
  DevTarget target = find_target(args);
  const std::string worker_binary = find_worker_binary(worker_binary_option);

  // Ctrl-C while waiting for a fix ends the wait (and removes the folder below); run_supervisor
  // blocks the same signals and reads them from a signalfd.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // A throw-away cluster.yaml beside a control socket, removed on the way out.
  struct TempDir {
    fs::path path;
    ~TempDir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } dir{fs::temp_directory_path() / ("wsup-dev-" + std::to_string(::getpid()))};
  fs::create_directories(dir.path);
  const fs::path config_path = dir.path / "cluster.yaml";
  // Written again before every check, for the project's files as they are then: a .dev.vars
  // created (or removed) after the start, a wrangler file that takes over the folder.
  auto write_config = [&] {
    refresh_project(target);
    std::ofstream(config_path) << cluster_yaml(target, vars, type, port, workers,
                                               dir.path / "control.sock");
  };
  write_config();
  const std::vector<std::string> own_files = project_files(target);
  const std::string what = (target.wrangler.empty() ? target.script : target.wrangler).string();

  // Nothing is served until the scripts compile: each failure is shown once, then the next save
  // is awaited (a running `wsup dev` keeps its old workers through a failed reload instead).
  CheckResult check = run_worker_check(worker_binary, config_path.string(), true);
  while (!check.ok) {
    std::fputs(check.output.c_str(), stderr);
    std::fprintf(stderr, "wsup dev: %s does not start; waiting for a change (Ctrl-C to stop)\n",
                 what.c_str());
    if (!wait_for_change(join(own_files, check.files), stop_signals)) return 0;
    std::fprintf(stderr, "wsup dev: file changed; checking again\n");
    write_config();
    check = run_worker_check(worker_binary, config_path.string(), true);
  }

  std::fprintf(stderr,
               "wsup dev: serving %s on http://127.0.0.1:%s/ (Ctrl-C to stop)\n"
               "wsup dev: fetch() may reach loopback addresses (127.0.0.0/8, ::1); wsup start "
               "denies them unless outbound.allow says so\n",
               what.c_str(), port.c_str());
  StartOptions options;
  options.config_path = config_path.string();
  options.worker_binary = worker_binary;
  options.watch_files = join(own_files, check.files);
  options.before_reload = write_config;
  return run_supervisor(options);
}

}  // namespace wsup::supervisor
