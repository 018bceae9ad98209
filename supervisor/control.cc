#include "supervisor/control.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "shared/log.h"

namespace wsup::supervisor {

std::string encode_command(const ControlCommand& c) {
  switch (c.kind) {
    case ControlCommand::Kind::status:
      return "status\n";
    case ControlCommand::Kind::status_json:
      return "status-json\n";
    case ControlCommand::Kind::restart_worker:
      return "restart-worker " + std::to_string(c.worker) + "\n";
    case ControlCommand::Kind::reload:
      return "reload\n";
    case ControlCommand::Kind::stop:
      return "stop\n";
    case ControlCommand::Kind::trigger:
      return "trigger " + c.script + (c.cron.empty() ? "" : " " + c.cron) + "\n";
  }
  return "\n";
}

std::optional<ControlCommand> parse_command(std::string_view line, std::string* error) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  std::string_view verb = line.substr(0, line.find(' '));
  std::string_view arg = verb.size() < line.size() ? line.substr(verb.size() + 1) : "";
  ControlCommand c;
  if (verb == "status")
    c.kind = ControlCommand::Kind::status;
  else if (verb == "status-json")
    c.kind = ControlCommand::Kind::status_json;
  else if (verb == "reload")
    c.kind = ControlCommand::Kind::reload;
  else if (verb == "stop")
    c.kind = ControlCommand::Kind::stop;
  else if (verb == "restart-worker") {
    c.kind = ControlCommand::Kind::restart_worker;
    auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), c.worker);
    if (arg.empty() || ec != std::errc() || end != arg.data() + arg.size() || c.worker < 0) {
      *error = "restart-worker needs a worker number, got '" + std::string(arg) + "'";
      return std::nullopt;
    }
    return c;
  } else if (verb == "trigger") {
    c.kind = ControlCommand::Kind::trigger;
    std::string_view script = arg.substr(0, arg.find(' '));
    if (script.empty()) {
      *error = "trigger needs a script name";
      return std::nullopt;
    }
    c.script = std::string(script);
    if (script.size() < arg.size()) c.cron = std::string(arg.substr(script.size() + 1));
    return c;
  } else {
    *error = "unknown command '" + std::string(verb) + "'";
    return std::nullopt;
  }
  if (!arg.empty()) {
    *error = "'" + std::string(verb) + "' takes no argument";
    return std::nullopt;
  }
  return c;
}

std::string encode_reply(const ControlReply& r) {
  return (r.ok ? "ok\n" : "error\n") + r.body;
}

ControlReply parse_reply(std::string_view text) {
  size_t nl = text.find('\n');
  std::string_view head = text.substr(0, nl);
  std::string body = nl == std::string_view::npos ? "" : std::string(text.substr(nl + 1));
  if (head == "ok") return {true, body};
  if (head == "error") return {false, body};
  return {false, "malformed reply from the supervisor: '" + std::string(head) + "'"};
}

namespace {

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    throw std::runtime_error("control socket path too long (max " +
                             std::to_string(sizeof addr.sun_path - 1) + " bytes): " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

ControlServer::ControlServer(std::string path, Handler handler)
    : path_(std::move(path)), handler_(std::move(handler)) {
  sockaddr_un addr = unix_address(path_);
  // A socket file nobody answers on is left over from a crashed run; a live one is another
  // supervisor, which we must not steal from.
  if (std::filesystem::exists(path_)) {
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(probe);
    if (live)
      throw std::runtime_error("another wsup supervisor is already running on control socket " +
                               path_);
    ::unlink(path_.c_str());
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  // umask makes the socket owner-only from the moment it exists (no chmod race).
  mode_t old_mask = ::umask(0177);
  int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old_mask);
  if (rc != 0 || ::listen(listen_fd_, 16) != 0) {
    std::string why = std::strerror(errno);
    ::close(listen_fd_);
    throw std::runtime_error("cannot listen on control socket " + path_ + ": " + why);
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  acceptor_ = std::thread([this] { accept_loop(); });
}

ControlServer::~ControlServer() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
  acceptor_.join();
  for (Connection& c : connections_) c.thread.join();
  ::close(listen_fd_);
  ::close(stop_fd_);
  ::unlink(path_.c_str());
}

void ControlServer::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // Join finished connections so a long-running supervisor polled by monitoring keeps none.
    // acquire pairs with the thread's release: its work is done once the flag reads true.
    connections_.remove_if([](Connection& c) {
      if (!c.done->load(std::memory_order_acquire)) return false;
      c.thread.join();
      return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    connections_.push_back({std::thread([this, fd, done] {
                              serve(fd);
                              done->store(true, std::memory_order_release);
                            }),
                            done});
  }
}

void ControlServer::serve(int fd) {
  timeval timeout{5, 0};  // a client that never sends its line cannot hold this thread
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string line;
  char buf[256];
  while (line.find('\n') == std::string::npos && line.size() < 4096) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  std::string error;
  ControlReply reply;
  if (auto command = parse_command(line.substr(0, line.find('\n')), &error)) {
    try {
      reply = handler_(*command);
    } catch (const std::exception& e) {  // e.g. broken_promise when the supervisor stops
      reply = {false, std::string("the command was not completed: ") + e.what() + "\n"};
    }
  } else {
    reply = {false, error};
  }
  write_all(fd, encode_reply(reply));
  ::close(fd);
}

ControlReply send_control_command(const std::string& path, const ControlCommand& command,
                                  int timeout_seconds) {
  sockaddr_un addr = unix_address(path);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("no wsup supervisor is running on control socket " + path + " (" +
                             why + "); start one with 'wsup start CONFIG' or pass --control PATH");
  }
  timeval timeout{timeout_seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string text;
  if (write_all(fd, encode_command(command))) {
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  if (text.empty())
    return {false, "the supervisor closed the control connection without answering"};
  return parse_reply(text);
}

std::string default_control_path(const std::string& config_file) {
  std::error_code ec;
  std::string absolute = std::filesystem::absolute(config_file, ec).lexically_normal().string();
  uint64_t hash = 1469598103934665603ull;  // FNV-1a: stable across runs and builds
  for (unsigned char c : absolute) hash = (hash ^ c) * 1099511628211ull;
  char name[64];
  std::snprintf(name, sizeof name, "%08llx", static_cast<unsigned long long>(hash & 0xffffffffu));
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime)
    return std::string(runtime) + "/wsup-" + name + ".sock";
  return "/tmp/wsup-" + std::to_string(::getuid()) + "-" + name + ".sock";
}

}  // namespace wsup::supervisor
