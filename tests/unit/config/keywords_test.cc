// One test per keyword family.
#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "unit/config/test_util.h"

namespace sluice::config {
namespace {
using namespace testing;

const ProxyConfig& only(const LoadResult& r, std::string_view name) {
  static ProxyConfig empty;
  if (!r.config) return empty;
  const ProxyConfig* p = r.config->find_proxy(name);
  return p ? *p : empty;
}

TEST(ConfigBindTest, AddressListsRangesAndOptions) {
  auto r = load(std::string(kDefaults) +
                "frontend f\n  bind :8000-8005,127.0.0.1:9000 name web backlog 50 v4v6 transparent "
                "defer-accept interface lo\n  bind /tmp/s.sock mode 600 user u group g\n"
                "  bind fd@4\n  bind ipv6@:9443 v6only\n  default_backend b\nbackend b\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& f = only(r, "f");
  ASSERT_EQ(f.binds.size(), 10u);
  EXPECT_EQ(f.binds[0].addr.port, 8000);
  EXPECT_EQ(f.binds[5].addr.port, 8005);
  EXPECT_EQ(f.binds[6].addr.host, "127.0.0.1");
  EXPECT_EQ(f.binds[6].name, "web");
  EXPECT_EQ(f.binds[6].backlog, 50u);
  EXPECT_TRUE(f.binds[6].v4v6 && f.binds[6].transparent && f.binds[6].defer_accept);
  EXPECT_EQ(f.binds[6].interface, "lo");
  EXPECT_EQ(f.binds[7].addr.kind, Address::Kind::Unix);
  EXPECT_EQ(f.binds[7].mode, 0600u);
  EXPECT_EQ(f.binds[7].user, "u");
  EXPECT_EQ(f.binds[8].addr.fd, 4);
  EXPECT_TRUE(f.binds[9].v6only);
}

TEST(ConfigBindTest, EnvironmentAddress) {
  auto r = load(std::string(kDefaults) + "frontend f\n  bind \"${ADDR}\"\n"
                "  default_backend b\nbackend b\n  server s 127.0.0.1:1\n", {{"ADDR", "127.0.0.1:8443"}});
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(only(r, "f").binds.at(0).addr.port, 8443);
}

// TLS, the PROXY protocol and a per-bind maxconn are refused: a TLS port must never answer
// in plain text, and a proxy's address must never be taken for the client's.
TEST(ConfigBindTest, RefusedOptions) {
  auto r = load(std::string(kDefaults) + "frontend f\n  bind :443 ssl crt /etc/x.pem alpn h2,http/1.1\n"
                "  bind :81 crt /etc/x.pem\n  bind :82 accept-proxy\n  bind :83 maxconn 10\n  bind :84 alpn h2\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_diag(r, "t.cfg:6: 'bind ... ssl' is not supported by sluice yet")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:7: 'bind ... crt' is not supported by sluice yet")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: 'bind ... accept-proxy' is not supported by sluice yet")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:9: 'bind ... maxconn' is not supported by sluice yet")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:10: 'bind ... alpn' is not supported by sluice yet")) << dump(r);
}

TEST(ConfigBindTest, Errors) {
  auto r = load(std::string(kDefaults) + "frontend f\n  bind 127.0.0.1\n  bind :80 nmae x\n  bind :81 ssl\n"
                "  bind :82 tfo\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:6: bind: missing port in bind address '127.0.0.1'")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:7: unknown bind option 'nmae' (did you mean 'name'?)")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: 'bind ... ssl' is not supported by sluice yet")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:9: 'bind ... tfo' is not supported by sluice yet")) << dump(r);
}

TEST(ConfigTimeoutTest, AllTimeouts) {
  auto r = load("defaults\n  timeout connect 1s\n  timeout client 2s\n  timeout server 3s\n"
                "  timeout http-request 4s\n  timeout http-keep-alive 5s\n  timeout queue 6s\n  timeout tunnel 7s\n"
                "  timeout check 8s\n  timeout client-fin 9s\n  timeout server-fin 10s\n  timeout tarpit 11s\n"
                "backend b\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& t = only(r, "b").timeouts;
  EXPECT_EQ(t.connect, Millis(1000));
  EXPECT_EQ(t.http_keep_alive, Millis(5000));
  EXPECT_EQ(t.tarpit, Millis(11000));
  EXPECT_EQ(t.server_fin, Millis(10000));
}

TEST(ConfigTimeoutTest, Errors) {
  auto r = load("defaults\n  timeout clinet 1s\n  timeout client 1x\n  timeout server\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:2: unknown timeout 'clinet' (did you mean 'client'?)")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:3: timeout client: unknown unit 'x'")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:4: 'timeout' expects <type> <duration>")) << dump(r);
}

