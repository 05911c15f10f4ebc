// Server queues. A request that finds its server (or every server) at its connection limit
// waits here, in arrival order, until a slot frees: a request bound to a server (cookie,
// stick table) waits in that server's queue, the others in the backend's queue. When a
// slot frees on a server, the oldest request among its queue and the backend queue gets it.
//
// All queue operations run under Backend::mutex(). The waiting request belongs to a session
// on some worker thread: `wake` is called under the lock, once, when a slot is granted, and
// must only post to that worker (never run the session inline).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>

#include "core/intrusive_list.h"

namespace sluice::backend {

class Server;
struct QueueTag {};

struct PendingRequest : core::ListNode<QueueTag> {
  uint64_t since_ms = 0;                 // enqueue time, for fairness between the two queues
  Server* target = nullptr;              // set when waiting in a server's queue
  // Filled under the lock when a slot is granted.
  Server* granted = nullptr;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  std::function<void()> wake;            // posts to the owning worker
};

using RequestQueue = core::IntrusiveList<PendingRequest, QueueTag>;

}  // namespace sluice::backend
