// Keywords of frontend / backend / listen / defaults sections.
#include <sys/stat.h>

#include <algorithm>

#include "config/parse_internal.h"
#include "config/removed_keywords.h"
#include "core/regex.h"
#include "http/errors.h"

namespace sluice::config::detail {
namespace {

using W = const std::vector<std::string>&;
using Kind = ProxyConfig::Kind;

// Section capabilities, as HAProxy's PR_CAP_* bits.
constexpr unsigned kDef = 1, kFe = 2, kBe = 4;
constexpr unsigned kAllCap = kDef | kFe | kBe;
constexpr unsigned kFeCap = kDef | kFe;
constexpr unsigned kBeCap = kDef | kBe;

unsigned caps_of(Kind k) {
  switch (k) {
    case Kind::Defaults: return kDef | kFe | kBe;
    case Kind::Frontend: return kFe;
    case Kind::Backend: return kBe;
    case Kind::Listen: return kFe | kBe;
  }
  return 0;
}

Result<void> need(W w, size_t min_args, std::string_view usage) {
  if (w.size() < min_args + 1) return fail(fmt::format("'{}' expects {}", w[0], usage));
  return {};
}
Result<void> exactly(W w, size_t n, std::string_view usage) {
  if (w.size() != n + 1) return fail(fmt::format("'{}' expects {}", w[0], usage));
  return {};
}

Result<std::optional<Condition>> tail_condition(W w, size_t from, const ProxyConfig& p, const SourceLoc& loc,
                                                size_t* end) {
  std::span<const std::string> all(w);
  size_t at = find_condition(all.subspan(from)) + from;
  *end = at;
  if (at >= w.size()) return std::optional<Condition>{};
  auto c = parse_condition(all.subspan(at), p, loc);
  if (!c) return unexpected(c.error());
  return std::optional<Condition>(std::move(*c));
}

// HAProxy reads some durations in seconds when no unit is given (`stats refresh 30`,
// `cookie ... maxidle 3600`); every other duration defaults to milliseconds.
Result<Millis> parse_duration_default_unit(std::string_view v, std::string_view unit) {
  bool bare = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  return parse_duration(bare ? std::string(v) + std::string(unit) : std::string(v));
}

Result<void> set_u32(std::optional<uint32_t>& f, W w) {
  if (auto r = exactly(w, 1, "a number"); !r) return r;
  auto n = parse_uint(w[1]);
  if (!n) return fail(fmt::format("'{}': {}", w[0], n.error().message));
  f = *n;
  return {};
}

// ---- bind --------------------------------------------------------------------------------
Result<void> kw_bind(ProxyConfig& p, const Line& l, Env& env) {
  W w = l.words;
  if (auto r = need(w, 1, "{<path>|[addr]:port[-end]}{,[addr]:port[-end]}... as arguments"); !r) return r;
  BindConfig proto;
  proto.loc = l.loc;
  for (size_t i = 2; i < w.size(); ++i) {
    const std::string& o = w[i];
    auto arg = [&]() -> Result<std::string> {
      if (i + 1 >= w.size()) return fail(fmt::format("bind option '{}' expects an argument", o));
      return w[++i];
    };
    if (o == "v4v6") proto.v4v6 = true;
    else if (o == "v6only") proto.v6only = true;
    else if (o == "transparent") proto.transparent = true;
    else if (o == "defer-accept") proto.defer_accept = true;
    else if (o == "name" || o == "interface" || o == "user" || o == "group") {
      auto a = arg();
      if (!a) return unexpected(a.error());
      if (o == "name") proto.name = *a;
      else if (o == "interface") proto.interface = *a;
      else if (o == "user") proto.user = *a;
      else proto.group = *a;
    } else if (o == "backlog") {
      auto a = arg();
      if (!a) return unexpected(a.error());
      auto n = parse_uint(*a);
      if (!n) return fail(fmt::format("bind option '{}': {}", o, n.error().message));
      proto.backlog = *n;
    } else if (o == "mode") {
      auto a = arg();
      if (!a) return unexpected(a.error());
      auto m = parse_octal_mode(*a);
      if (!m) return fail(fmt::format("bind option 'mode': {}", m.error().message));
      proto.mode = *m;
    } else {
      static constexpr std::string_view kKnown[] = {"v4v6", "v6only", "transparent", "defer-accept",
          "name", "interface", "user", "group", "backlog", "mode"};
      // TLS on a bind would otherwise serve plain text on the TLS port; accept-proxy would
      // take the proxy's address for the client's; a per-bind maxconn would not limit.
      static constexpr std::string_view kLater[] = {"ssl", "crt", "alpn", "accept-proxy", "maxconn", "process", "thread", "tfo", "npn", "ciphers",
          "ciphersuites", "crt-list", "ca-file", "verify", "crl-file", "no-sslv3", "ssl-min-ver",
          "ssl-max-ver", "strict-sni", "prefer-client-ciphers", "curves", "ecdhe", "id", "nice",
          "mss", "namespace", "uid", "gid", "level", "severity-output", "expose-fd", "tcp-ut",
          "allow-0rtt", "accept-netscaler-cip", "generate-certificates", "quic-cc-algo", "proto",
          "no-tls-tickets", "force-tlsv12", "force-tlsv13", "no-tlsv10", "no-tlsv11", "sigalgs"};
      if (std::find(std::begin(kLater), std::end(kLater), o) != std::end(kLater))
        return fail(fmt::format("'bind ... {}' is not supported by sluice yet", o));
      return fail(fmt::format("unknown bind option '{}'{}", o, suggest(o, kKnown)));
    }
  }
  std::string_view list = w[1];
  while (true) {
    size_t comma = list.find(',');
    std::string_view one = list.substr(0, comma);
    auto a = parse_bind_address(one, env.opts.resolve);
    if (!a) return fail(fmt::format("bind: {}", a.error().message));
    for (uint32_t port = a->addr.port; port <= a->last_port; ++port) {
      BindConfig b = proto;
      b.addr = a->addr;
      if (a->addr.kind == Address::Kind::Inet && a->last_port != a->addr.port) {
        b.addr.port = static_cast<uint16_t>(port);
        if (b.addr.sa.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&b.addr.sa)->sin_port = htons(b.addr.port);
        if (b.addr.sa.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&b.addr.sa)->sin6_port = htons(b.addr.port);
      }
      p.binds.push_back(std::move(b));
      if (a->addr.kind != Address::Kind::Inet) break;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return {};
}

// ---- timeouts ------------------------------------------------------------------------------
std::optional<Millis>* timeout_field(Timeouts& t, std::string_view name) {
  if (name == "connect") return &t.connect;
  if (name == "client") return &t.client;
  if (name == "server") return &t.server;
  if (name == "http-request") return &t.http_request;
  if (name == "http-keep-alive") return &t.http_keep_alive;
  if (name == "queue") return &t.queue;
  if (name == "tunnel") return &t.tunnel;
  if (name == "check") return &t.check;
  if (name == "client-fin") return &t.client_fin;
  if (name == "server-fin") return &t.server_fin;
  if (name == "tarpit") return &t.tarpit;
  return nullptr;
}

Result<void> kw_timeout(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (auto r = exactly(w, 2, "<type> <duration> (e.g. 'timeout client 30s')"); !r) return r;
  auto* f = timeout_field(p.timeouts, w[1]);
  if (f == nullptr) {
    static constexpr std::string_view kNames[] = {"connect", "client", "server", "http-request",
        "http-keep-alive", "queue", "tunnel", "check", "client-fin", "server-fin", "tarpit"};
    return fail(fmt::format("unknown timeout '{}'{}", w[1], suggest(w[1], kNames)));
  }
  auto d = parse_duration(w[2]);
  if (!d) return fail(fmt::format("timeout {}: {}", w[1], d.error().message));
  *f = *d;
  return {};
}

Result<void> kw_old_timeout(ProxyConfig& p, const Line& l, Env& env) {
  W w = l.words;
  if (auto r = exactly(w, 1, "a duration"); !r) return r;
  auto d = parse_duration(w[1]);
  if (!d) return fail(fmt::format("'{}': {}", w[0], d.error().message));
  std::string_view modern = w[0] == "contimeout" ? "connect" : w[0] == "clitimeout" ? "client" : "server";
  *timeout_field(p.timeouts, modern) = *d;
  env.diags.warning(l.loc, fmt::format("'{}' is deprecated (HAProxy 1.x); use 'timeout {}'", w[0], modern));
  return {};
}

// ---- balance ------------------------------------------------------------------------------
Result<void> kw_balance(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (auto r = need(w, 1, "an algorithm"); !r) return r;
  const std::string& a = w[1];
  p.balance_arg.clear();
  p.uri_len = p.uri_depth = 0;
  p.uri_whole = false;
  if (a == "roundrobin") p.balance = Balance::RoundRobin;
  else if (a == "static-rr") p.balance = Balance::StaticRR;
  else if (a == "leastconn") p.balance = Balance::LeastConn;
  else if (a == "first") p.balance = Balance::First;
  else if (a == "source") p.balance = Balance::Source;
  else if (a == "random" || a == "random(1)") p.balance = Balance::Random;
  else if (a.starts_with("random("))
    return fail(fmt::format("'balance {}' is not supported by sluice yet (sluice draws once: 'random' or 'random(1)')", a));
  else if (a == "uri") {
    p.balance = Balance::Uri;
    for (size_t i = 2; i < w.size(); ++i) {
      if (w[i] == "whole") p.uri_whole = true;
      else if ((w[i] == "len" || w[i] == "depth") && i + 1 < w.size()) {
        auto n = parse_uint(w[i + 1]);
        if (!n) return fail(fmt::format("balance uri {}: {}", w[i], n.error().message));
        (w[i] == "len" ? p.uri_len : p.uri_depth) = *n;
        ++i;
      } else return fail(fmt::format("balance uri: unexpected '{}' (expects whole, len N, depth N)", w[i]));
    }
    return {};
  } else if (a == "url_param") {
    if (w.size() < 3) return fail("'balance url_param' expects a parameter name");
    p.balance = Balance::UrlParam;
    p.balance_arg = w[2];
    if (w.size() > 3 && w[3] == "check_post") return fail("'balance url_param ... check_post' is not supported by sluice yet");
    if (w.size() > 3) return fail(fmt::format("balance url_param: unexpected '{}'", w[3]));
    return {};
  } else if (a.starts_with("hdr(") && a.ends_with(")") && a.size() > 5) {
    p.balance = Balance::Hdr;
    p.balance_arg = a.substr(4, a.size() - 5);
    if (w.size() > 2 && w[2] == "use_domain_only") return fail("'balance hdr(...) use_domain_only' is not supported by sluice yet");
    if (w.size() > 2) return fail(fmt::format("balance hdr: unexpected '{}'", w[2]));
    return {};
  } else {
    static constexpr std::string_view kAlgos[] = {"roundrobin", "static-rr", "leastconn", "first",
                                                  "source", "uri", "url_param", "hdr(name)", "random"};
    if (a.starts_with("rdp-cookie") || a == "hash")
      return fail(fmt::format("'balance {}' is not supported by sluice yet", a));
    return fail(fmt::format("unknown balance algorithm '{}'{}", a, suggest(a, kAlgos)));
  }
  if (w.size() > 2) return fail(fmt::format("balance {}: unexpected argument '{}'", a, w[2]));
  return {};
}

Result<void> kw_hash_type(ProxyConfig& p, const Line& l, Env& env) {
  W w = l.words;
  if (auto r = need(w, 1, "map-based or consistent [function] [modifier]"); !r) return r;
  if (w[1] == "map-based") p.hash_type = HashType::MapBased;
  else if (w[1] == "consistent") p.hash_type = HashType::Consistent;
  else return fail(fmt::format("'hash-type' expects map-based or consistent, got '{}'", w[1]));
  static constexpr std::string_view kFns[] = {"sdbm", "djb2", "wt6", "crc32"};
  p.hash_function = 0;
  p.hash_avalanche = false;
  if (w.size() > 2) {
    auto it = std::find(std::begin(kFns), std::end(kFns), w[2]);
    if (it == std::end(kFns)) return fail(fmt::format("hash-type: unknown hash function '{}'", w[2]));
    p.hash_function = static_cast<uint8_t>(1 + (it - std::begin(kFns)));
  }
  if (w.size() > 3 && w[3] != "avalanche") return fail(fmt::format("hash-type: unknown modifier '{}'", w[3]));
  if (w.size() > 4) return fail(fmt::format("hash-type: unexpected '{}'", w[4]));
  p.hash_avalanche = w.size() > 3;
  (void)env;
  return {};
}

// ---- cookie -------------------------------------------------------------------------------
Result<void> kw_cookie(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (auto r = need(w, 1, "<name> [rewrite|insert|prefix] [options]"); !r) return r;
  CookieConfig c;
  c.name = w[1];
  c.loc = l.loc;
  for (size_t i = 2; i < w.size(); ++i) {
    const std::string& o = w[i];
    auto set_mode = [&](CookieConfig::Mode m) -> Result<void> {
      if (c.mode != CookieConfig::Mode::Passive)
        return fail("cookie: only one of 'rewrite', 'insert' and 'prefix' may be given");
      c.mode = m;
      return {};
    };
    Result<void> r;
    if (o == "rewrite") r = set_mode(CookieConfig::Mode::Rewrite);
    else if (o == "insert") r = set_mode(CookieConfig::Mode::Insert);
    else if (o == "prefix") r = set_mode(CookieConfig::Mode::Prefix);
    else if (o == "indirect") c.indirect = true;
    else if (o == "nocache") c.nocache = true;
    else if (o == "postonly") c.postonly = true;
    else if (o == "preserve") c.preserve = true;
    else if (o == "httponly") c.httponly = true;
    else if (o == "secure") c.secure = true;
    else if (o == "dynamic") return fail("'cookie ... dynamic' is not supported by sluice yet");
    else if (o == "domain" || o == "attr" || o == "maxidle" || o == "maxlife") {
      if (i + 1 >= w.size()) return fail(fmt::format("cookie: '{}' expects an argument", o));
      const std::string& v = w[++i];
      if (o == "domain") c.domains.push_back(v);
      else if (o == "attr") c.attrs.push_back(v);
      else {
        auto d = parse_duration_default_unit(v, "s");   // the manual: in seconds by default
        if (!d) return fail(fmt::format("cookie {}: {}", o, d.error().message));
        (o == "maxidle" ? c.maxidle : c.maxlife) = *d;
      }
    } else {
      static constexpr std::string_view kOpts[] = {"rewrite", "insert", "prefix", "indirect", "nocache",
          "postonly", "preserve", "httponly", "secure", "domain", "maxidle", "maxlife", "attr", "dynamic"};
      return fail(fmt::format("cookie: unknown option '{}'{}", o, suggest(o, kOpts)));
    }
    if (!r) return r;
  }
  if ((c.maxidle || c.maxlife) && c.mode != CookieConfig::Mode::Insert)
    return fail("cookie: 'maxidle' and 'maxlife' need 'insert' mode");
  if (c.preserve && c.mode != CookieConfig::Mode::Insert)
    return fail("cookie: 'preserve' needs 'insert' mode");
  p.cookie = std::move(c);
  return {};
}

// ---- stick tables -------------------------------------------------------------------------
Result<void> kw_stick_table(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  StickTableConfig t;
  t.loc = l.loc;
  bool have_type = false, have_size = false;
  for (size_t i = 1; i < w.size(); ++i) {
    const std::string& o = w[i];
    if (o == "nopurge") { t.nopurge = true; continue; }
    if (i + 1 >= w.size()) return fail(fmt::format("stick-table: '{}' expects an argument", o));
    const std::string& v = w[++i];
    if (o == "type") {
      have_type = true;
      if (v == "ip") t.type = StickTableConfig::Type::Ip;
      else if (v == "ipv6") t.type = StickTableConfig::Type::Ipv6;
      else if (v == "integer") t.type = StickTableConfig::Type::Integer;
      else if (v == "string") t.type = StickTableConfig::Type::String;
      else if (v == "binary") t.type = StickTableConfig::Type::Binary;
      else return fail(fmt::format("stick-table: unknown type '{}' (ip, ipv6, integer, string, binary)", v));
      if (i + 2 < w.size() && w[i + 1] == "len") {
        if (t.type != StickTableConfig::Type::String && t.type != StickTableConfig::Type::Binary)
          return fail("stick-table: 'len' is only valid for string and binary types");
        auto n = parse_uint(w[i + 2], 65535);
        if (!n || *n == 0) return fail(fmt::format("stick-table: invalid len '{}'", w[i + 2]));
        t.key_len = *n;
        i += 2;
      }
    } else if (o == "size") {
      auto n = parse_size(v);
      if (!n || *n == 0) return fail(fmt::format("stick-table: invalid size '{}'", v));
      t.size = *n;
      have_size = true;
    } else if (o == "expire") {
      auto d = parse_duration(v);
      if (!d) return fail(fmt::format("stick-table expire: {}", d.error().message));
      t.expire = *d;
    } else if (o == "peers") {
      return fail("'stick-table ... peers' is not supported by sluice yet");
    } else if (o == "store") {
      // server_id is what sluice stores anyway; the counters (conn_cur, gpc0, ...) need
      // the tracking rules that sluice does not implement yet.
      std::string_view s = v;
      while (!s.empty()) {
        size_t comma = s.find(',');
        std::string_view one = s.substr(0, comma);
        if (one != "server_id")
          return fail(fmt::format("'stick-table ... store {}' is not supported by sluice yet", one));
        t.store.emplace_back(one);
        s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
      }
    } else {
      return fail(fmt::format("stick-table: unknown argument '{}'", o));
    }
  }
  if (!have_type) return fail("stick-table: missing 'type'");
  if (!have_size) return fail("stick-table: missing 'size'");
  p.stick_table = std::move(t);
  return {};
}

Result<void> kw_stick(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (auto r = need(w, 2, "on|match|store-request|store-response <pattern> [table <t>] [if|unless <cond>]"); !r) return r;
  StickRule s;
  s.loc = l.loc;
  if (w[1] == "on") s.kind = StickRule::Kind::On;
  else if (w[1] == "match") s.kind = StickRule::Kind::Match;
  else if (w[1] == "store-request") s.kind = StickRule::Kind::StoreRequest;
  else if (w[1] == "store-response") s.kind = StickRule::Kind::StoreResponse;
  else return fail(fmt::format("'stick' expects on, match, store-request or store-response, got '{}'", w[1]));
  s.expr = w[2];
  size_t end = 0;
  auto c = tail_condition(w, 3, p, l.loc, &end);
  if (!c) return unexpected(c.error());
  s.cond = std::move(*c);
  for (size_t i = 3; i < end; ++i) {
    if (w[i] == "table" && i + 1 < end) s.table = w[++i];
    else return fail(fmt::format("stick {}: unexpected '{}'", w[1], w[i]));
  }
  p.stick_rules.push_back(std::move(s));
  return {};
}

// ---- health checks ------------------------------------------------------------------------
void split_version_headers(CheckConfig& c, const std::string& v) {
  // `HTTP/1.1\r\nHost:\ example.com`: the lexer already decoded the escapes.
  size_t pos = v.find("\r\n");
  c.version = v.substr(0, pos);
  c.headers.clear();
  while (pos != std::string::npos) {
    size_t start = pos + 2;
    pos = v.find("\r\n", start);
    std::string h = v.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
    if (h.empty()) continue;
    size_t colon = h.find(':');
    std::string name = h.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : h.substr(colon + 1);
    size_t b = value.find_first_not_of(" \t");
    value = b == std::string::npos ? "" : value.substr(b);
    c.headers.emplace_back(std::move(name), std::move(value));
  }
}

Result<void> kw_http_check(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (auto r = need(w, 1, "disable-on-404, send, expect or comment"); !r) return r;
  CheckConfig& c = p.check;
  if (w[1] == "disable-on-404") {
    c.disable_on_404 = true;
    return {};
  }
  if (w[1] == "send") {
    for (size_t i = 2; i < w.size(); ++i) {
      const std::string& o = w[i];
      if (i + 1 >= w.size()) return fail(fmt::format("http-check send: '{}' expects an argument", o));
      if (o == "meth") c.method = w[++i];
      else if (o == "uri") c.uri = w[++i];
      else if (o == "ver") split_version_headers(c, w[++i]);
      else if (o == "body") c.body = w[++i];
      else if (o == "hdr") {
        if (i + 2 >= w.size()) return fail("http-check send: 'hdr' expects a name and a value");
        c.headers.emplace_back(w[i + 1], w[i + 2]);
        i += 2;
      } else if (o == "comment") ++i;
      else return fail(fmt::format("http-check send: unknown argument '{}' (meth, uri, ver, hdr, body)", o));
    }
    return {};
  }
  if (w[1] == "expect") {
    HttpCheckExpect e;
    size_t i = 2;
    while (i < w.size() && w[i] == "comment") i += 2;
    if (i < w.size() && (w[i] == "min-recv" || w[i] == "ok-status" || w[i] == "error-status" ||
                         w[i] == "tout-status" || w[i] == "on-success" || w[i] == "on-error" ||
                         w[i] == "status-code"))
      return fail(fmt::format("'http-check expect ... {}' is not supported by sluice yet", w[i]));
    if (i < w.size() && w[i] == "!") { e.negate = true; ++i; }
    if (i + 2 != w.size()) return fail("'http-check expect' expects [!] status|rstatus|string|rstring <pattern>");
    const std::string& k = w[i];
    if (k == "status") e.kind = HttpCheckExpect::Kind::Status;
    else if (k == "rstatus") e.kind = HttpCheckExpect::Kind::RStatus;
    else if (k == "string") e.kind = HttpCheckExpect::Kind::String;
    else if (k == "rstring") e.kind = HttpCheckExpect::Kind::RString;
    else return fail(fmt::format("http-check expect: '{}' is not supported (status, rstatus, string, rstring)", k));
    e.pattern = w[i + 1];
    if (e.kind == HttpCheckExpect::Kind::RStatus || e.kind == HttpCheckExpect::Kind::RString)
      if (auto re = core::Regex::compile(e.pattern); !re) return fail(re.error().message);
    c.expects.push_back(std::move(e));
    return {};
  }
  if (w[1] == "comment") return {};
  if (w[1] == "connect" || w[1] == "set-var" || w[1] == "unset-var" || w[1] == "send-state")
    return fail(fmt::format("'http-check {}' is not supported by sluice yet", w[1]));
  return fail(fmt::format("unknown 'http-check' directive '{}' (disable-on-404, send, expect)", w[1]));
}

Result<std::string> decode_hex(std::string_view h) {
  if (h.size() % 2) return fail(fmt::format("odd number of hex digits in '{}'", h));
  std::string out;
  for (size_t i = 0; i < h.size(); i += 2) {
    int v = 0;
    for (int k = 0; k < 2; ++k) {
      char ch = h[i + k];
      int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
              : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
      if (d < 0) return fail(fmt::format("invalid hex digit in '{}'", h));
      v = v * 16 + d;
    }
    out += static_cast<char>(v);
  }
  return out;
}

Result<void> kw_tcp_check(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (auto r = need(w, 1, "connect, send, send-binary, expect or comment"); !r) return r;
  TcpCheckRule t;
  t.loc = l.loc;
  const std::string& d = w[1];
  if (d == "connect") {
    t.kind = TcpCheckRule::Kind::Connect;
    for (size_t i = 2; i < w.size(); ++i) {
      if (w[i] == "ssl") return fail("'tcp-check connect ... ssl' is not supported by sluice yet");
      else if (w[i] == "port" && i + 1 < w.size()) {
        auto n = parse_uint(w[++i], 65535);
        if (!n || *n == 0) return fail(fmt::format("tcp-check connect: invalid port '{}'", w[i]));
        t.port = static_cast<uint16_t>(*n);
      } else if (w[i] == "comment" && i + 1 < w.size()) ++i;
      else return fail(fmt::format("'tcp-check connect ... {}' is not supported by sluice yet", w[i]));
    }
  } else if (d == "send" || d == "send-binary") {
    if (w.size() < 3) return fail(fmt::format("'tcp-check {}' expects data", d));
    if (w.size() > 3 && !(w.size() == 5 && w[3] == "comment"))
      return fail(fmt::format("'tcp-check {}' expects one data argument (quote it)", d));
    t.kind = d == "send" ? TcpCheckRule::Kind::Send : TcpCheckRule::Kind::SendBinary;
    if (d == "send") t.data = w[2];
    else {
      auto b = decode_hex(w[2]);
      if (!b) return fail(fmt::format("tcp-check send-binary: {}", b.error().message));
      t.data = *b;
    }
  } else if (d == "expect") {
    t.kind = TcpCheckRule::Kind::Expect;
    size_t i = 2;
    while (i + 1 < w.size() && w[i] == "comment") i += 2;
    if (i < w.size() && (w[i] == "min-recv" || w[i] == "on-success" || w[i] == "on-error" ||
                         w[i] == "error-status" || w[i] == "ok-status" || w[i] == "tout-status" ||
                         w[i] == "status-code"))
      return fail(fmt::format("'tcp-check expect ... {}' is not supported by sluice yet", w[i]));
    if (i < w.size() && w[i] == "!") { t.negate = true; ++i; }
    if (i + 2 != w.size()) return fail("'tcp-check expect' expects [!] string|rstring|binary|rbinary <pattern>");
    const std::string& k = w[i];
    if (k == "string") t.expect = TcpCheckRule::ExpectKind::String;
    else if (k == "rstring") t.expect = TcpCheckRule::ExpectKind::RString;
    else if (k == "binary") t.expect = TcpCheckRule::ExpectKind::Binary;
    else if (k == "rbinary") t.expect = TcpCheckRule::ExpectKind::RBinary;
    else return fail(fmt::format("tcp-check expect: unknown match '{}' (string, rstring, binary, rbinary)", k));
    t.pattern = w[i + 1];
    if (t.expect == TcpCheckRule::ExpectKind::RString || t.expect == TcpCheckRule::ExpectKind::RBinary)
      if (auto re = core::Regex::compile(t.pattern); !re) return fail(re.error().message);
    if (t.expect == TcpCheckRule::ExpectKind::Binary) {
      auto b = decode_hex(t.pattern);
      if (!b) return fail(fmt::format("tcp-check expect binary: {}", b.error().message));
      t.pattern = *b;
    }
  } else if (d == "comment") {
    t.kind = TcpCheckRule::Kind::Comment;
    t.data = join(std::span(w).subspan(2));
  } else {
    return fail(fmt::format("unknown 'tcp-check' directive '{}' (connect, send, send-binary, expect, comment)", d));
  }
  p.check.tcp_rules.push_back(std::move(t));
  return {};
}


// ---- options -------------------------------------------------------------------------------
struct BoolOption {
  std::string_view name;
  std::optional<bool> ProxyConfig::*field;   // nullptr: nothing to record
  unsigned caps;
  bool http_only;
  std::string_view notice;                    // set: accepted with no effect, for this reason
};
constexpr std::string_view kNoSplice = "sluice does not splice; data is copied through user space";
constexpr std::string_view kSmart = "pure TCP tuning (one ACK saved); sluice has no equivalent";
constexpr BoolOption kBoolOptions[] = {
    {"redispatch", &ProxyConfig::redispatch, kBeCap, false, {}},
    {"persist", &ProxyConfig::persist, kBeCap, false, {}},
    {"allbackups", &ProxyConfig::allbackups, kBeCap, false, {}},
    {"dontlognull", &ProxyConfig::dontlognull, kFeCap, false, {}},
    {"log-separate-errors", &ProxyConfig::log_separate_errors, kFeCap, false, {}},
    {"http-buffer-request", &ProxyConfig::http_buffer_request, kAllCap, true, {}},
    {"accept-invalid-http-request", &ProxyConfig::accept_invalid_http_request, kFeCap, true, {}},
    {"accept-invalid-http-response", &ProxyConfig::accept_invalid_http_response, kBeCap, true, {}},
    {"nolinger", &ProxyConfig::nolinger, kAllCap, false, {}},
    {"tcpka", &ProxyConfig::tcpka, kAllCap, false, {}},
    {"clitcpka", &ProxyConfig::clitcpka, kFeCap, false, {}},
    {"srvtcpka", &ProxyConfig::srvtcpka, kBeCap, false, {}},
    {"dontlog-normal", &ProxyConfig::dontlog_normal, kFeCap, false, {}},
    {"forceclose", &ProxyConfig::forceclose, kAllCap, true, {}},
    {"tcp-smart-accept", &ProxyConfig::tcp_smart_accept, kFeCap, false, kSmart},
    {"tcp-smart-connect", &ProxyConfig::tcp_smart_connect, kBeCap, false, kSmart},
    {"splice-auto", &ProxyConfig::splice_auto, kAllCap, false, kNoSplice},
    {"splice-request", nullptr, kAllCap, false, kNoSplice},
    {"splice-response", nullptr, kAllCap, false, kNoSplice},
    {"http-no-delay", &ProxyConfig::http_no_delay, kAllCap, true, "sluice always sends without delay (TCP_NODELAY)"},
    {"http-use-htx", &ProxyConfig::http_use_htx, kAllCap, false, "HTX is HAProxy's internal message format; ignored since HAProxy 2.1"},
};
// Options off by default whose behaviour sluice does not implement: `option X` is an error,
// `no option X` (the default) is accepted.
constexpr std::string_view kLaterBoolOptions[] = {"abortonclose", "independent-streams",
    "http-ignore-probes", "log-health-checks", "contstats", "http-pretend-keepalive",
    "prefer-last-server", "socket-stats", "checkcache", "logasap", "originalto", "transparent",
    "httpslog", "disable-h2-upgrade", "idle-close-on-response",
    "h1-case-adjust-bogus-client", "h1-case-adjust-bogus-server"};
constexpr std::string_view kSpecialOptions[] = {"httplog", "tcplog", "httpclose", "http-server-close",
    "http-keep-alive", "forwardfor", "httpchk", "ssl-hello-chk", "tcp-check", "smtpchk", "mysql-check",
    "pgsql-check", "redis-check", "ldap-check"};
constexpr std::string_view kLaterOptions[] = {"http-restrict-req-hdr-names", "spop-check",
    "external-check", "tcp-smart-connect2"};

Result<void> kw_option(ProxyConfig& p, const Line& l, Env& env, bool negated) {
  std::span<const std::string> w(l.words);
  if (negated) w = w.subspan(1);
  if (w.size() < 2) return fail("'option' expects an option name");
  const std::string& name = w[1];
  for (const auto& o : kBoolOptions) {
    if (o.name != name) continue;
    if (w.size() > 2) return fail(fmt::format("'option {}' takes no argument", name));
    if (o.field != nullptr) p.*(o.field) = !negated;
    if (!o.notice.empty() && !negated)
      env.diags.notice(l.loc, fmt::format("'option {}' has no effect in sluice ({})", name, o.notice));
    if (name == "forceclose" && !negated) {
      p.http_conn_mode = HttpConnMode::Close;
      env.diags.warning(l.loc, "'option forceclose' is deprecated; it is handled as 'option httpclose'");
    }
    return {};
  }
  auto no_args = [&]() -> Result<void> {
    if (w.size() > 2) return fail(fmt::format("'option {}' takes no argument", name));
    return {};
  };
  if (name == "httplog") {
    if (w.size() > 3 || (w.size() == 3 && w[2] != "clf")) return fail("'option httplog' only accepts 'clf'");
    p.httplog = !negated;
    if (!negated) p.tcplog = false;
    p.httplog_clf = !negated && w.size() == 3;
    return {};
  }
  if (name == "tcplog") {
    if (auto r = no_args(); !r) return r;
    p.tcplog = !negated;
    if (!negated) p.httplog = false;
    return {};
  }
  if (name == "httpclose" || name == "http-server-close" || name == "http-keep-alive") {
    if (auto r = no_args(); !r) return r;
    HttpConnMode m = name == "httpclose" ? HttpConnMode::Close
                     : name == "http-server-close" ? HttpConnMode::ServerClose : HttpConnMode::KeepAlive;
    if (!negated) p.http_conn_mode = m;
    else if (p.http_conn_mode == m) p.http_conn_mode.reset();
    return {};
  }
  if (name == "forwardfor") {
    if (negated) {
      p.forwardfor = ForwardFor{};
      return {};
    }
    ForwardFor f;
    f.enabled = true;
    for (size_t i = 2; i < w.size(); ++i) {
      if (w[i] == "if-none") f.if_none = true;
      else if ((w[i] == "except" || w[i] == "header") && i + 1 < w.size()) {
        if (w[i] == "header") f.header = w[++i];
        else {
          auto c = parse_cidr(w[++i]);
          if (!c) return fail(fmt::format("option forwardfor except: {}", c.error().message));
          f.except = *c;
        }
      } else return fail(fmt::format("option forwardfor: unexpected '{}' (except NET, header NAME, if-none)", w[i]));
    }
    p.forwardfor = f;
    return {};
  }
  using CK = CheckConfig::Kind;
  auto set_check = [&](CK k) -> Result<void> {
    if (negated) {
      if (p.check.kind == k) p.check.kind = CK::Tcp;
      return {};
    }
    p.check.kind = k;
    p.check.loc = l.loc;
    return {};
  };
  if (name == "httpchk") {
    if (w.size() > 5) return fail("'option httpchk' expects [<method>] [<uri>] [<version>]");
    if (auto r = set_check(CK::Http); !r || negated) return r;
    if (w.size() == 3) p.check.uri = w[2];
    if (w.size() >= 4) { p.check.method = w[2]; p.check.uri = w[3]; }
    if (w.size() == 5) split_version_headers(p.check, w[4]);
    return {};
  }
  if (name == "ssl-hello-chk") { if (auto r = no_args(); !r) return r; return set_check(CK::SslHello); }
  if (name == "tcp-check") { if (auto r = no_args(); !r) return r; return set_check(CK::TcpCheck); }
  if (name == "smtpchk") return set_check(CK::Smtp);
  if (name == "mysql-check") return set_check(CK::Mysql);
  if (name == "pgsql-check") return set_check(CK::Pgsql);
  if (name == "redis-check") return set_check(CK::Redis);
  if (name == "ldap-check") return set_check(CK::Ldap);
  if (std::find(std::begin(kLaterBoolOptions), std::end(kLaterBoolOptions), name) != std::end(kLaterBoolOptions)) {
    if (negated && w.size() == 2) return {};   // off is HAProxy's default, and what sluice does
    return fail(fmt::format("'option {}' is not supported by sluice yet", name));
  }
  if (std::find(std::begin(kLaterOptions), std::end(kLaterOptions), name) != std::end(kLaterOptions))
    return fail(fmt::format("'option {}' is not supported by sluice yet", name));
  std::vector<std::string_view> all(std::begin(kSpecialOptions), std::end(kSpecialOptions));
  for (const auto& o : kBoolOptions) all.push_back(o.name);
  all.insert(all.end(), std::begin(kLaterBoolOptions), std::end(kLaterBoolOptions));
  return fail(fmt::format("unknown option '{}'{}", name, suggest(name, all)));
}

// ---- logging -------------------------------------------------------------------------------
constexpr std::string_view kFacilities[] = {"kern", "user", "mail", "daemon", "auth", "syslog", "lpr",
    "news", "uucp", "cron", "auth2", "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1",
    "local2", "local3", "local4", "local5", "local6", "local7"};
constexpr std::string_view kLevels[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};

bool in(std::span<const std::string_view> set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

}  // namespace

Result<LogTarget> parse_log(Words w, const SourceLoc& loc, bool resolve) {
  LogTarget t;
  t.loc = loc;
  if (w.size() < 2) return fail("'log' expects 'global' or <address> [len N] [format F] <facility> [level [minlevel]]");
  if (w[1] == "global") {
    if (w.size() > 2) return fail("'log global' takes no argument");
    t.global = true;
    return t;
  }
  std::string_view a = w[1];
  if (a == "stdout" || a == "stderr") {
    t.addr.kind = Address::Kind::Fd;
    t.addr.fd = a == "stdout" ? 1 : 2;
    t.addr.text = std::string(a);
  } else {
    bool udp = a.starts_with("udp@") || a.starts_with("udp4@") || a.starts_with("udp6@");
    std::string at(a);
    if (udp) at = (a.starts_with("udp6@") ? "ipv6@" : "ipv4@") + at.substr(at.find('@') + 1);
    if (a.starts_with("udp@")) at = at.substr(5);
    auto r = parse_address(at, false, resolve);
    if (!r) return fail(fmt::format("log: {}", r.error().message));
    t.addr = *r;
    t.addr.text = std::string(a);
    if (t.addr.kind == Address::Kind::Inet && t.addr.port == 0) {
      t.addr.port = 514;
      if (t.addr.sa.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&t.addr.sa)->sin_port = htons(514);
      if (t.addr.sa.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&t.addr.sa)->sin6_port = htons(514);
    }
  }
  size_t i = 2;
  while (i + 1 < w.size() && (w[i] == "len" || w[i] == "format" || w[i] == "sample")) {
    if (w[i] == "len") {
      auto n = parse_uint(w[i + 1], 65535);
      if (!n || *n < 80) return fail(fmt::format("log: invalid len '{}' (80..65535)", w[i + 1]));
      t.max_len = *n;
    } else if (w[i] == "format") {
      static constexpr std::string_view kFormats[] = {"local", "rfc3164", "rfc5424", "priority", "short",
                                                      "timed", "iso", "raw"};
      if (!in(kFormats, w[i + 1])) return fail(fmt::format("log: unknown format '{}'{}", w[i + 1], suggest(w[i + 1], kFormats)));
      t.format = w[i + 1];
    } else {
      return fail("log: 'sample' is not supported by sluice yet");
    }
    i += 2;
  }
  if (i >= w.size()) return fail("log: missing facility");
  if (!in(kFacilities, w[i])) return fail(fmt::format("log: unknown facility '{}'{}", w[i], suggest(w[i], kFacilities)));
  t.facility = w[i++];
  if (i < w.size()) {
    if (!in(kLevels, w[i])) return fail(fmt::format("log: unknown level '{}'{}", w[i], suggest(w[i], kLevels)));
    t.level = w[i++];
  }
  if (i < w.size()) {
    if (!in(kLevels, w[i])) return fail(fmt::format("log: unknown minimum level '{}'{}", w[i], suggest(w[i], kLevels)));
    t.min_level = w[i++];
  }
  if (i < w.size()) return fail(fmt::format("log: unexpected '{}'", w[i]));
  return t;
}

namespace {

Result<void> kw_log(ProxyConfig& p, const Line& l, Env& env) {
  auto t = parse_log(l.words, l.loc, env.opts.resolve);
  if (!t) return unexpected(t.error());
  p.logs.push_back(std::move(*t));
  return {};
}

Result<void> kw_capture(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (w.size() != 6 || (w[1] != "request" && w[1] != "response") || w[2] != "header" || w[4] != "len") {
    if (w.size() > 1 && w[1] == "cookie") return fail("'capture cookie' is not supported by sluice yet");
    return fail("'capture' expects request|response header <name> len <length>");
  }
  auto n = parse_uint(w[5], 65535);
  if (!n || *n == 0) return fail(fmt::format("capture: invalid len '{}'", w[5]));
  p.captures.push_back({w[1] == "request", w[3], *n});
  return {};
}

// ---- stats -------------------------------------------------------------------------------
Result<void> kw_stats(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (auto r = need(w, 1, "a sub-keyword (enable, uri, realm, auth, refresh, admin, hide-version, ...)"); !r) return r;
  StatsConfig& s = p.stats;
  const std::string& k = w[1];
  auto one = [&]() -> Result<void> {
    if (w.size() < 3) return fail(fmt::format("'stats {}' expects an argument", k));
    return {};
  };
  if (k == "enable") s.enabled = true;
  else if (k == "disable") s.enabled = false;
  else if (k == "uri") { if (auto r = one(); !r) return r; s.uri = w[2]; s.enabled = true; }
  else if (k == "realm") { if (auto r = one(); !r) return r; s.realm = join(std::span(w).subspan(2)); s.enabled = true; }
  else if (k == "auth") {
    if (auto r = one(); !r) return r;
    if (w[2].find(':') == std::string::npos) return fail("'stats auth' expects <user>:<password>");
    s.auth.push_back(w[2]);
    s.enabled = true;
  } else if (k == "refresh") {
    if (auto r = one(); !r) return r;
    if (w.size() > 3) return fail(fmt::format("stats refresh: unexpected '{}'", w[3]));
    auto d = parse_duration_default_unit(w[2], "s");   // the manual: in seconds
    if (!d) return fail(fmt::format("stats refresh: {}", d.error().message));
    s.refresh = *d;
    s.enabled = true;
  } else if (k == "admin") {
    if (w.size() < 4 || (w[2] != "if" && w[2] != "unless")) return fail("'stats admin' expects if|unless <condition>");
    auto c = parse_condition(std::span(w).subspan(2), p, l.loc);
    if (!c) return unexpected(c.error());
    s.admin = std::move(*c);
  } else if (k == "hide-version") s.hide_version = true, s.enabled = true;
  else if (k == "socket" || k == "timeout" || k == "maxconn" || k == "bind-process")
    return fail(fmt::format("'stats {}' is only valid in the 'global' section", k));
  else if (k == "scope" || k == "show-desc" || k == "http-request" || k == "show-legends" || k == "show-node" ||
           k == "show-modules")
    return fail(fmt::format("'stats {}' is not supported by sluice yet", k));
  else {
    static constexpr std::string_view kSubs[] = {"enable", "disable", "uri", "realm", "auth", "refresh",
                                                 "admin", "hide-version"};
    return fail(fmt::format("unknown 'stats' keyword '{}'{}", k, suggest(k, kSubs)));
  }
  s.set_explicitly = true;
  return {};
}

// ---- rule sets ---------------------------------------------------------------------------
// http-request, http-response, http-after-response, tcp-request connection|session|content,
// tcp-response content: the action words and the condition are kept here and compiled by
// rules/ against its action table (Runtime::build, which -c runs too).
Result<void> kw_rule(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  Rule rule;
  rule.loc = l.loc;
  size_t first = 1;
  if (w[0] == "tcp-request" || w[0] == "tcp-response") {
    if (auto r = need(w, 1, w[0] == "tcp-request" ? "connection|session|content|inspect-delay" : "content|inspect-delay");
        !r)
      return r;
    const std::string& kind = w[1];
    if (kind == "inspect-delay") {
      if (w.size() != 3) return fail(fmt::format("'{} inspect-delay' expects a timeout", w[0]));
      auto d = parse_duration(w[2]);
      if (!d) return fail(fmt::format("{} inspect-delay: {}", w[0], d.error().message));
      (w[0] == "tcp-request" ? p.tcp_request_inspect_delay : p.tcp_response_inspect_delay) = *d;
      return {};
    }
    bool ok = w[0] == "tcp-request" ? (kind == "connection" || kind == "session" || kind == "content") : kind == "content";
    if (!ok) return fail(fmt::format("'{}' expects {} (got '{}')", w[0],
                                     w[0] == "tcp-request" ? "connection, session, content or inspect-delay"
                                                           : "content or inspect-delay", kind));
    rule.set = w[0] + " " + kind;
    first = 2;
  } else if (w[0] == "redirect") {
    // The 1.x `redirect ...` line: an http-request redirect rule that HAProxy runs after
    // every http-request rule of the section (rules/ruleset.cc keeps that order).
    rule.set = "redirect";
    first = 0;
  } else {
    rule.set = w[0];
  }
  if (w.size() <= first) return fail(fmt::format("'{}' expects an action", rule.set));
  size_t end = 0;
  auto c = tail_condition(w, first + 1, p, l.loc, &end);
  if (!c) return unexpected(c.error());
  rule.cond = std::move(*c);
  rule.words.assign(w.begin() + static_cast<long>(first), w.begin() + static_cast<long>(end));
  p.rules.push_back(std::move(rule));
  return {};
}

// ---- routing -------------------------------------------------------------------------------
Result<void> kw_acl(ProxyConfig& p, const Line& l, Env&) {
  auto a = parse_acl(std::span(l.words).subspan(1), true, l.loc);
  if (!a) return unexpected(a.error());
  p.acls.push_back(std::move(*a));
  return {};
}

Result<void> kw_use_backend(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (auto r = need(w, 1, "a backend name [if|unless <condition>]"); !r) return r;
  UseBackend u;
  u.backend = w[1];
  u.loc = l.loc;
  size_t end = 0;
  auto c = tail_condition(w, 2, p, l.loc, &end);
  if (!c) return unexpected(c.error());
  if (end != 2) return fail(fmt::format("use_backend: unexpected '{}' (expects if|unless)", w[2]));
  u.cond = std::move(*c);
  p.use_backends.push_back(std::move(u));
  return {};
}

Result<void> kw_monitor(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (w.size() < 4 || w[1] != "fail" || (w[2] != "if" && w[2] != "unless"))
    return fail("'monitor' expects fail if|unless <condition>");
  auto c = parse_condition(std::span(w).subspan(2), p, l.loc);
  if (!c) return unexpected(c.error());
  p.monitor_fail.push_back(std::move(*c));
  return {};
}


}  // namespace
}  // namespace sluice::config::detail

namespace sluice::config::detail {
namespace {

Result<void> kw_simple(ProxyConfig& p, const Line& l, Env& env) {
  W w = l.words;
  const std::string& k = w[0];
  if (k == "mode") {
    if (auto r = exactly(w, 1, "http or tcp"); !r) return r;
    if (w[1] == "http") p.mode = Mode::Http;
    else if (w[1] == "tcp") p.mode = Mode::Tcp;
    else if (w[1] == "health") return fail("'mode health' was removed from HAProxy 2.x; use 'monitor-uri' or 'monitor-net'");
    else return fail(fmt::format("'mode' expects http or tcp, got '{}'", w[1]));
    return {};
  }
  if (k == "maxconn") return set_u32(p.maxconn, w);
  if (k == "fullconn") return set_u32(p.fullconn, w);
  if (k == "backlog") return set_u32(p.backlog, w);
  if (k == "retries") {
    std::optional<uint32_t> v;
    if (auto r = set_u32(v, w); !r) return r;
    p.retries = *v;
    return {};
  }
  if (k == "default_backend") {
    if (auto r = exactly(w, 1, "a backend name"); !r) return r;
    p.default_backend = w[1];
    p.default_backend_loc = l.loc;
    return {};
  }
  if (k == "redispatch") {
    if (auto r = exactly(w, 0, "no argument"); !r) return r;
    p.redispatch = true;
    env.diags.warning(l.loc, "'redispatch' is deprecated (HAProxy 1.x); use 'option redispatch'");
    return {};
  }
  if (k == "dispatch") {
    if (auto r = exactly(w, 1, "<address>:<port>"); !r) return r;
    auto a = parse_address(w[1], false, env.opts.resolve);
    if (!a) return fail(fmt::format("dispatch: {}", a.error().message));
    if (a->kind == Address::Kind::Inet && a->port == 0) return fail(fmt::format("dispatch: missing port in '{}'", w[1]));
    p.dispatch = *a;
    return {};
  }
  if (k == "monitor-net") {
    if (auto r = exactly(w, 1, "<network>"); !r) return r;
    auto c = parse_cidr(w[1]);
    if (!c) return fail(fmt::format("monitor-net: {}", c.error().message));
    p.monitor_net.push_back(*c);
    return {};
  }
  if (k == "monitor-uri") {
    if (auto r = exactly(w, 1, "<uri>"); !r) return r;
    p.monitor_uri = w[1];
    return {};
  }
  if (k == "log-format") {
    if (auto r = need(w, 1, "a format string"); !r) return r;
    p.log_format = join(std::span(w).subspan(1));
    p.log_format_loc = l.loc;
    return {};
  }
  if (k == "unique-id-format") {
    if (auto r = need(w, 1, "a format string"); !r) return r;
    p.unique_id_format = join(std::span(w).subspan(1));
    p.unique_id_loc = l.loc;
    return {};
  }
  if (k == "unique-id-header") {
    if (auto r = exactly(w, 1, "<name>"); !r) return r;
    p.unique_id_header = w[1];
    return {};
  }
  if (k == "http-reuse") {
    if (auto r = exactly(w, 1, "never, safe, aggressive or always"); !r) return r;
    if (w[1] == "never") p.http_reuse = HttpReuse::Never;
    else if (w[1] == "safe") p.http_reuse = HttpReuse::Safe;
    else if (w[1] == "aggressive") p.http_reuse = HttpReuse::Aggressive;
    else if (w[1] == "always") p.http_reuse = HttpReuse::Always;
    else return fail(fmt::format("'http-reuse' expects never, safe, aggressive or always, got '{}'", w[1]));
    return {};
  }
  if (k == "load-server-state-from-file") {
    if (auto r = exactly(w, 1, "global, local or none"); !r) return r;
    if (w[1] == "global") p.load_server_state_from_file = ProxyConfig::LoadState::Global;
    else if (w[1] == "local") p.load_server_state_from_file = ProxyConfig::LoadState::Local;
    else if (w[1] == "none") p.load_server_state_from_file = ProxyConfig::LoadState::None;
    else return fail(fmt::format("'load-server-state-from-file' expects global, local or none, got '{}'", w[1]));
    return {};
  }
  if (k == "server-state-file-name") {
    if (w.size() > 2) return fail("'server-state-file-name' expects [use-backend-name|<file>]");
    p.server_state_file_name = w.size() == 2 ? w[1] : "use-backend-name";
    return {};
  }
  if (k == "description") {
    p.description = join(std::span(w).subspan(1));
    return {};
  }
  if (k == "id") {
    if (auto r = exactly(w, 1, "a positive number"); !r) return r;
    auto n = parse_uint(w[1], INT32_MAX);
    if (!n || *n == 0) return fail(fmt::format("'id' expects a positive number, got '{}'", w[1]));
    p.id = static_cast<int>(*n);
    return {};
  }
  if (k == "disabled" || k == "enabled") {
    if (auto r = exactly(w, 0, "no argument"); !r) return r;
    p.disabled = k == "disabled";
    return {};
  }
  if (k == "default-server") {
    auto r = apply_server_keywords(p.default_server, std::span(w).subspan(1), false);
    if (!r) return fail(fmt::format("default-server: {}", r.error().message));
    return {};
  }
  if (k == "server") return parse_server_line(p, l, env);
  return fail("internal: unhandled keyword");
}

Result<void> kw_no(ProxyConfig& p, const Line& l, Env& env) {
  W w = l.words;
  if (w.size() >= 2 && w[1] == "option") return kw_option(p, l, env, true);
  if (w.size() == 2 && w[1] == "log") {
    p.logs.clear();
    return {};
  }
  return fail("'no' expects 'option <name>' or 'log'");
}

Result<void> kw_option_pos(ProxyConfig& p, const Line& l, Env& env) { return kw_option(p, l, env, false); }

using Handler = Result<void> (*)(ProxyConfig&, const Line&, Env&);
struct ProxyKeyword {
  std::string_view name;
  unsigned caps;        // sections where it is meaningful
  bool in_defaults;     // allowed in a defaults section
  Handler fn;
};

constexpr ProxyKeyword kProxyKeywords[] = {
    {"mode", kAllCap, true, kw_simple},
    {"bind", kFe, false, kw_bind},
    {"timeout", kAllCap, true, kw_timeout},
    {"contimeout", kBeCap, true, kw_old_timeout},
    {"clitimeout", kFeCap, true, kw_old_timeout},
    {"srvtimeout", kBeCap, true, kw_old_timeout},
    {"maxconn", kFeCap, true, kw_simple},
    {"fullconn", kBeCap, true, kw_simple},
    {"backlog", kFeCap, true, kw_simple},
    {"retries", kBeCap, true, kw_simple},
    {"balance", kBeCap, true, kw_balance},
    {"hash-type", kBeCap, true, kw_hash_type},
    {"server", kBe, false, kw_simple},
    {"default-server", kBeCap, true, kw_simple},
    {"dispatch", kBe, false, kw_simple},
    {"option", kAllCap, true, kw_option_pos},
    {"no", kAllCap, true, kw_no},
    {"redispatch", kBeCap, true, kw_simple},
    {"cookie", kBeCap, true, kw_cookie},
    {"stick-table", kFe | kBe, false, kw_stick_table},
    {"stick", kBe, false, kw_stick},
    {"http-check", kBeCap, true, kw_http_check},
    {"tcp-check", kBeCap, true, kw_tcp_check},
    {"acl", kFe | kBe, false, kw_acl},
    {"default_backend", kFeCap, true, kw_simple},
    {"use_backend", kFe, false, kw_use_backend},
    {"http-request", kFe | kBe, false, kw_rule},
    {"redirect", kFe | kBe, false, kw_rule},
    {"http-response", kFe | kBe, false, kw_rule},
    {"http-after-response", kFe | kBe, false, kw_rule},
    {"tcp-request", kFe | kBe, false, kw_rule},
    {"tcp-response", kBe, false, kw_rule},
    {"monitor-net", kFeCap, true, kw_simple},
    {"monitor-uri", kFeCap, true, kw_simple},
    {"monitor", kFe, false, kw_monitor},
    {"log", kAllCap, true, kw_log},
    {"log-format", kFeCap, true, kw_simple},
    {"unique-id-format", kFeCap, true, kw_simple},
    {"unique-id-header", kFeCap, true, kw_simple},
    {"capture", kFe, false, kw_capture},
    {"stats", kAllCap, true, kw_stats},
    {"errorfile", kAllCap, true, kw_errorfile},
    {"errorfiles", kAllCap, true, kw_errorfiles},
    {"errorloc", kAllCap, true, kw_errorloc},
    {"errorloc302", kAllCap, true, kw_errorloc},
    {"errorloc303", kAllCap, true, kw_errorloc},
    {"http-error", kAllCap, true, kw_http_error},
    {"http-reuse", kBeCap, true, kw_simple},
    {"load-server-state-from-file", kBeCap, true, kw_simple},
    {"server-state-file-name", kBeCap, true, kw_simple},
    {"description", kFe | kBe, false, kw_simple},
    {"id", kFe | kBe, false, kw_simple},
    {"disabled", kAllCap, true, kw_simple},
    {"enabled", kAllCap, true, kw_simple},
};

// HAProxy proxy keywords that sluice recognises but does not implement yet.
constexpr std::string_view kLaterKeywords[] = {
    "compression", "filter", "use-server", "force-persist", "ignore-persist",
    "persist", "source", "email-alert", "external-check",
    "declare", "max-keep-alive-queue", "max-session-srv-conns", "rate-limit", "server-template",
    "bind-process", "guid", "http-send-name-header", "log-tag", "log-format-sd",
    "error-log-format", "retry-on", "timeout tarpit", "dynamic-cookie-key", "orgto",
    "set-var", "unique-id", "clitcpka-cnt", "srvtcpka-cnt", "clitcpka-idle", "srvtcpka-idle",
    "clitcpka-intvl", "srvtcpka-intvl", "log-steps"};

// Server keywords someone may write on a line of their own (a lost line continuation).
constexpr std::string_view kServerOnly[] = {"on-marked-down", "on-marked-up", "slowstart", "minconn",
    "maxqueue", "weight", "inter", "fastinter", "downinter", "rise", "fall", "on-error", "observe",
    "error-limit", "check", "backup", "agent-check", "init-addr", "send-proxy", "check-ssl", "track"};

const char* section_name(Kind k) {
  switch (k) {
    case Kind::Defaults: return "defaults";
    case Kind::Frontend: return "frontend";
    case Kind::Backend: return "backend";
    case Kind::Listen: return "listen";
  }
  return "?";
}

}  // namespace

void parse_proxy_line(ProxyConfig& p, const Line& l, Env& env) {
  if (auto removed = removed_keyword_error(l.words)) return env.diags.error(l.loc, std::move(*removed));
  const std::string& k = l.words[0];
  const ProxyKeyword* kw = nullptr;
  for (const auto& e : kProxyKeywords)
    if (e.name == k) kw = &e;
  if (kw == nullptr) {
    if (std::find(std::begin(kLaterKeywords), std::end(kLaterKeywords), k) != std::end(kLaterKeywords)) {
      env.diags.error(l.loc, fmt::format("'{}' is not supported by sluice yet", k));
      return;
    }
    std::string hint;
    if (std::find(std::begin(kServerOnly), std::end(kServerOnly), k) != std::end(kServerOnly))
      hint = fmt::format(" ('{}' is a server keyword: it belongs on the 'server' line; HAProxy has no line continuation)", k);
    else if (k == "\\")
      hint = " (HAProxy has no line continuation: join the lines)";
    else {
      std::vector<std::string_view> names;
      for (const auto& e : kProxyKeywords) names.push_back(e.name);
      hint = suggest(k, names);
    }
    env.diags.error(l.loc, fmt::format("unknown keyword '{}' in '{}' section{}", k, section_name(p.kind), hint));
    return;
  }
  if (p.kind == Kind::Defaults && !kw->in_defaults) {
    env.diags.error(l.loc, fmt::format("'{}' is not allowed in a 'defaults' section", k));
    return;
  }
  if (p.kind != Kind::Defaults && (kw->caps & caps_of(p.kind)) == 0) {
    bool fe = (kw->caps & kFe) != 0;
    // HAProxy rejects bind/server/use_backend in the wrong section and only warns for the rest.
    if (k == "bind" || k == "server" || k == "use_backend" || k == "dispatch" || k == "stick" || k == "capture" ||
        k == "monitor") {
      env.diags.error(l.loc, fmt::format("'{}' is not allowed in a '{}' section (needs {} capability)", k,
                                         section_name(p.kind), fe ? "frontend" : "backend"));
    } else {
      env.diags.warning(l.loc, fmt::format("'{}' ignored because {} '{}' has no {} capability", k,
                                           section_name(p.kind), p.name, fe ? "frontend" : "backend"));
    }
    return;
  }
  auto r = kw->fn(p, l, env);
  if (!r) env.diags.error(l.loc, r.error().message);
}

}  // namespace sluice::config::detail