TEST(ConfigServerTest, AllKeywords) {
  auto r = load(std::string(kDefaults) +
                "backend b\n  server s 127.0.0.1:80 id 7 weight 256 backup disabled cookie c maxconn 10 minconn 2 "
                "maxqueue 5 slowstart 10s check port 81 addr 127.0.0.2 inter 3s fastinter 1s downinter 5s rise 3 "
                "fall 4 on-error mark-down observe layer7 error-limit 9 on-marked-down shutdown-sessions "
                "on-marked-up shutdown-backup-sessions agent-check agent-port 99 agent-inter 7s agent-send hi "
                "agent-addr 127.0.0.3 init-addr last,libc,none init-state fully-up no-ssl no-send-proxy\n"
                "  server t 127.0.0.1:81 enabled\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& s = only(r, "b").servers.at(0);
  EXPECT_EQ(s.id, 7);
  EXPECT_EQ(s.weight, 256u);
  EXPECT_TRUE(s.backup && s.disabled && s.check && s.agent_check && !s.ssl && !s.send_proxy);
  EXPECT_EQ(s.cookie, "c");
  EXPECT_EQ(s.maxqueue, 5u);
  EXPECT_EQ(s.check_port, 81);
  ASSERT_TRUE(s.check_addr);
  EXPECT_EQ(s.check_addr->host, "127.0.0.2");
  EXPECT_EQ(s.inter, Millis(3000));
  EXPECT_EQ(s.fastinter, Millis(1000));
  EXPECT_EQ(s.downinter, Millis(5000));
  EXPECT_EQ(s.rise, 3u);
  EXPECT_EQ(s.fall, 4u);
  EXPECT_EQ(s.on_error, OnError::MarkDown);
  EXPECT_EQ(s.observe, Observe::Layer7);
  EXPECT_EQ(s.error_limit, 9u);
  EXPECT_EQ(s.agent_port, 99);
  EXPECT_EQ(s.agent_inter, Millis(7000));
  EXPECT_EQ(s.agent_send, "hi");
  EXPECT_EQ(s.init_addr, (std::vector<std::string>{"last", "libc", "none"}));
  EXPECT_EQ(s.init_state, InitState::FullyUp);
  EXPECT_FALSE(only(r, "b").servers.at(1).disabled);
}

// TLS and PROXY protocol to servers, tracking and redirection are refused, on server and
// default-server lines alike.
TEST(ConfigServerTest, RefusedKeywords) {
  const char* kRefused[] = {"ssl", "verify none", "ca-file /ca.pem", "sni str(x)", "check-ssl", "send-proxy",
                            "send-proxy-v2", "check-send-proxy", "track b/t", "redir http://x"};
  for (const char* kw : kRefused) {
    std::string k = kw;
    std::string first = k.substr(0, k.find(' '));
    auto r = load(std::string(kDefaults) + "backend b\n  server s 127.0.0.1:80 check " + k + "\n");
    EXPECT_FALSE(r.ok()) << k;
    EXPECT_TRUE(has_diag(r, "t.cfg:6: server 's': 'server ... " + first + "' is not supported by sluice yet")) << dump(r);
    auto d = load(std::string(kDefaults) + "backend b\n  default-server " + k + "\n");
    EXPECT_TRUE(has_diag(d, "t.cfg:6: default-server: 'server ... " + first + "' is not supported by sluice yet")) << dump(d);
  }
}

TEST(ConfigServerTest, WeightOutOfRangeAndBadValues) {
  auto r = load(std::string(kDefaults) + "backend b\n  server a 127.0.0.1:1 weight 257\n"
                "  server b 127.0.0.1:2 inter 0\n  server c 127.0.0.1:3 on-error explode\n"
                "  server d 127.0.0.1:4 chekc\n  server e 127.0.0.1:5 rise\n  server f\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:6: server 'a': 'weight': 257 is out of range (maximum 256)")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:7: server 'b': 'inter' must be greater than zero")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: server 'c': 'on-error' expects fastinter")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:9: server 'd': unknown server keyword 'chekc' (did you mean 'check'?)")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:10: server 'e': server keyword 'rise' expects 1 argument")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:11: 'server' expects <name> and <address>")) << dump(r);
}

TEST(ConfigServerTest, ApplyServerKeywordsRuntimeOnly) {
  ServerConfig s;
  std::vector<std::string> ok{"weight", "10", "check", "maxconn", "5"};
  ASSERT_TRUE(apply_server_keywords(s, ok, true));
  EXPECT_EQ(s.weight, 10u);
  std::vector<std::string> init{"init-addr", "none"};
  auto r = apply_server_keywords(s, init, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "server keyword 'init-addr' cannot be used with 'add server'");
  std::vector<std::string> later{"resolvers", "dns"};
  EXPECT_EQ(apply_server_keywords(s, later, false).error().message,
            "'server ... resolvers' is not supported by sluice yet");
  // `add server` refuses what a configuration refuses, with the same words.
  std::vector<std::string> ssl{"ssl"};
  EXPECT_EQ(apply_server_keywords(s, ssl, true).error().message, "'server ... ssl' is not supported by sluice yet");
}

