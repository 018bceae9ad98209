// The control socket: how `wsup status|restart-worker|reload|stop|trigger` reach a running
// supervisor.
//
// A Unix stream socket, mode 0600, one command per connection:
//   client -> "status\n" | "status-json\n" | "restart-worker 3\n" | "reload\n" | "stop\n" |
//             "trigger SCRIPT\n" | "trigger SCRIPT CRON EXPRESSION\n" (the rest of the line)
//   server -> "ok\n<body>" or "error\n<message>", then closes.
// Commands that change the cluster answer when the change is done (or failed), so a script that
// runs `wsup reload && next-step` sees the new workers serving.
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace wsup::supervisor {

struct ControlCommand {
  enum class Kind { status, status_json, restart_worker, reload, stop, trigger };
  Kind kind = Kind::status;
  int worker = -1;     // restart_worker only
  std::string script;  // trigger only
  std::string cron;    // trigger only: what the handler sees as controller.cron ("" when not given)
  bool operator==(const ControlCommand&) const = default;
};

struct ControlReply {
  bool ok = true;
  std::string body;  // the answer, or the error message
  bool operator==(const ControlReply&) const = default;
};

// Wire format both ways. parse_* return nullopt (and set *error) on malformed input.
std::string encode_command(const ControlCommand& command);
std::optional<ControlCommand> parse_command(std::string_view line, std::string* error);
std::string encode_reply(const ControlReply& reply);
ControlReply parse_reply(std::string_view text);

// Listens on `path` (replacing a stale socket file, refusing a live one) and answers each
// connection on its own thread with `handler`. Stops and removes the file on destruction.
class ControlServer {
 public:
  using Handler = std::function<ControlReply(const ControlCommand&)>;
  // Throws std::runtime_error with a user-facing message when the socket cannot be created.
  ControlServer(std::string path, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  const std::string& path() const { return path_; }

 private:
  void accept_loop();
  void serve(int fd);

  std::string path_;
  Handler handler_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: wakes accept_loop on shutdown
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;  // set by the thread as its last act
  };
  std::list<Connection> connections_;  // touched by the acceptor thread, then the destructor
  std::thread acceptor_;
};

// Sends one command and returns the reply. Throws std::runtime_error saying that no supervisor
// listens at `path` (with the path) when connecting fails.
ControlReply send_control_command(const std::string& path, const ControlCommand& command,
                                  int timeout_seconds);

// The control socket path a config implies when it names none: $XDG_RUNTIME_DIR/wsup-<hash>.sock
// or /tmp/wsup-<uid>-<hash>.sock, <hash> of the config file's absolute path, so two instances
// started from different configs never collide.
std::string default_control_path(const std::string& config_file);

}  // namespace wsup::supervisor
