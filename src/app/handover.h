// Listening sockets and server state handed from a running process to its successor.
//
// Protocol of `_getsocks` on a stats socket with `expose-fd listeners` (sluice's own; the
// idea is haproxy's): the client writes "_getsocks\n"; the server answers a header line
// "SLUICE-SOCKS 1 <count>\n", then one message per listener whose payload is the listener's
// key and a newline and whose SCM_RIGHTS control data carries the socket, then closes.
// Keys are canonical bind addresses (see proxy::bind_key), so "*:80" and "0.0.0.0:80"
// match.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace sluice::app {

// Sends the listeners on a connected unix stream socket, blocking for at most ~1 s.
// The caller keeps ownership of `fd` and of the listener fds (they are duplicated in flight).
Result<void> send_listeners(int fd, const std::vector<std::pair<std::string, int>>& listeners);

// Connects to the stats socket at `path`, asks `_getsocks` and returns the received sockets
// by key; the caller owns them. Blocks for at most ~2 s.
Result<std::map<std::string, int>> fetch_listeners(const std::string& path);

// Runs one command on the runtime API at `path` and returns its reply (blocking, ~2 s max).
Result<std::string> cli_query(const std::string& path, const std::string& command);

}  // namespace sluice::app