TEST(ConfigServerTest, DefaultServerThenServer) {
  auto r = load(std::string(kDefaults) + "backend b\n  default-server inter 5s fall 5 check\n"
                "  server a 127.0.0.1:1\n  server b 127.0.0.1:2 fall 1 no-check\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& b = only(r, "b");
  EXPECT_EQ(b.servers[0].inter, Millis(5000));
  EXPECT_EQ(b.servers[0].fall, 5u);
  EXPECT_TRUE(b.servers[0].check);
  EXPECT_EQ(b.servers[1].fall, 1u);
  EXPECT_FALSE(b.servers[1].check);
}

TEST(ConfigServerTest, UnresolvableHostUnlessInitAddrNone) {
  LoadOptions o = opts();
  o.resolve = true;
  auto bad = load_string(std::string(kDefaults) + "backend b\n  server a nosuchhost.invalid:80\n", "t.cfg", o);
  EXPECT_TRUE(has_diag(bad, "t.cfg:6: server 'a': could not resolve address 'nosuchhost.invalid'")) << dump(bad);
  auto none = load_string(std::string(kDefaults) + "backend b\n  server a nosuchhost.invalid:80 init-addr none\n",
                          "t.cfg", o);
  ASSERT_TRUE(none.ok()) << dump(none);
  EXPECT_EQ(none.config->proxies[0].servers[0].addr.sa.ss_family, AF_UNSPEC);
  auto ip = load_string(std::string(kDefaults) + "backend b\n  server a nosuchhost.invalid:80 init-addr last,127.0.0.9\n",
                        "t.cfg", o);
  ASSERT_TRUE(ip.ok()) << dump(ip);
  EXPECT_EQ(ip.config->proxies[0].servers[0].addr.sa.ss_family, AF_INET);
}

TEST(ConfigCookieTest, AllOptions) {
  auto r = load(std::string(kDefaults) + "backend b\n  mode http\n  cookie SRV insert indirect nocache postonly "
                "preserve httponly secure domain .a.com domain .b.com maxidle 30m maxlife 8h attr SameSite=Lax"
                "\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& c = *only(r, "b").cookie;
  EXPECT_EQ(c.mode, CookieConfig::Mode::Insert);
  EXPECT_TRUE(c.indirect && c.nocache && c.postonly && c.preserve && c.httponly && c.secure);
  EXPECT_EQ(c.domains.size(), 2u);
  EXPECT_EQ(c.maxidle, Millis(30 * 60000));
  EXPECT_EQ(c.maxlife, Millis(8 * 3600000));
  EXPECT_EQ(c.attrs, std::vector<std::string>{"SameSite=Lax"});
}

// The manual gives maxidle and maxlife in seconds when no unit is written.
TEST(ConfigCookieTest, BareMaxidleMaxlifeAreSeconds) {
  auto r = load(std::string(kDefaults) + "backend b\n  mode http\n  cookie SRV insert maxidle 30 maxlife 3600\n"
                "  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(only(r, "b").cookie->maxidle, Millis(30000));
  EXPECT_EQ(only(r, "b").cookie->maxlife, Millis(3600000));
}

TEST(ConfigCookieTest, DynamicIsRefused) {
  auto r = load(std::string(kDefaults) + "backend b\n  cookie SRV insert dynamic\n  server s 127.0.0.1:1\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:6: 'cookie ... dynamic' is not supported by sluice yet")) << dump(r);
}

TEST(ConfigCookieTest, Errors) {
  auto r = load(std::string(kDefaults) + "backend b\n  cookie S insert prefix\n  cookie S rewrite maxidle 1s\n"
                "  cookie S insert indirekt\n  server s 127.0.0.1:1\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:6: cookie: only one of")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:7: cookie: 'maxidle' and 'maxlife' need 'insert' mode")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:8: cookie: unknown option 'indirekt' (did you mean 'indirect'?)")) << dump(r);
}

