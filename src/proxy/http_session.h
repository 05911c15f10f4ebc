// HttpSession: one client connection in mode http, carrying a sequence of exchanges
// (keep-alive, pipelining) to servers chosen per request.
//
// Transaction state machine (one per request; the connection outlives it):
//
//   WaitRequest --(head parsed, server chosen)--> Connecting --(connected)--> Exchange
//        |  (all servers at maxconn) --> Queued --(slot granted)--^  (timeout queue: 503)
//        ^   |                                     |   ^                       |  |
//        |   +--(error / monitor / deny)--> Closing <--+   +--(connect error, retry)--+  |
//        |                                    ^                                       |
//        +--------(response done, keep-alive)--+--------(response done, close)--------+
//   Exchange --(101 / CONNECT 2xx)--> Tunnel --(both sides closed)--> Closing
//   Closing: flush what is pending to the client, lingering close, then Closed.
//
// Everything runs on the owning worker's thread. process() is the only driver: I/O events
// and timers set flags and call it; it loops until no step makes progress.
#pragma once

#include <array>
#include <string>

#include "http/chunked.h"
#include "http/message.h"
#include "http/parser.h"
#include "stats/service.h"
#include "proxy/stick.h"
#include "rules/ruleset.h"
#include "proxy/worker.h"

namespace sluice::proxy {

enum class TxState : uint8_t { WaitRequest, Queued, Connecting, Exchange, Tunnel, Closing, Closed };
std::string_view to_string(TxState s);

class HttpSession final : public Session, public core::IoHandler {
 public:
  HttpSession(Worker& w, Frontend& fe, int fd, const sockaddr_storage& src, uint64_t id);
  ~HttpSession() override;

  void start();
  void on_io(uint32_t events) override;     // client socket
  void on_server_io();                      // from ServerConn::on_io
  void on_slot_granted() override;          // a queued request got a server slot

  backend::Server* server() const override { return server_; }
  backend::Backend* backend() const override { return be_; }
  void kill(const char* why) override;
  void soft_stop() override;
  std::string describe() const override;

 private:
  enum class Body : uint8_t { None, Length, Chunked, UntilClose, Done };

  void process();
  void resume() override { process(); }
  bool step();
  bool read_client();
  bool write_client();
  bool read_server();
  bool write_server();
  bool on_request_head();
  void prepare_pick();
  bool start_connect();
  bool connect_server();
  void leave_queue();
  bool on_connected();
  void on_connect_error(int err, bool timeout);
  bool on_response_head();
  bool forward_request_body();
  bool request_body_buffered();
  bool forward_response_body();
  bool end_transaction();
  void unchunk(std::string_view validated);
  bool on_interim_response();
  bool upgrade_accepted() const;
  void bad_response_body(const char* reason);
  // An error instead of the final response, after the interim responses already queued (a
  // partly written one must be completed, or the client would misread the answer).
  // `page`: these bytes instead of the error page for `status`.
  void reply_after_interim(uint16_t status, const char* reason, std::optional<std::string> page = std::nullopt);
  void reply_error(uint16_t status, const char* reason);
  // Sends `bytes` (a full response, through the http-after-response rules) and closes.
  void send_page(uint16_t status, std::string_view bytes);
  void reply_raw(std::string_view bytes);
  void update_timer();
  void on_timeout();
  void trim_idle();
  bool idle_between_requests() const { return cin_.empty() && requests_ > 0; }
  // An idle keep-alive connection gives back its per-exchange memory after this long.
  static constexpr uint64_t kTrimIdleMs = 200;
  void close_server(bool reusable);
  void release_server_slot();
  void set_state(TxState s);
  void finish();
  void build_request_head();
  void build_response_head();
  std::string_view persistence_cookie_value();
  void count_status(uint16_t status);
  bool serve_service(stats::Service svc);
  // The rule context of the current transaction, set for `phase`.
  AclContext& rule_ctx(uint16_t phase);
  // Runs a rule set; true when it answered or closed the transaction (the reply is sent).
  bool run_rules(const rules::RuleSet& set, uint16_t phase);
  bool send_rule_reply();
  bool answer_and_keep_alive(uint16_t status, std::string_view page);
  std::string rule_reply_page(const rules::Reply& r);
  // The chosen backend's rule set `which`, then the frontend's (HAProxy's order for responses).
  std::array<const rules::RuleSet*, 2> response_sets(rules::RuleSet rules::ProxyRules::*which) const;
  bool run_response_rules();
  void run_after_response_rules();
  bool has_after_response_rules() const;
  std::string_view after_response_page(std::string_view page);
  // Access log of the current transaction, once. `who`/`phase` are haproxy's first two
  // termination-state characters ('-' when the exchange ended normally).
  void log_tx(char who, char phase);
  void capture(bool request);   // `capture request|response header`

