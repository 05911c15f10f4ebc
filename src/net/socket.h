// Thin, checked wrappers over the socket calls the engine needs. All sockets are
// non-blocking and close-on-exec. Errors come back as errno values, never exceptions.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>

#include "core/result.h"

namespace sluice::net {

struct ListenOptions {
  int backlog = 1024;
  bool v6only = false;
  bool transparent = false;
  bool defer_accept = false;
  std::string interface;
};

// socket + SO_REUSEADDR/SO_REUSEPORT + bind + listen. SO_REUSEPORT lets a reloading process
// bind next to the old one (the classic -sf handover) when no fd is passed over.
Result<int> listen_on(const sockaddr* sa, socklen_t len, const ListenOptions& opt);
Result<int> listen_unix(const std::string& path, int backlog, std::optional<uint32_t> mode);

// Starts a non-blocking connect. Returns the fd (connection may be in progress) or errno.
int connect_start(const sockaddr* sa, socklen_t len, int& err);
// After EPOLLOUT on a connecting socket: 0 when connected, else the socket error.
int connect_result(int fd);

// A listening socket handed to us by number (`fd@N`): checks that it is one, and makes it
// non-blocking and close-on-exec, whatever mode it came in (a blocking accept() would
// stall the event loop, signals included).
Result<void> adopt_listener(int fd);

void set_nodelay(int fd);
// Before close(): the client is not told (`silent-drop`): the reset leaves with a TTL of 1
// (hop limit 1 in IPv6), so it dies at the first router, and no FIN is sent.
void silent_drop(int fd);
void set_nonblock(int fd);
void set_cloexec(int fd, bool on);
void set_linger_reset(int fd);   // close() then sends RST (used for -st style hard stops)

std::string to_string(const sockaddr* sa, bool with_port = true);
std::string to_string(const sockaddr_storage& ss, bool with_port = true);
uint16_t port_of(const sockaddr* sa);
void set_port(sockaddr_storage& ss, uint16_t port);
socklen_t sockaddr_len(const sockaddr_storage& ss);

}  // namespace sluice::net
