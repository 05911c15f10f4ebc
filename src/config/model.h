// The typed configuration model: what the HAProxy-dialect text becomes after parsing,
// `defaults` merging and validation. app/ builds the runtime from it; nothing else reads
// configuration text. Every keyword the parser accepts lands in a field here: a keyword
// the model has no field for is an error, never silently ignored.
//
// Conventions: durations are milliseconds (HAProxy's unit; `us` values round up to 1 ms);
// std::optional means "not set" (so that defaults can be merged and the engine can apply
// its own default); sizes are bytes.
#pragma once

#include <sys/socket.h>
#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/cidr.h"

namespace sluice::config {

using Millis = std::chrono::milliseconds;

struct SourceLoc {
  std::string file;
  int line = 0;
};

// A network endpoint as written in the configuration, resolved at load time.
struct Address {
  enum class Kind : uint8_t { Inet, Unix, Fd };
  Kind kind = Kind::Inet;
  std::string text;           // as written, for messages and `show servers state`
  std::string host;           // Inet: the host part (empty = any address)
  uint16_t port = 0;          // Inet: 0 = no port given (server: same port as the client's)
  bool port_offset = false;   // server "+N" / "-N" form: port is relative to the client's
  int32_t port_delta = 0;
  std::string path;           // Unix
  int fd = -1;                // Fd (fd@N)
  sockaddr_storage sa{};      // resolved; sa.ss_family == AF_UNSPEC when unresolved (init-addr none)
  socklen_t sa_len = 0;
};

struct Cidr : net::Cidr {     // monitor-net, forwardfor except (parsed by net::parse_cidr)
  std::string text;
};

enum class Mode : uint8_t { Http, Tcp };

struct Timeouts {
  std::optional<Millis> connect, client, server, http_request, http_keep_alive, queue, tunnel,
      check, client_fin, server_fin, tarpit;
};

// ---- ACLs and conditions -------------------------------------------------------------
struct Acl {
  std::string name;            // empty for an anonymous `{ ... }` ACL
  std::string fetch;           // e.g. "path", "path_beg", "hdr(host)", "hdr_beg(host)", "src", "method"
  std::vector<std::string> flags;     // -i, -m beg, -f FILE, ...
  std::vector<std::string> patterns;  // after flags (-f files are loaded by rules/acl.cc)
  SourceLoc loc;
};
struct CondTerm {
  bool negate = false;
  std::string acl_name;        // refers to a named ACL (several ACLs of one name are OR-ed)
  std::optional<Acl> anonymous;
};
// `if|unless` + terms: OR of ANDs, as HAProxy evaluates them.
struct Condition {
  bool unless = false;
  std::vector<std::vector<CondTerm>> any_of;
  SourceLoc loc;
};

// ---- servers -------------------------------------------------------------------------
enum class OnError : uint8_t { FastInter, FailCheck, SuddenDeath, MarkDown };
enum class Observe : uint8_t { None, Layer4, Layer7 };
enum class InitState : uint8_t { Up, Down, FullyUp, FullyDown };   // HAProxy 3.x `init-state`

struct ServerConfig {
  std::string name;
  SourceLoc loc;
  Address addr;
  std::optional<int> id;
  uint32_t weight = 1;               // 0..256
  bool backup = false;
  bool disabled = false;             // starts in MAINT
  std::string cookie;                // `cookie VALUE`; empty = none (the proxy may then use the name)
  uint32_t maxconn = 0, minconn = 0, maxqueue = 0;   // 0 = unlimited / unset
  Millis slowstart{0};
  // health checks
  bool check = false;
  std::optional<uint16_t> check_port;          // `port`
  std::optional<Address> check_addr;           // `addr`
  Millis inter{2000};
  std::optional<Millis> fastinter, downinter;
  uint32_t rise = 2, fall = 3;
  OnError on_error = OnError::FastInter;
  bool on_error_set = false;                   // `on-error` given explicitly
  Observe observe = Observe::None;
  uint32_t error_limit = 10;
  bool on_marked_down_shutdown_sessions = false;
  bool on_marked_up_shutdown_backup_sessions = false;
  bool check_send_proxy = false, check_ssl = false;
  // agent checks
  bool agent_check = false;
  std::optional<uint16_t> agent_port;
  std::optional<Address> agent_addr;
  std::optional<Millis> agent_inter;
  std::string agent_send;
  // addressing
  std::vector<std::string> init_addr;          // last,libc,none,<ip>
  std::optional<InitState> init_state;
  // transport
  bool ssl = false;
  bool ssl_verify_none = false;
  std::string ca_file, sni;
  bool send_proxy = false;
  bool send_proxy_v2 = false;                  // `send-proxy-v2` (added by config/)
  std::string track;                           // `track [BACKEND/]SERVER`
  std::string redir;                           // `redir PREFIX`
};

// `default-server` holds the same fields; servers start as a copy of it.
using DefaultServer = ServerConfig;

// ---- persistence -----------------------------------------------------------------------
struct CookieConfig {
  // Passive: no mode given; the server sets the cookie itself and the proxy only reads it.
  enum class Mode : uint8_t { Passive, Insert, Rewrite, Prefix };
  std::string name;
  Mode mode = Mode::Passive;
  bool indirect = false, nocache = false, postonly = false, preserve = false, httponly = false,
       secure = false, dynamic = false;
  std::vector<std::string> domains;
  std::optional<Millis> maxidle, maxlife;
  std::vector<std::string> attrs;
  SourceLoc loc;
};

struct StickTableConfig {
  enum class Type : uint8_t { Ip, Ipv6, Integer, String, Binary };
  Type type = Type::Ip;
  uint32_t key_len = 32;            // string/binary `len N`
  uint64_t size = 0;                // entries
  std::optional<Millis> expire;
  bool nopurge = false;
  std::vector<std::string> store;   // server_id is implicit; others (conn_cur, ...) recorded
  std::string peers;
  SourceLoc loc;
};
struct StickRule {
  enum class Kind : uint8_t { On, Match, StoreRequest, StoreResponse };
  Kind kind = Kind::On;
  std::string expr;                 // sample fetch, e.g. "src", "req.cook(SESSIONID)"
  std::string table;                // `table NAME`, empty = this proxy's table
  std::optional<Condition> cond;
  SourceLoc loc;
};

// ---- health check definitions at proxy level -------------------------------------------
struct HttpCheckExpect {
  bool negate = false;
  enum class Kind : uint8_t { Status, RStatus, String, RString } kind = Kind::Status;
  std::string pattern;              // status list "200,301-399", regex or string
};
struct TcpCheckRule {
  enum class Kind : uint8_t { Connect, Send, SendBinary, Expect, Comment } kind = Kind::Connect;
  std::optional<uint16_t> port;     // connect port N
  bool ssl = false;                 // connect ssl
  std::string data;                 // send / send-binary (already decoded to bytes)
  bool negate = false;              // expect !
  enum class ExpectKind : uint8_t { String, RString, Binary, RBinary } expect = ExpectKind::String;
  std::string pattern;
  SourceLoc loc;
};
struct CheckConfig {
  enum class Kind : uint8_t { Tcp, Http, SslHello, TcpCheck, Smtp, Mysql, Pgsql, Redis, Ldap };
  Kind kind = Kind::Tcp;
  // option httpchk [METHOD] [URI] [VERSION] and `http-check send`
  std::string method = "OPTIONS";
  std::string uri = "/";
  std::string version = "HTTP/1.0";
  std::vector<std::pair<std::string, std::string>> headers;   // incl. those escaped into VERSION
  std::string body;
  std::vector<HttpCheckExpect> expects;   // empty = 2xx/3xx pass
  bool disable_on_404 = false;
  std::vector<TcpCheckRule> tcp_rules;
  SourceLoc loc;
};

// ---- logging ---------------------------------------------------------------------------
struct LogTarget {
  bool global = false;              // `log global`
  Address addr;                     // udp ADDR[:PORT], unix path, or stdout/stderr (kind Fd, fd 1/2)
  std::string format = "local";     // haproxy 2.6 default; raw | rfc3164 | rfc5424 | short | iso ...
  std::string facility = "local0";
  std::string level, min_level;     // empty = all
  uint32_t max_len = 1024;
  SourceLoc loc;
};
struct Capture {
  bool request = true;
  std::string header;
  uint32_t len = 0;
};

// ---- rules ---------------------------------------------------------------------------
// One line of a rule set (`http-request set-header X %[src] if ok`). The parser keeps the
// action words as written; rules/ compiles them against its action table (at -c as at
// startup), so that parsing and effect of an action sit in one file.
struct Rule {
  std::string set;                  // "http-request", "http-response", "tcp-request content", ...
  std::vector<std::string> words;   // the action and its arguments, up to if/unless
  std::optional<Condition> cond;
  SourceLoc loc;
};

// ---- custom error answers ----------------------------------------------------------------
// One `errorfile`, `errorfiles`, `errorloc*` or `http-error` line. A proxy keeps them in
// configuration order (those inherited from `defaults` first): for each status code the last
// line naming it wins, as in HAProxy. `errorfiles` refers to an `http-errors` section that may
// be declared later, so lines are resolved once every section is read.
struct ErrorReply {
  enum class Kind : uint8_t {
    Page,       // a complete response: errorfile CODE FILE, or http-error status N [errorfile F|file|string|hdr]
    Section,    // errorfiles NAME [CODE...] / http-error status N errorfiles NAME
    Default,    // http-error status N default-errorfiles: forget this proxy's page for N
  };
  Kind kind = Kind::Page;
  uint16_t status = 0;              // Page, Default; Section: 0 = every code of the section
  std::vector<uint16_t> codes;      // Section: the codes listed (empty = all)
  std::string section;              // Section: the http-errors section's name
  std::string page;                 // Page: the full HTTP/1 response bytes (empty = close silently)
  SourceLoc loc;
};

// `http-errors NAME`: errorfile lines shared by proxies through `errorfiles NAME`.
struct HttpErrorsSection {
  std::string name;
  std::map<uint16_t, std::string> pages;   // status -> full HTTP/1 response bytes
  SourceLoc loc;
};

// ---- userlists ---------------------------------------------------------------------------
struct UserlistConfig {
  struct User {
    std::string name;
    enum class Password : uint8_t { None, Hash, Insecure } kind = Password::None;
    std::string password;           // crypt(3) hash, or the clear text for insecure-password
    std::vector<std::string> groups;
    SourceLoc loc;
  };
  struct Group {
    std::string name;
    std::vector<std::string> users;
    SourceLoc loc;
  };
  std::string name;
  std::vector<User> users;
  std::vector<Group> groups;
  SourceLoc loc;
};

struct StatsConfig {
  bool enabled = false;
  std::string uri = "/haproxy?stats";
  std::string realm;
  std::vector<std::string> auth;    // "user:password"
  std::optional<Millis> refresh;
  std::optional<Condition> admin;   // stats admin if COND
  bool hide_version = false, show_legends = false, show_node = false;
  bool set_explicitly = false;
};

struct ForwardFor {
  bool enabled = false;
  std::optional<Cidr> except;
  std::string header = "X-Forwarded-For";
  bool if_none = false;
};

struct UseBackend {
  std::string backend;
  std::optional<Condition> cond;
  SourceLoc loc;
};

enum class Balance : uint8_t { RoundRobin, StaticRR, LeastConn, First, Source, Uri, UrlParam, Hdr,
                               Random };
enum class HashType : uint8_t { MapBased, Consistent };
enum class HttpConnMode : uint8_t { KeepAlive, ServerClose, Close };   // httpclose = Close
enum class HttpReuse : uint8_t { Never, Safe, Aggressive, Always };

struct BindConfig {
  Address addr;
  std::string name;
  std::optional<uint32_t> maxconn, backlog;
  bool v4v6 = false, v6only = false, transparent = false, accept_proxy = false, defer_accept = false;
  bool ssl = false;
  std::vector<std::string> crt;
  std::string alpn;
  std::string interface;
  std::optional<uint32_t> mode;     // unix sockets
  std::string user, group;
  SourceLoc loc;
};

// One section: frontend, backend, listen, or (named) defaults. The parser merges defaults
// into each proxy, so consumers read only the final values here.
struct ProxyConfig {
  enum class Kind : uint8_t { Defaults, Frontend, Backend, Listen };
  Kind kind = Kind::Listen;
  std::string name;
  std::string from;                 // `defaults NAME` used (or "from NAME")
  SourceLoc loc;
  bool disabled = false;
  std::string description;
  std::optional<int> id;

