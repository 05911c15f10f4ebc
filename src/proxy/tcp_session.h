// TcpSession: mode tcp. A bidirectional relay between the client and one server, with
// half-close propagated each way and timeout client / server / tunnel.
//
//   (all servers at maxconn) Queued --(slot granted)--> Connecting   (timeout queue: close)
//   Connecting --(connected)--> Relaying --(both directions shut)--> Closed
//        |  ^                                 
//        +--+ connect error with retries left (redispatch on the last one)
#pragma once

#include "proxy/worker.h"

namespace sluice::proxy {

class TcpSession final : public Session, public core::IoHandler {
 public:
  TcpSession(Worker& w, Frontend& fe, int fd, const sockaddr_storage& src, uint64_t id);
  ~TcpSession() override;

  void start();
  bool route();
  void on_io(uint32_t events) override;

  backend::Server* server() const override { return server_; }
  backend::Backend* backend() const override { return be_; }
  void kill(const char* why) override;
  void soft_stop() override {}
  void on_slot_granted() override;
  std::string describe() const override;

 private:
  class ServerSide final : public core::IoHandler {
   public:
    explicit ServerSide(TcpSession& s) : owner_(s) {}
    void on_io(uint32_t events) override;
    TcpSession& owner_;
  };
  enum class State : uint8_t { Queued, Connecting, Relaying, Closed };

  // One connection's readiness as edge-triggered epoll reported it. `hup` remembers a FIN
  // seen with data: no new edge will come for it, so a short read must not clear `readable`.
  struct Side {
    int fd = -1;
    bool readable = false, writable = false, hup = false;
    bool eof = false;    // read 0 from it
    bool shut = false;   // sent it our FIN (SHUT_WR)
    uint64_t last_io = 0;
    void on_events(uint32_t events);
  };

  void process();
  void resume() override { process(); }
  bool connect_next();
  bool connect_to(sockaddr_storage addr, socklen_t len);
  void leave_queue();
  void on_connect_error(int err);
  bool relay(Side& from, Side& to, core::Buffer& buf, uint64_t& bytes);
  void log_session();
  void update_timer();
  void finish();

  ServerSide server_side_{*this};
  EffectiveTimeouts to_{};
  backend::Backend* be_ = nullptr;
  backend::Server* server_ = nullptr;
  bool counted_on_server_ = false;
  std::vector<const lb::Candidate*> tried_;
  uint32_t retries_left_ = 0;
  State st_ = State::Connecting;
  core::Buffer c2s_, s2c_;
  Side c_, s_;   // client and server connections (c_.fd mirrors Session::cfd_)
  bool s_connected_ = false;
  bool error_ = false;
  bool closed_ = false;
  uint64_t connect_start_ = 0, connected_ms_ = 0;
  uint64_t bytes_c2s_ = 0, bytes_s2c_ = 0;
  uint32_t retries_done_ = 0;
  uint64_t queue_start_ = 0;
  int64_t wait_ms_ = 0;   // time spent in a queue (Tw)
  bool timed_out_ = false;
  bool queue_timed_out_ = false;
  sockaddr_storage server_addr_{};
  core::Watch c_watch_, s_watch_;   // the client's and the server's fd registrations
  core::Timer timer_;
};

}  // namespace sluice::proxy
