// A Worker is one thread: its event loop, buffer pool, listeners' accept handlers, idle
// server connections (per server) and the sessions it runs. Nothing here is shared with
// other workers except through the Runtime's atomics and Backend locks.
#pragma once

#include <sys/socket.h>

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/buffer.h"
#include "core/event_loop.h"
#include "core/intrusive_list.h"
#include "proxy/runtime.h"
#include "rules/vars.h"

namespace sluice::proxy {

class Worker;

struct SessionTag {};

// Base of client sessions (HTTP and TCP), registered with their worker for `show sess`,
// `shutdown sessions` and soft-stop.
class Session : public core::Deletable, public core::ListNode<SessionTag> {
 public:
  Session(Worker& w, Frontend& fe, int fd, const sockaddr_storage& src, uint64_t id);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  uint64_t id() const { return id_; }
  Frontend& frontend() const { return fe_; }
  const sockaddr_storage& src() const { return src_; }
  virtual backend::Server* server() const = 0;
  virtual backend::Backend* backend() const = 0;
  // Closes the session at once (shutdown session / on-marked-down / hard stop).
  virtual void kill(const char* why) = 0;
  // Soft stop: finish the current exchange, then close instead of keeping alive.
  virtual void soft_stop() = 0;
  // `show sess` line.
  virtual std::string describe() const = 0;
  // A queued request of this session was granted a server slot.
  virtual void on_slot_granted() {}
  // This session's queue entry when `be` may queue (some server has a maxconn), made on
  // first use; nullptr otherwise (the backend then never queues the request).
  backend::PendingRequest* queue_entry(backend::Backend& be);
  uint64_t start_ms() const { return start_ms_; }
  // The local address the client connected to, fetched on first use (one syscall saved per
  // connection when nothing needs it).
  const sockaddr_storage& dst();
  // sess.* variables: set by tcp-request connection/session rules before the session exists,
  // then by any rule of the session.
  rules::VarStore sess_vars;
  // The name of the bind line that accepted the connection (so_name); lives in the
  // runtime's listener spec, as long as the frontend.
  std::string_view so_name;

 protected:
  // How many passes a session's process() makes per wake-up. With edge-triggered sockets a
  // session that stops with work left must not wait for an edge that may never come (the
  // peer may have sent everything already): it calls continue_soon(), and resume() runs
  // once the other connections' events of this iteration have been handled.
  static constexpr int kStepBudget = 64;
  void continue_soon();
  virtual void resume() = 0;
  // The session's one way out, last step of its finish(): stops the resume timer, leaves
  // the worker's list and hands the object to the loop's deferred deletion. The subclass
  // has already stopped its watches and timers and retired its server connection.
  void retire();

  Worker& w_;
  Frontend& fe_;
  int cfd_;
  sockaddr_storage src_;
  sockaddr_storage dst_{};
  bool dst_known_ = false;
  std::unique_ptr<backend::PendingRequest> pending_;   // our place in a queue, made on first use
  uint64_t id_;
  uint64_t start_ms_;

 private:
  core::Timer resume_timer_{[this] { resume(); }};
};

struct IdleTag {};
class HttpSession;

// A connection to a server. Owned by the HttpSession using it, or by the worker's idle list.
// Never deleted directly: Worker::close_conn() retires it (its watch ends, the fd closes)
// and the loop frees it after the current iteration.
class ServerConn final : public core::IoHandler, public core::Deletable, public core::ListNode<IdleTag> {
 public:
  ServerConn(Worker& w, backend::Server* s, int sock, const sockaddr_storage& peer)
      : w_(w), server(s), fd(sock), addr(peer) {}
  ~ServerConn() override;
  void on_io(uint32_t events) override;
  // Registers fd with the worker's loop (in and out, edge-triggered).
  bool start_watch();

  Worker& w_;
  backend::Server* server;
  int fd;
  sockaddr_storage addr;
  HttpSession* owner = nullptr;
  bool readable = false, writable = false, connected = false, eof = false;
  bool hup = false;        // the peer's FIN (or an error) was announced by epoll
  uint64_t idle_since = 0;
  uint32_t requests = 0;   // exchanges completed on this connection

