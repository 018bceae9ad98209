// Noticing that an HTTP client hung up while its request waits for a worker.
//
// cpp-httplib 0.11 gives a handler no access to its connection's socket, so the socket is found
// once per slow request by its addresses (the handler's thread owns that connection for as long
// as the handler runs, so the fd cannot be closed or reused meanwhile), then polled.
#pragma once

#include <string>

namespace wsup::supervisor {

// The fd of this process's TCP socket with that local port and that peer, or -1.
int find_connection_socket(int local_port, const std::string& remote_addr, int remote_port);
// True when the peer closed its side (or the connection broke).
bool peer_hung_up(int fd);

}  // namespace wsup::supervisor