  http::ParseOptions req_opts_, rsp_opts_;
  EffectiveTimeouts to_{};
  core::Buffer cin_, sin_;
  std::string req_out_, rsp_out_;
  size_t req_out_off_ = 0, rsp_out_off_ = 0;
  http::RequestHead req_;
  http::ResponseHead rsp_;
  http::HeadScan req_scan_, rsp_scan_;
  http::ChunkedDecoder req_chunk_, rsp_chunk_;
  Body req_body_ = Body::None, rsp_body_ = Body::None;
  uint64_t req_left_ = 0, rsp_left_ = 0;
  size_t req_fwd_ = 0, rsp_fwd_ = 0;        // validated body bytes at the front of cin_/sin_
  size_t req_held_ = 0, rsp_held_ = 0;      // validated chunked bytes after them, held back
                                            // (ChunkedDecoder::held())
  // Interim (1xx) responses of the current exchange. A server may send several (100, 103),
  // never an endless stream: past these bounds the exchange fails with a 502.
  static constexpr uint32_t kMaxInterim = 10;   // count; bytes: at most tune.bufsize
  uint32_t interim_count_ = 0;
  size_t interim_bytes_ = 0;
  uint64_t rsp_final_at_ = 0;               // bytes_out_ once all before the final head is sent
  std::string req_upgrade_;                 // the Upgrade protocols the client asked for
  TxState st_ = TxState::WaitRequest;
  bool c_readable_ = true, c_writable_ = true, c_eof_ = false, c_err_ = false;
  bool c_hup_ = false;                      // the client's FIN/RST was signalled (EPOLLRDHUP)
  bool buffer_request_ = false;             // option http-buffer-request
  bool buffering_ = false;                  // waiting for the body (http-buffer-request)
  bool continue_sent_ = false;              // we answered Expect: 100-continue ourselves
  bool client_keepalive_ = true, server_keepalive_ = true;
  bool rsp_head_done_ = false, rsp_started_ = false;
  bool soft_stop_ = false;
  uint64_t soft_stop_ms_ = 0;   // when soft_stop() came: bounds the idle linger
  // How long an idle keep-alive connection of a soft-stopping process waits for one more
  // request before closing: min(timeout http-keep-alive, 1 s).
  uint64_t soft_stop_linger_ms() const;
  static constexpr uint64_t kSoftStopIdleLingerMs = 1000;
  bool lingering_ = false;
  bool set_cookie_ = false;                // insert our persistence cookie in the response
  bool first_request_ = true;
  bool conn_reused_ = false;
  bool fresh_connection_ = false;           // the next connect_server() opens a new connection
  // A reused connection closed before any response: resend (idempotent, no body) on a new one.
  bool retry_on_new_connection();
  bool resendable() const;
  bool counted_on_server_ = false;
  bool closed_ = false;
  bool trimmed_ = true;                     // trim_idle() done since the last request
  uint32_t retries_left_ = 0;
  uint32_t requests_ = 0;
  uint64_t tx_start_ms_ = 0, last_c_io_ = 0, last_s_io_ = 0, connect_start_ms_ = 0;
  uint64_t bytes_in_ = 0, bytes_out_ = 0;
  backend::Backend* be_ = nullptr;
  backend::Server* server_ = nullptr;
  sockaddr_storage server_addr_{};
  socklen_t server_addr_len_ = 0;
  std::vector<const lb::Candidate*> tried_;
  uint64_t queue_start_ms_ = 0;
  int64_t tx_wait_ms_ = 0;                  // time this request waited in a queue (Tw)
  bool pick_by_cookie_ = false;
  const StickRules* stick_ = nullptr;       // the backend's stick rules, if any
  StickRules::Prepared stick_prep_;
  std::optional<uint64_t> lb_key_;          // hash key for balance source/uri/hdr
  std::string req_line_;                    // "METHOD target HTTP/1.x", for the log
  http::Method req_method_ = http::Method::Other;   // the method as received (req_line_'s)
  // De-chunking a chunked response for an HTTP/1.0 client.
  enum class Unchunk : uint8_t { Size, SizeLine, Data, DataEnd, Trailer };
  bool dechunk_ = false;
  Unchunk unchunk_st_ = Unchunk::Size;
  uint64_t unchunk_left_ = 0;
  // Rules: the transaction's arena (rewritten values, converter output), its variables and
  // the context rules run in. Reset at each request.
  rules::Arena arena_;
  rules::VarStore txn_vars_;
  AclContext rctx_;
  const rules::ProxyRules* be_rules_ = nullptr;   // the chosen backend's own sets (backend sections)
  ServerConn* sc_ = nullptr;
  core::Watch cwatch_;                      // the client fd's registration
  core::Timer timer_;
  uint16_t status_ = 0;
  std::string cookie_value_;               // persistence cookie value seen in the request
  char cookie_expired_ = 0;                // 'E' (maxidle) or 'O' (maxlife) when ignored
  uint64_t cookie_first_s_ = 0, cookie_last_s_ = 0;
  // access-log bookkeeping for the current transaction
  bool tx_open_ = false;                   // request bytes seen and not logged yet
  char ck_req_ = '-', ck_rsp_ = '-';       // cookie persistence flags (3rd/4th term chars)
  uint64_t head_done_ms_ = 0, connected_ms_ = 0, rsp_head_ms_ = 0;
  uint64_t tx_bytes_out_start_ = 0, tx_bytes_in_start_ = 0;
  uint32_t tx_retries_ = 0;
  bool redispatched_ = false;
  const char* service_ = nullptr;          // "<STATS>" / "<PROMEX>" when sluice answered itself
  std::vector<std::string> req_caps_, rsp_caps_;
  // http-request tarpit: when the held request is answered (0: none), with what.
  uint64_t tarpit_until_ = 0;
  uint16_t tarpit_status_ = 0;
  std::string tarpit_page_;
};

}  // namespace sluice::proxy