 private:
  friend class Worker;
  core::Watch watch_;
};

class Listener final : public core::IoHandler {
 public:
  Listener(Worker& w, ListenerSpec& spec) : w_(w), spec_(spec), retry_timer_([this] { retry(); }) {}
  void on_io(uint32_t events) override;
  void pause();
  void resume();
  bool paused() const { return paused_; }
  bool pending() const { return pending_; }
  bool limited() const { return limited_; }
  void accept_some();
  bool tcp_rules_accept(Frontend& fe, int fd, const sockaddr_storage& src, rules::VarStore& sess_vars);
  void unlimit();   // a connection slot freed: listen again
  const ListenerSpec& spec() const { return spec_; }

 private:
  Worker& w_;
  ListenerSpec& spec_;
  bool registered_ = false;
  bool paused_ = false;
  bool pending_ = false;    // connections may wait in the backlog (we stopped early)
  bool limited_ = false;    // unregistered because maxconn was reached
  bool starved_ = false;    // unregistered because accept() ran out of descriptors or memory
  core::Timer retry_timer_; // ends a starved pause

  void starve(int err);
  void retry();
};

class Worker {
 public:
  Worker(Runtime& rt, uint32_t index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Registers listeners and runs the loop on the calling thread until stop().
  void run();
  void start_thread();
  void join();

  core::EventLoop& loop() { return loop_; }
  core::BufferPool& pool() { return pool_; }
  Runtime& runtime() { return rt_; }
  uint32_t index() const { return index_; }

  // Idle server connections (http-reuse).
  // An idle connection to `s`, or null. verify: check with a peek that the server has not
  // closed it (for requests that cannot be sent again).
  ServerConn* take_idle(backend::Server& s, bool verify = true);
  void park(ServerConn* c);
  // The one way a server connection ends, idle or owned: out of the idle list, watch
  // stopped, fd closed, freed after this loop iteration (events for it may still be queued).
  void close_conn(ServerConn* c);
  void purge_server(const backend::Server& s);   // address change or removal

  // Sessions
  void add_session(Session& s);
  // Sessions waiting in a queue, found by id when a slot is granted (the grant is posted
  // from another thread and the session may be gone by then).
  void add_waiting(uint64_t id, Session& s) { waiting_[id] = &s; }
  void remove_waiting(uint64_t id) { waiting_.erase(id); }
  void grant(uint64_t id);
  void session_closed();   // a slot freed: maybe resume accepting
  core::IntrusiveList<Session, SessionTag>& sessions() { return sessions_; }

  // Listener control (called on this worker's thread).
  void pause_listeners();
  void resume_listeners();
  void stop_listeners();   // soft stop: close listeners of this worker
  void soft_stop();        // stop accepting, finish sessions, then exit loop
  // Whether soft_stop() leaves the loop once this worker's sessions are done (default). The
  // process turns it off for the worker hosting its signals and timers.
  void set_stop_when_idle(bool on) { stop_when_idle_ = on; }
  void hard_stop();
  bool accepting_allowed(Frontend& fe) const;

  uint64_t next_session_id();

 private:
  void housekeeping();
  void close_idle(core::IntrusiveList<ServerConn, IdleTag>& list);

  Runtime& rt_;
  uint32_t index_;
  core::EventLoop loop_;
  core::BufferPool pool_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::deque<core::IntrusiveList<ServerConn, IdleTag>> idle_;   // by server index
  core::IntrusiveList<Session, SessionTag> sessions_;
  std::unordered_map<uint64_t, Session*> waiting_;
  size_t idle_count_ = 0;   // idle server connections parked in idle_
  core::Timer housekeeping_timer_;
  std::thread thread_;
  bool soft_stopping_ = false;
  bool listeners_paused_ = false;
  bool stop_when_idle_ = true;
};

}  // namespace sluice::proxy