TEST(ConfigBalanceTest, Algorithms) {
  struct C { const char* line; Balance b; std::string arg; };
  const C cases[] = {{"roundrobin", Balance::RoundRobin, ""}, {"static-rr", Balance::StaticRR, ""},
                     {"leastconn", Balance::LeastConn, ""}, {"first", Balance::First, ""},
                     {"source", Balance::Source, ""}, {"uri whole len 10 depth 3", Balance::Uri, ""},
                     {"url_param userid", Balance::UrlParam, "userid"}, {"hdr(Host)", Balance::Hdr, "Host"},
                     {"random", Balance::Random, ""}, {"random(1)", Balance::Random, ""}};
  for (const auto& c : cases) {
    auto r = load(std::string(kDefaults) + "backend b\n  mode http\n  balance " + c.line +
                  "\n  hash-type consistent\n  server s 127.0.0.1:1\n");
    ASSERT_TRUE(r.ok()) << c.line << dump(r);
    const auto& b = only(r, "b");
    EXPECT_EQ(b.balance, c.b) << c.line;
    EXPECT_EQ(b.balance_arg, c.arg) << c.line;
    EXPECT_EQ(b.hash_type, HashType::Consistent);
    if (c.b == Balance::Uri) {
      EXPECT_TRUE(b.uri_whole);
      EXPECT_EQ(b.uri_len, 10u);
      EXPECT_EQ(b.uri_depth, 3u);
    }
  }
  auto bad = load(std::string(kDefaults) + "backend b\n  balance roundrobbin\n  balance rdp-cookie\n"
                  "  balance url_param u check_post\n  balance hdr(host) use_domain_only\n  balance random(2)\n");
  EXPECT_TRUE(has_diag(bad, "t.cfg:6: unknown balance algorithm 'roundrobbin' (did you mean 'roundrobin'?)")) << dump(bad);
  EXPECT_TRUE(has_diag(bad, "t.cfg:7: 'balance rdp-cookie' is not supported by sluice yet")) << dump(bad);
  EXPECT_TRUE(has_diag(bad, "t.cfg:8: 'balance url_param ... check_post' is not supported by sluice yet")) << dump(bad);
  EXPECT_TRUE(has_diag(bad, "t.cfg:9: 'balance hdr(...) use_domain_only' is not supported by sluice yet")) << dump(bad);
  EXPECT_TRUE(has_diag(bad, "t.cfg:10: 'balance random(2)' is not supported by sluice yet")) << dump(bad);
  // The hash function and avalanche are kept for the balancer (lb::HashSpec), silently.
  auto fn = load(std::string(kDefaults) + "backend b\n  hash-type consistent djb2 avalanche\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(fn.ok()) << dump(fn);
  EXPECT_FALSE(has_diag(fn, "t.cfg:6:", true)) << dump(fn);
  const auto* b = fn.config->find_proxy("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->hash_function, 2);   // djb2
  EXPECT_TRUE(b->hash_avalanche);
  auto tv = load("global\n  tune.vars.txn-max-size 64\n" + std::string(kDefaults));
  EXPECT_TRUE(has_diag(tv, "t.cfg:2: 'tune.vars.txn-max-size' is not supported by sluice yet")) << dump(tv);
}

TEST(ConfigStickTest, TableAndRules) {
  auto r = load(std::string(kDefaults) + "backend b\n  stick-table type string len 64 size 100k expire 30m nopurge "
                "store server_id\n  acl post method POST\n  stick on req.cook(SID) if post\n"
                "  stick match src table b\n  stick store-request src\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& b = only(r, "b");
  ASSERT_TRUE(b.stick_table);
  EXPECT_EQ(b.stick_table->type, StickTableConfig::Type::String);
  EXPECT_EQ(b.stick_table->key_len, 64u);
  EXPECT_EQ(b.stick_table->size, 102400u);
  EXPECT_EQ(b.stick_table->expire, Millis(1800000));
  EXPECT_TRUE(b.stick_table->nopurge);
  EXPECT_EQ(b.stick_table->store.size(), 1u);
  ASSERT_EQ(b.stick_rules.size(), 3u);
  EXPECT_EQ(b.stick_rules[0].expr, "req.cook(SID)");
  EXPECT_TRUE(b.stick_rules[0].cond);
  EXPECT_EQ(b.stick_rules[1].kind, StickRule::Kind::Match);
  EXPECT_EQ(b.stick_rules[1].table, "b");
  EXPECT_EQ(b.stick_rules[2].kind, StickRule::Kind::StoreRequest);
}

// Counters need the tracking rules sluice does not have yet; peers sections are refused.
TEST(ConfigStickTest, StoreCountersAndPeersRefused) {
  auto r = load(std::string(kDefaults) + "backend b\n  stick-table type ip size 1k store server_id,conn_cur\n"
                "  stick-table type ip size 1k peers mypeers\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:6: 'stick-table ... store conn_cur' is not supported by sluice yet")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:7: 'stick-table ... peers' is not supported by sluice yet")) << dump(r);
}

TEST(ConfigLogTest, TargetsAndFormats) {
  auto r = load("global\n  log 127.0.0.1:5514 len 4096 format rfc5424 local1 info notice\n  log /dev/log local0\n"
                "  log stdout format raw daemon\n  log-tag sluice\n" + std::string(kDefaults) +
                "  log global\n  option httplog\nbackend b\n  log 127.0.0.1 local2\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& g = r.config->global;
  ASSERT_EQ(g.logs.size(), 3u);
  EXPECT_EQ(g.logs[0].addr.port, 5514);
  EXPECT_EQ(g.logs[0].max_len, 4096u);
  EXPECT_EQ(g.logs[0].format, "rfc5424");
  EXPECT_EQ(g.logs[0].facility, "local1");
  EXPECT_EQ(g.logs[0].level, "info");
  EXPECT_EQ(g.logs[0].min_level, "notice");
  EXPECT_EQ(g.logs[1].addr.kind, Address::Kind::Unix);
  EXPECT_EQ(g.logs[2].addr.kind, Address::Kind::Fd);
  EXPECT_EQ(g.logs[2].addr.fd, 1);
  EXPECT_EQ(g.log_tag, "sluice");
  const auto& b = only(r, "b");
  ASSERT_EQ(b.logs.size(), 2u);   // `log global` from defaults, then its own
  EXPECT_TRUE(b.logs[0].global);
  EXPECT_EQ(b.logs[1].addr.port, 514);
  auto bad = load("global\n  log 127.0.0.1 lcoal0\n");
  EXPECT_TRUE(has_diag(bad, "t.cfg:2: log: unknown facility 'lcoal0' (did you mean 'local0'?)")) << dump(bad);
}

TEST(ConfigOptionTest, BooleanOptionsAndNo) {
  auto r = load(std::string(kDefaults) + "  option redispatch\n  option tcpka\n"
                "backend b\n  no option redispatch\n  option allbackups\n  no option log-health-checks\n"
                "  option http-server-close\n  option nolinger\n  no option srvtcpka\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& b = only(r, "b");
  EXPECT_EQ(b.redispatch, false);
  EXPECT_EQ(b.tcpka, true);
  EXPECT_EQ(b.srvtcpka, false);
  EXPECT_EQ(b.nolinger, true);
  EXPECT_EQ(b.allbackups, true);
  EXPECT_EQ(b.http_conn_mode, HttpConnMode::ServerClose);
  EXPECT_FALSE(b.persist.has_value());
}

TEST(ConfigOptionTest, ForwardForVariants) {
  auto r = load(std::string(kDefaults) + "backend b\n  mode http\n  option forwardfor except 10.0.0.0/8 header "
                "X-Client if-none\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& f = only(r, "b").forwardfor;
  EXPECT_TRUE(f.enabled && f.if_none);
  EXPECT_EQ(f.header, "X-Client");
  EXPECT_EQ(f.except->prefix, 8);
}

TEST(ConfigCheckTest, HttpCheckSendExpect) {
  auto r = load(std::string(kDefaults) + "backend b\n  option httpchk\n  http-check send meth GET uri /health "
                "ver HTTP/1.1 hdr Host example.com body ping\n  http-check expect ! rstatus ^5\n"
                "  http-check expect string OK\n  server s 127.0.0.1:1 check\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& c = only(r, "b").check;
  EXPECT_EQ(c.kind, CheckConfig::Kind::Http);
  EXPECT_EQ(c.method, "GET");
  EXPECT_EQ(c.uri, "/health");
  EXPECT_EQ(c.version, "HTTP/1.1");
  ASSERT_EQ(c.headers.size(), 1u);
  EXPECT_EQ(c.body, "ping");
  ASSERT_EQ(c.expects.size(), 2u);
  EXPECT_TRUE(c.expects[0].negate);
  EXPECT_EQ(c.expects[0].kind, HttpCheckExpect::Kind::RStatus);
  EXPECT_EQ(c.expects[1].pattern, "OK");
}

TEST(ConfigCheckTest, TcpCheckRules) {
  auto r = load(std::string(kDefaults) + "backend redis\n  option tcp-check\n  tcp-check connect port 6379\n"
                "  tcp-check send PING\\r\\n\n  tcp-check expect string +PONG\n  tcp-check send-binary 50494e470d0a\n"
                "  tcp-check expect ! binary 2d\n  server s 127.0.0.1:1 check\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& c = only(r, "redis").check;
  EXPECT_EQ(c.kind, CheckConfig::Kind::TcpCheck);
  ASSERT_EQ(c.tcp_rules.size(), 5u);
  EXPECT_EQ(c.tcp_rules[0].port, 6379);
  EXPECT_EQ(c.tcp_rules[1].data, "PING\r\n");
  EXPECT_EQ(c.tcp_rules[2].pattern, "+PONG");
  EXPECT_EQ(c.tcp_rules[3].data, "PING\r\n");
  EXPECT_TRUE(c.tcp_rules[4].negate);
  EXPECT_EQ(c.tcp_rules[4].pattern, "-");
  auto bad = load(std::string(kDefaults) + "backend b\n  tcp-check send-binary 505\n  tcp-check expect foo x\n");
  EXPECT_TRUE(has_diag(bad, "t.cfg:6: tcp-check send-binary: odd number")) << dump(bad);
  EXPECT_TRUE(has_diag(bad, "t.cfg:7: tcp-check expect: unknown match 'foo'")) << dump(bad);
}

TEST(ConfigAclTest, FetchesFlagsAndConditions) {
  auto r = load(std::string(kDefaults) +
                "frontend f\n  bind :80\n  mode http\n  acl api path_beg /api\n  acl img path_end .png .jpg\n"
                "  acl re path_reg ^/x\n  acl host hdr(host) -i example.com\n  acl hb hdr_beg(host) www.\n"
                "  acl he hdr_end(host) .org\n  acl hd hdr_dom(host) example\n  acl lan src 10.0.0.0/8 192.168.0.0/16\n"
                "  acl get method GET HEAD\n  acl ub url_beg /u\n  acl p path -m beg /static\n"
                "  use_backend api if api host || img !lan\n  use_backend api if { path_beg /v2 } METH_POST\n"
                "  use_backend api unless ! get or !ub\n  default_backend api\nbackend api\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& f = only(r, "f");
  EXPECT_EQ(f.acls.size(), 11u);
  EXPECT_EQ(f.acls[1].patterns, (std::vector<std::string>{".png", ".jpg"}));
  EXPECT_EQ(f.acls[3].flags, std::vector<std::string>{"-i"});
  EXPECT_EQ(f.acls[10].flags, (std::vector<std::string>{"-m", "beg"}));
  ASSERT_EQ(f.use_backends.size(), 3u);
  const auto& c0 = *f.use_backends[0].cond;
  ASSERT_EQ(c0.any_of.size(), 2u);
  EXPECT_EQ(c0.any_of[0].size(), 2u);
  EXPECT_TRUE(c0.any_of[1][1].negate);
  EXPECT_EQ(c0.any_of[1][1].acl_name, "lan");
  const auto& c1 = *f.use_backends[1].cond;
  ASSERT_TRUE(c1.any_of[0][0].anonymous);
  EXPECT_EQ(c1.any_of[0][0].anonymous->fetch, "path_beg");
  EXPECT_EQ(c1.any_of[0][1].acl_name, "METH_POST");
  const auto& c2 = *f.use_backends[2].cond;
  EXPECT_TRUE(c2.unless);
  EXPECT_TRUE(c2.any_of[0][0].negate);
  EXPECT_TRUE(c2.any_of[1][0].negate);
}

// `-f FILE` is kept as a flag: rules/acl.cc loads it into a pattern reference when the
// runtime is built (-c too), so a missing file is an error there (tests/unit/rules/acl_map_test.cc).
TEST(ConfigAclTest, PatternFile) {
  auto r = load(std::string(kDefaults) + "frontend f\n  bind :80\n  acl lan src -M -f /nonexistent/x.lst -i 10.0.0.1\n");
  ASSERT_EQ(error_count(r), 0) << dump(r);
  const auto& a = r.config->find_proxy("f")->acls.at(0);
  EXPECT_EQ(a.flags, (std::vector<std::string>{"-M", "-f", "/nonexistent/x.lst", "-i"}));
  EXPECT_EQ(a.patterns, (std::vector<std::string>{"10.0.0.1"}));
}

TEST(ConfigHttpRuleTest, Actions) {
  auto r = load(std::string(kDefaults) +
                "frontend f\n  bind :80\n  mode http\n  acl metrics path /metrics\n  acl bad src 10.0.0.1\n"
                "  http-request use-service prometheus-exporter if metrics\n  http-request deny deny_status 429 if bad\n"
                "  http-request set-header X-A 1\n  http-request add-header X-B 100%%\n  http-request del-header X-C\n"
                "  http-request del-header X-D -m str\n  http-request allow unless bad\n  http-request deny\n"
                "  default_backend b\nbackend b\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& rules = only(r, "f").rules;
  ASSERT_EQ(rules.size(), 8u);
  EXPECT_EQ(rules[0].set, "http-request");
  EXPECT_EQ(rules[0].words, (std::vector<std::string>{"use-service", "prometheus-exporter"}));
  EXPECT_TRUE(rules[0].cond);
  EXPECT_EQ(rules[1].words, (std::vector<std::string>{"deny", "deny_status", "429"}));
  EXPECT_EQ(rules[2].words, (std::vector<std::string>{"set-header", "X-A", "1"}));
  EXPECT_EQ(rules[3].words, (std::vector<std::string>{"add-header", "X-B", "100%%"}));   // a format: "%%" sends '%'
  EXPECT_EQ(rules[5].words, (std::vector<std::string>{"del-header", "X-D", "-m", "str"}));
}

// What sluice does not act on is refused where it is written, never skipped at run time:
// a rule meant to deny, redirect or rewrite must not let the request through unchanged.
TEST(ConfigStatsTest, ProxyStats) {
  auto r = load(std::string(kDefaults) +
                "listen stats\n  bind :8404\n  mode http\n  acl local src 127.0.0.1\n  stats enable\n  stats uri /st\n"
                "  stats realm Sluice Stats\n  stats auth admin:pw\n  stats refresh 10s\n  stats admin if local\n"
                "  stats hide-version\n  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& s = only(r, "stats").stats;
  EXPECT_TRUE(s.enabled && s.hide_version && s.set_explicitly);
  EXPECT_EQ(s.uri, "/st");
  EXPECT_EQ(s.realm, "Sluice Stats");
  EXPECT_EQ(s.auth, std::vector<std::string>{"admin:pw"});
  EXPECT_EQ(s.refresh, Millis(10000));
  EXPECT_TRUE(s.admin);
}

// `stats refresh 30` is 30 seconds (the manual's unit for it), not 30 ms.
TEST(ConfigStatsTest, BareRefreshIsSeconds) {
  auto r = load(std::string(kDefaults) + "listen stats\n  bind :8404\n  mode http\n  stats refresh 30\n"
                "  stats show-legends\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:9: 'stats show-legends' is not supported by sluice yet")) << dump(r);
  auto ok = load(std::string(kDefaults) + "listen stats\n  bind :8404\n  mode http\n  stats refresh 30\n");
  ASSERT_TRUE(ok.ok()) << dump(ok);
  EXPECT_EQ(only(ok, "stats").stats.refresh, Millis(30000));
}

TEST(ConfigMiscProxyTest, CaptureMonitorErrorfileReuseState) {
  std::string ef = ::testing::TempDir() + "/sluice_503.http";
  { std::ofstream(ef) << "HTTP/1.0 503\r\n\r\n"; }
  auto r = load(std::string(kDefaults) +
                "frontend f\n  bind :80\n  mode http\n  capture request header Host len 64\n"
                "  capture response header Server len 32\n  monitor-uri /alive\n  acl down hdr_cnt(x-down) gt 0\n"
                "  monitor fail if down\n  log-format \"%ci %r\"\n  maxconn 1000\n  backlog 10\n  default_backend b\n"
                "backend b\n  mode http\n  errorfile 503 " + ef + "\n  http-reuse always\n  retries 5\n  fullconn 200\n"
                "  load-server-state-from-file local\n  server-state-file-name\n  description my backend\n  id 42\n"
                "  server s 127.0.0.1:1\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& f = only(r, "f");
  ASSERT_EQ(f.captures.size(), 2u);
  EXPECT_FALSE(f.captures[1].request);
  EXPECT_EQ(f.captures[0].len, 64u);
  EXPECT_EQ(f.monitor_uri, "/alive");
  EXPECT_EQ(f.monitor_fail.size(), 1u);
  EXPECT_EQ(f.log_format, "%ci %r");
  EXPECT_EQ(f.maxconn, 1000u);
  const auto& b = only(r, "b");
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0].status, 503);
  EXPECT_EQ(b.errors[0].page, "HTTP/1.0 503\r\n\r\n");
  EXPECT_EQ(b.http_reuse, HttpReuse::Always);
  EXPECT_EQ(b.retries, 5u);
  EXPECT_EQ(b.fullconn, 200u);
  EXPECT_EQ(b.load_server_state_from_file, ProxyConfig::LoadState::Local);
  EXPECT_EQ(b.server_state_file_name, "use-backend-name");
  EXPECT_EQ(b.description, "my backend");
  EXPECT_EQ(b.id, 42);
  auto bad = load(std::string(kDefaults) + "backend b\n  errorfile 503 /nonexistent/503.http\n  errorfile 302 /x\n");
  EXPECT_TRUE(has_diag(bad, "t.cfg:6: errorfile '/nonexistent/503.http': cannot open")) << dump(bad);
  EXPECT_TRUE(has_diag(bad, "t.cfg:7: errorfile: status code '302' not handled")) << dump(bad);
}

TEST(ConfigGlobalTest, AllKeywords) {
  auto r = load("global\n  nbthread 4\n  maxconn 5000\n  hard-stop-after 30s\n  grace 5s\n  mworker-max-reloads 3\n"
                "  master-worker no-exit-on-failure\n  user haproxy\n  group haproxy\n  uid 100\n  gid 101\n"
                "  chroot /var/empty\n  ulimit-n 65536\n  node n1\n  description a b c\n  tune.bufsize 32k\n"
                "  tune.maxrewrite 2048\n  tune.http.maxhdr 200\n  tune.maxaccept 64\n  spread-checks 5\n"
                "  server-state-file /tmp/state\n  server-state-base /tmp/\n  ssl-default-bind-ciphers ECDHE\n"
                "  ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\n  ssl-default-server-ciphers X\n"
                "  ssl-default-server-options no-sslv3\n  stats socket ipv4@127.0.0.1:9999 level operator\n"
                "  stats maxconn 20\n  ca-base /etc/ssl/certs\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& g = r.config->global;
  EXPECT_EQ(g.nbthread, 4u);
  EXPECT_EQ(g.maxconn, 5000u);
  EXPECT_EQ(g.hard_stop_after, Millis(30000));
  EXPECT_EQ(g.grace, Millis(5000));
  EXPECT_EQ(g.mworker_max_reloads, 3u);
  EXPECT_TRUE(g.master_worker && g.master_worker_no_exit_on_failure);
  EXPECT_EQ(g.user, "haproxy");
  EXPECT_EQ(g.uid, 100u);
  EXPECT_EQ(g.chroot, "/var/empty");
  EXPECT_EQ(g.ulimit_n, 65536u);
  EXPECT_EQ(g.description, "a b c");
  EXPECT_EQ(g.tune_bufsize, 32768u);
  EXPECT_EQ(g.tune_http_maxhdr, 200u);
  EXPECT_EQ(g.tune_maxaccept, 64u);
  EXPECT_EQ(g.spread_checks, 5u);
  EXPECT_EQ(g.server_state_file, "/tmp/state");
  EXPECT_EQ(g.ssl_default_bind_options, "ssl-min-ver TLSv1.2 no-tls-tickets");
  ASSERT_EQ(g.stats_sockets.size(), 1u);
  EXPECT_EQ(g.stats_sockets[0].addr.port, 9999);
  EXPECT_EQ(g.stats_sockets[0].level, StatsSocket::Level::Operator);
  EXPECT_EQ(g.stats_maxconn, 20u);
  EXPECT_EQ(g.ca_base, "/etc/ssl/certs");
  // TLS-only settings are kept but cannot apply: one notice line each, no error.
  EXPECT_TRUE(has_diag(r, "t.cfg:17: notice: 'tune.maxrewrite' has no effect in sluice", true)) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:29: notice: 'ca-base' has no effect in sluice (TLS is refused", true)) << dump(r);
}

// Pure tuning HAProxy's own tests set (tune.idle-pool.shared, tune.ssl.*) loads with a
// notice; a tuning keyword that would change behaviour stays an error.
TEST(ConfigGlobalTest, NoticeOnlyKeywords) {
  auto r = load("global\n  tune.idle-pool.shared on\n  tune.ssl.capture-buffer-size 1\n"
                "  tune.ssl.default-dh-param 2048\n  tune.h2.max-concurrent-streams 10\n  nosplice\n"
                "  tune.rcvbuf.client 8192\n  ssl-server-verify none\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  for (int line = 2; line <= 8; ++line)
    EXPECT_TRUE(has_diag(r, fmt::format("t.cfg:{}: notice: '", line), true)) << line << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:2: notice: 'tune.idle-pool.shared' has no effect in sluice (pure tuning", true));
  for (const auto& d : r.diagnostics) EXPECT_TRUE(d.notice) << d.format();   // no warning wall
  auto bad = load("global\n  tune.http.logurilen 100\n  debug\n  maxconnrate 10\n");
  EXPECT_TRUE(has_diag(bad, "t.cfg:2: 'tune.http.logurilen' is not supported by sluice yet")) << dump(bad);
  EXPECT_TRUE(has_diag(bad, "t.cfg:3: 'debug' is not supported by sluice yet")) << dump(bad);
  EXPECT_TRUE(has_diag(bad, "t.cfg:4: 'maxconnrate' is not supported by sluice yet")) << dump(bad);
}

TEST(ConfigGlobalTest, Errors) {
  auto r = load("global\n  nbthreads 4\n  spread-checks 80\n  stats socket /tmp/x level root\n  lua-load x.lua\n"
                "  maxconn lots\n  daemon now\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:2: unknown keyword 'nbthreads' in 'global' section (did you mean 'nbthread'?)")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:3: 'spread-checks': 80 is out of range (maximum 50)")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:4: stats socket: 'level' expects user, operator or admin")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:5: 'lua-load' is not supported by sluice yet")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:6: 'maxconn': 'lots' is not a valid number")) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:7: 'daemon' expects no argument")) << dump(r);
}

// Socket modes are octal digits up to 777; strtoul used to take a sign, spaces or junk after.
TEST(ConfigGlobalTest, SocketModesAreStrictOctal) {
  auto ok = load("global\n  stats socket /tmp/a.sock mode 0660\n  stats socket /tmp/b.sock mode 777\n" +
                 std::string(kDefaults) + "frontend f\n  bind /tmp/c.sock mode 600\n");
  ASSERT_TRUE(ok.ok()) << dump(ok);
  EXPECT_EQ(ok.config->global.stats_sockets[0].mode, 0660u);
  EXPECT_EQ(ok.config->global.stats_sockets[1].mode, 0777u);
  // An empty word ends the arguments (as in HAProxy): `mode ''` is `mode` without its value.
  EXPECT_TRUE(has_diag(load("global\n  stats socket /tmp/a.sock mode ''\n"), "t.cfg:2: stats socket: 'mode' expects an argument"));
  for (const char* bad : {"+644", "-1", "0x1ff", "644x", "8", "1000", "07777", "00000"}) {
    const std::string b = bad;
    auto g = load("global\n  stats socket /tmp/a.sock mode '" + b + "'\n");
    EXPECT_TRUE(has_diag(g, "t.cfg:2: stats socket mode: '" + b + "' is not an octal mode (octal digits, at most 777)"))
        << dump(g);
    auto f = load(std::string(kDefaults) + "frontend f\n  bind /tmp/c.sock mode '" + b + "'\n");
    EXPECT_TRUE(has_diag(f, "t.cfg:6: bind option 'mode': '" + b + "' is not an octal mode (octal digits, at most 777)"))
        << dump(f);
  }
}

// Debian's stock /etc/haproxy/haproxy.cfg (errorfiles dropped: they need the files).
TEST(ConfigGlobalTest, DebianStockConfig) {
  auto r = load("global\n\tlog /dev/log\tlocal0\n\tlog /dev/log\tlocal1 notice\n\tchroot /var/lib/haproxy\n"
                "\tstats socket /run/haproxy/admin.sock mode 660 level admin\n\tstats timeout 30s\n\tuser haproxy\n"
                "\tgroup haproxy\n\tdaemon\n\n\t# Default SSL material locations\n\tca-base /etc/ssl/certs\n"
                "\tcrt-base /etc/ssl/private\n\tssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384\n"
                "\tssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256\n\tssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\n"
                "\ndefaults\n\tlog\tglobal\n\tmode\thttp\n\toption\thttplog\n\toption\tdontlognull\n"
                "        timeout connect 5000\n        timeout client  50000\n        timeout server  50000\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->global.logs.size(), 2u);
  EXPECT_EQ(r.config->global.ssl_default_bind_ciphersuites, "TLS_AES_128_GCM_SHA256");
}

}  // namespace
}  // namespace sluice::config
