#include "tests/chaos/probe/bad_upstream.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tests/chaos/probe/loopback_socket.h"

namespace wsup::chaos {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point end) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Reads until the end of a request head (or `end`): whether one arrived.
bool read_head(int fd, Clock::time_point end) {
  std::string data;
  char buf[4096];
  while (data.find("\r\n\r\n") == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(end)) <= 0) return false;
    ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got <= 0) return false;
    data.append(buf, static_cast<size_t>(got));
  }
  return true;
}

void send_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Half a body, then death: reset (SO_LINGER 0 turns close() into an RST) or a plain close.
void die_mid_body(Socket connection, uint32_t half, bool reset) {
  std::string reply =
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
      std::to_string(2ull * half) + "\r\n\r\n" + std::string(half, 'x');
  send_all(connection.fd(), reply);
  if (reset) {
    // The upstream stalls after half its body and then crashes; without the pause the RST could
    // overtake the bytes before the client read them. sleep-ok: the fault this command injects
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    linger abort_on_close{1, 0};
    ::setsockopt(connection.fd(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  }
}  // `connection` closes here

}  // namespace

int bad_upstream(const std::string& mode, int seconds, uint32_t half_body_bytes) {
  if (mode != "hang" && mode != "half-body") {
    std::fprintf(stderr, "bad-upstream: unknown mode '%s' (hang | half-body)\n", mode.c_str());
    return 2;
  }
  Socket listener;
  const uint16_t port = listener.listen_loopback(1024);
  if (port == 0) {
    std::perror("bad-upstream");
    return 1;
  }
  std::printf("%u\n", port);
  std::fflush(stdout);

  const auto end = Clock::now() + std::chrono::seconds(seconds);
  std::vector<Socket> held;  // hang: every connection stays open, unanswered, until the end
  uint64_t accepted = 0;
  while (remaining_ms(end) > 0) {
    pollfd p{listener.fd(), POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(end)) <= 0) continue;
    Socket connection(::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
    if (connection.fd() < 0) continue;
    std::fprintf(stderr, "accepted %llu\n", static_cast<unsigned long long>(++accepted));
    if (mode == "hang") {
      held.push_back(std::move(connection));
    } else if (read_head(connection.fd(), end)) {
      // One connection at a time: a subrequest waits for its turn as it would for a slow host.
      die_mid_body(std::move(connection), half_body_bytes, accepted % 2 == 0);
    }
  }
  return 0;
}

}  // namespace wsup::chaos
