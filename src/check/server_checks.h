// Internals of check/: Prober runs one probe script on one loop; ServerChecks owns a
// server's health prober, agent prober, Health and slowstart ramp. Exposed for unit tests.
#pragma once

#include <functional>
#include <memory>
#include <random>
#include <string>

#include "backend/server.h"
#include "check/health.h"
#include "check/probe.h"
#include "core/event_loop.h"

namespace sluice::proxy {
class Runtime;
}

namespace sluice::check {

struct ProbeTiming {
  uint64_t connect_ms;   // connect must complete within this
  uint64_t total_ms;     // the whole probe, from its start
};

// One probe at a time: connect, run the script, report. Owned by ServerChecks.
//
//   Idle --run()--> Connecting --connected--> Active --verdict/timeout--> Idle
//        (a Connect step in the script goes back to Connecting on a new socket)
class Prober final : public core::IoHandler {
 public:
  // `done`: called exactly once per run(), on the loop, possibly from inside run() when the
  // connect fails at once. The Prober may be run() again from inside `done`.
  using Done = std::function<void(const Verdict&, int64_t duration_ms)>;
  // `target`: address to connect to; its port is replaced by `port` when non-zero.
  Prober(core::EventLoop& loop, Script script, Done done);
  ~Prober() override;
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  void run(const sockaddr_storage& target, uint16_t port, ProbeTiming timing);
  bool running() const { return state_ != State::Idle; }
  // Abandons a running probe without calling `done` (the server is being removed).
  void cancel();

  // core::IoHandler
  void on_io(uint32_t events) override;

 private:
  enum class State : uint8_t { Idle, Connecting, Active };
  void connect_to(std::optional<uint16_t> port);
  void advance();
  void flush();
  void read_all();
  void on_timeout();
  void finish(const Verdict& v);
  void close_fd();

  core::EventLoop& loop_;
  Script script_;
  Done done_;
  core::Timer timeout_;
  core::Watch watch_;
  State state_ = State::Idle;
  int fd_ = -1;
  size_t step_ = 0;
  sockaddr_storage target_{};
  uint16_t port_ = 0;
  ProbeTiming timing_{};
  uint64_t start_ms_ = 0;
  std::string in_, out_;
  bool eof_ = false;
};

class ServerChecks final : public core::Deletable {
 public:
  ServerChecks(proxy::Runtime* rt, backend::Server& s, core::EventLoop& loop, uint32_t spread_pct);
  ServerChecks(const ServerChecks&) = delete;
  ServerChecks& operator=(const ServerChecks&) = delete;

  // On the loop: first probes after `first_delay_ms`.
  void start(uint64_t first_delay_ms);
  // Any thread: state observer hook (slowstart, on-marked-*).
  void on_state_change(backend::AdminState old_admin, backend::OpState old_op);
  // Any thread: error-limit reached for `observe`.
  void on_error_limit(bool layer7);
  // On the loop: stops every probe and timer for good; later callbacks do nothing and never
  // touch the server again (it is about to be destroyed). See check::detach_server().
  void retire();

  core::EventLoop& loop() { return loop_; }
  backend::Server& server() { return s_; }
  const Health& health() const { return health_; }

 private:
  void run_health();
  void run_agent();
  void on_health(const Verdict& v, int64_t dur);
  void on_agent(const Verdict& v, int64_t dur);
  void commit(const Verdict& v, int64_t dur);
  void apply_on_error(bool layer7);
  uint64_t health_interval() const;
  uint64_t jitter(uint64_t ms);
  void slowstart_begin();
  void slowstart_tick();
  sockaddr_storage target(const std::optional<config::Address>& addr) const;

  proxy::Runtime* rt_;
  backend::Server& s_;
  core::EventLoop& loop_;
  uint32_t spread_pct_;
  std::mt19937 rng_;
  Health health_;
  bool nolb_ = false;
  bool agent_down_ = false;
  std::unique_ptr<Prober> health_probe_, agent_probe_;
  core::Timer health_timer_, agent_timer_, slowstart_timer_;
  uint64_t slowstart_since_ = 0;
  bool retired_ = false;
};

// Pure timing rules, for tests: the interval after a result given the Health.
uint64_t next_interval(const config::ServerConfig& c, const Health& h);

}  // namespace sluice::check