  Mode mode = Mode::Tcp;            // HAProxy's default is tcp
  std::vector<BindConfig> binds;    // frontends and listens
  Timeouts timeouts;
  std::optional<uint32_t> maxconn, fullconn, backlog;
  uint32_t retries = 3;

  // balancing
  Balance balance = Balance::RoundRobin;
  HashType hash_type = HashType::MapBased;
  // hash-type's FUNCTION and avalanche: 0 = sluice's own, 1 sdbm, 2 djb2, 3 wt6, 4 crc32
  // (lb::HashFn's order).
  uint8_t hash_function = 0;
  bool hash_avalanche = false;
  std::string balance_arg;          // hdr(NAME) -> NAME; url_param NAME
  uint32_t uri_len = 0, uri_depth = 0;
  bool uri_whole = false;
  std::vector<ServerConfig> servers;
  std::optional<Address> dispatch;

  // options (std::optional: unset vs explicitly enabled/disabled with `no option X`)
  std::optional<bool> redispatch, persist, allbackups, dontlognull, log_separate_errors,
      http_buffer_request, accept_invalid_http_request, accept_invalid_http_response,
      abortonclose, tcp_smart_accept, tcp_smart_connect, splice_auto, httplog_clf,
      independent_streams, http_ignore_probes, nolinger, tcpka, clitcpka, srvtcpka,
      log_health_checks, contstats, http_pretend_keepalive, http_no_delay,
      http_use_htx, prefer_last_server, socket_stats, dontlog_normal, checkcache, forceclose;
  std::optional<HttpConnMode> http_conn_mode;
  HttpReuse http_reuse = HttpReuse::Safe;
  ForwardFor forwardfor;
  bool httplog = false, tcplog = false;
  std::optional<std::string> log_format;
  SourceLoc log_format_loc;
  std::optional<std::string> unique_id_format;   // unique-id-format (a log-format string)
  SourceLoc unique_id_loc;
  std::string unique_id_header;                  // unique-id-header NAME (empty: none)

  // persistence
  std::optional<CookieConfig> cookie;
  std::optional<StickTableConfig> stick_table;
  std::vector<StickRule> stick_rules;

  // checks
  CheckConfig check;
  DefaultServer default_server;

  // routing and rules
  std::vector<Acl> acls;
  std::string default_backend;
  SourceLoc default_backend_loc;
  std::vector<UseBackend> use_backends;
  std::vector<Rule> rules;          // every rule set, in configuration order
  std::optional<Millis> tcp_request_inspect_delay, tcp_response_inspect_delay;

  // monitoring, logs, stats
  std::vector<Cidr> monitor_net;
  std::string monitor_uri;
  std::vector<Condition> monitor_fail;
  std::vector<LogTarget> logs;
  std::vector<Capture> captures;
  StatsConfig stats;
  std::vector<ErrorReply> errors;   // errorfile/errorfiles/errorloc/http-error, in order

  // state
  enum class LoadState : uint8_t { None, Global, Local };
  std::optional<LoadState> load_server_state_from_file;
  std::string server_state_file_name;
};

struct StatsSocket {
  Address addr;                      // unix path, or ipv4@/ipv6@ address
  std::optional<uint32_t> mode;      // file mode, octal
  std::string user, group;
  std::optional<uint32_t> uid, gid;
  enum class Level : uint8_t { User, Operator, Admin } level = Level::Admin;
  bool expose_fd_listeners = false;
  SourceLoc loc;
};

// `set-var NAME EXPR` / `set-var-fmt NAME FMT` in global: a proc. variable set at load.
struct GlobalSetVar {
  std::string name, value;
  bool fmt = false;
  SourceLoc loc;
};

struct GlobalConfig {
  bool daemon = false, quiet = false, master_worker = false, debug = false;
  bool master_worker_no_exit_on_failure = false;
  uint32_t nbproc = 1;              // accepted for compatibility; sluice runs one process (warned)
  uint32_t nbthread = 1;
  std::optional<uint32_t> maxconn;
  std::string pidfile;
  std::vector<StatsSocket> stats_sockets;
  std::optional<Millis> stats_timeout;
  uint32_t stats_maxconn = 10;
  std::vector<LogTarget> logs;
  std::vector<GlobalSetVar> set_vars;   // in file order: a later one may read an earlier one
  std::string log_tag, log_send_hostname, node, description;
  std::optional<Millis> hard_stop_after, grace;
  std::optional<uint32_t> mworker_max_reloads;
  std::string user, group, chroot;
  std::optional<uint32_t> uid, gid, ulimit_n;
  uint32_t tune_bufsize = 16384;
  uint32_t tune_maxrewrite = 1024;
  uint32_t tune_http_maxhdr = 101;
  std::optional<uint32_t> tune_maxaccept;
  uint32_t spread_checks = 0;       // percent
  std::string server_state_file, server_state_base;
  std::optional<Millis> max_spread_checks;
  std::string ssl_default_bind_ciphers, ssl_default_bind_options, ssl_default_server_ciphers,
      ssl_default_server_options;
  std::optional<uint32_t> tune_ssl_default_dh_param;
  // added by config/: Debian's stock haproxy.cfg uses these
  std::string ssl_default_bind_ciphersuites, ssl_default_server_ciphersuites;
  std::string ca_base, crt_base;
  SourceLoc loc;
};

struct Diagnostic {
  SourceLoc loc;
  std::string message;
  bool warning = false;              // not an error (set for notices too)
  bool notice = false;               // informational only (`.notice`, keywords with no effect)
  std::string format() const;        // "file:line: message" ("warning: " / "notice: " prefixed)
};

struct Config {
  GlobalConfig global;
  std::vector<ProxyConfig> proxies;  // frontends, backends and listens, defaults merged in
  std::vector<std::string> files;    // files read, in order
  std::vector<UserlistConfig> userlists;
  std::vector<HttpErrorsSection> http_errors;

  const ProxyConfig* find_proxy(std::string_view name) const;
  const UserlistConfig* find_userlist(std::string_view name) const;
  const HttpErrorsSection* find_http_errors(std::string_view name) const;
  // The pages a proxy answers with, by status: its error lines applied in order, `errorfiles`
  // resolved against the http-errors sections. A code absent from the map uses the
  // frontend's page (for a backend) or the built-in one.
  std::map<uint16_t, std::string> error_pages(const ProxyConfig& p) const;
};

}  // namespace sluice::config
