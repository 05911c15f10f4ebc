// Every configuration of the seed documents (/work/shared/seeds), with loopback addresses.
#include "unit/config/test_util.h"

namespace sluice::config {
namespace {
using namespace testing;

const ProxyConfig& proxy(const LoadResult& r, std::string_view name) {
  const ProxyConfig* p = r.config->find_proxy(name);
  EXPECT_NE(p, nullptr) << name;
  static ProxyConfig empty;
  return p ? *p : empty;
}

// 001 section 1: cookie insertion.
TEST(ConfigSeedTest, ArchGuide1CookieInsert) {
  auto r = load(R"(listen webfarm 127.0.0.1:8080
       mode http
       balance roundrobin
       cookie SERVERID insert indirect
       option httpchk HEAD /index.html HTTP/1.0
       server webA 127.0.0.1:9011 cookie A check
       server webB 127.0.0.1:9012 cookie B check
       server webC 127.0.0.1:9013 cookie C check
       server webD 127.0.0.1:9014 cookie D check
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& p = proxy(r, "webfarm");
  EXPECT_EQ(p.kind, ProxyConfig::Kind::Listen);
  ASSERT_EQ(p.binds.size(), 1u);
  EXPECT_EQ(p.binds[0].addr.port, 8080);
  EXPECT_EQ(p.mode, Mode::Http);
  ASSERT_TRUE(p.cookie);
  EXPECT_EQ(p.cookie->name, "SERVERID");
  EXPECT_EQ(p.cookie->mode, CookieConfig::Mode::Insert);
  EXPECT_TRUE(p.cookie->indirect);
  EXPECT_EQ(p.check.kind, CheckConfig::Kind::Http);
  EXPECT_EQ(p.check.method, "HEAD");
  EXPECT_EQ(p.check.uri, "/index.html");
  EXPECT_EQ(p.check.version, "HTTP/1.0");
  ASSERT_EQ(p.servers.size(), 4u);
  EXPECT_EQ(p.servers[2].cookie, "C");
  EXPECT_TRUE(p.servers[2].check);
  EXPECT_EQ(p.servers[0].addr.port, 9011);
  EXPECT_TRUE(has_diag(r, "HAProxy 1.x form", true));
}

TEST(ConfigSeedTest, ArchGuide1SourceBalanceAndForwardFor) {
  auto r = load(R"(listen webfarm 127.0.0.1:8080
       mode http
       balance source
       cookie SERVERID insert indirect
       option httpclose
       option forwardfor
       option httpchk HEAD /index.html HTTP/1.0
       server webA 127.0.0.1:9011 cookie A check
       server webB 127.0.0.1:9012 cookie B check
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& p = proxy(r, "webfarm");
  EXPECT_EQ(p.balance, Balance::Source);
  EXPECT_EQ(p.http_conn_mode, HttpConnMode::Close);
  EXPECT_TRUE(p.forwardfor.enabled);
  EXPECT_FALSE(p.forwardfor.except);
}

// 001 section 2: cookie prefix, weights; 2.1: 0.0.0.0 bind, httplog, dontlognull.
TEST(ConfigSeedTest, ArchGuide2PrefixWeightsAndL4) {
  auto r = load(R"(listen webfarm 0.0.0.0:8080
       mode http
       balance roundrobin
       cookie JSESSIONID prefix
       option httpclose
       option forwardfor
       option httplog
       option dontlognull
       option httpchk HEAD /index.html HTTP/1.0
       server webA 127.0.0.1:9011 cookie A weight 12 check
       server webB 127.0.0.1:9012 cookie B weight 12 check
       server webC 127.0.0.1:9013 cookie C weight 26 check
       server webD 127.0.0.1:9014 cookie D weight 26 check
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& p = proxy(r, "webfarm");
  EXPECT_EQ(p.cookie->mode, CookieConfig::Mode::Prefix);
  EXPECT_EQ(p.servers[0].weight, 12u);
  EXPECT_EQ(p.servers[3].weight, 26u);
  EXPECT_TRUE(p.httplog);
  EXPECT_EQ(p.dontlognull, true);
  EXPECT_TRUE(p.binds[0].addr.host == "0.0.0.0");
}

// 001 section 2.2: several ports, monitor-net, server without port; ssl-hello-chk.
TEST(ConfigSeedTest, ArchGuide22TcpRelayAndSslHello) {
  auto r = load(R"(listen tse-proxy
       bind :13389,:11494,:15900  # TSE, ICA and VNC at once.
       mode tcp
       balance roundrobin
       server tse-farm 127.0.0.1
       monitor-net 127.0.0.252/31

listen tcp-syslog-proxy
       bind :11514 # listen to TCP syslog traffic on this port (SSL)
       mode tcp
       balance roundrobin
       option ssl-hello-chk
       server syslog-prod-site 127.0.0.1 check
       server syslog-back-site 127.0.0.2 check backup
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& tse = proxy(r, "tse-proxy");
  ASSERT_EQ(tse.binds.size(), 3u);
  EXPECT_EQ(tse.binds[1].addr.port, 11494);
  EXPECT_EQ(tse.servers[0].addr.port, 0);
  ASSERT_EQ(tse.monitor_net.size(), 1u);
  EXPECT_EQ(tse.monitor_net[0].prefix, 31);
  const auto& sys = proxy(r, "tcp-syslog-proxy");
  EXPECT_EQ(sys.check.kind, CheckConfig::Kind::SslHello);
  EXPECT_TRUE(sys.servers[1].backup);
}

// 001 sections 3, 3.1: nameless listen, nocache, forwardfor except.
TEST(ConfigSeedTest, ArchGuide3NamelessListen) {
  auto r = load(R"(listen 127.0.0.1:8000
       mode http
       balance roundrobin
       cookie SERVERID insert indirect nocache
       option httpchk HEAD /index.html HTTP/1.0
       server webA 127.0.0.1:9011 cookie A check
       server webB 127.0.0.1:9012 cookie B check

listen 127.0.0.1:8001
       mode http
       balance roundrobin
       option forwardfor except 127.0.0.1
       cookie SERVERID insert indirect nocache
       option httpchk HEAD /index.html HTTP/1.0
       server webA 127.0.0.1:9011 cookie A check
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& a = proxy(r, "127.0.0.1:8000");
  EXPECT_EQ(a.binds.size(), 1u);
  EXPECT_TRUE(a.cookie->nocache);
  const auto& b = proxy(r, "127.0.0.1:8001");
  ASSERT_TRUE(b.forwardfor.except);
  EXPECT_EQ(b.forwardfor.except->prefix, 32);
  EXPECT_TRUE(has_diag(r, "has no name", true));
}

// 001 sections 4.1 / 4.2 / 4.2.1: old keywords, check port, backup servers, dispatch.
TEST(ConfigSeedTest, ArchGuide4SoftStop) {
  auto r = load(R"(listen 127.0.0.1:8000
       mode http
       balance roundrobin
       cookie SERVERID insert indirect
       option httpchk HEAD /running HTTP/1.0
       server webA 127.0.0.1:9011 cookie A check inter 2000 rise 2 fall 2
       server webB 127.0.0.1:9012 cookie B check inter 2000 rise 2 fall 2
       option persist
       redispatch
       contimeout 5000

listen 127.0.0.1:8001
       mode http
       balance roundrobin
       redispatch
       cookie SERVERID insert indirect
       option httpchk HEAD / HTTP/1.0
       server webA 127.0.0.1:9011 cookie A check port 9081 inter 2000
       server bkpA 127.0.0.1:9011 cookie A check port 9011 inter 2000 backup

global
       daemon
       quiet
       pidfile /tmp/haproxy-checks.pid

listen 0.0.0.0:8081
       mode tcp
       dispatch 127.0.0.1:9080
       contimeout 1000
       clitimeout 10000
       srvtimeout 10000
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& a = proxy(r, "127.0.0.1:8000");
  EXPECT_EQ(a.persist, true);
  EXPECT_EQ(a.redispatch, true);
  EXPECT_EQ(a.timeouts.connect, Millis(5000));
  EXPECT_EQ(a.servers[0].inter, Millis(2000));
  EXPECT_EQ(a.servers[0].fall, 2u);
  const auto& b = proxy(r, "127.0.0.1:8001");
  EXPECT_EQ(b.servers[0].check_port, 9081);
  EXPECT_TRUE(b.servers[1].backup);
  EXPECT_TRUE(r.config->global.daemon);
  EXPECT_TRUE(r.config->global.quiet);
  EXPECT_EQ(r.config->global.pidfile, "/tmp/haproxy-checks.pid");
  const auto& c = proxy(r, "0.0.0.0:8081");
  ASSERT_TRUE(c.dispatch);
  EXPECT_EQ(c.dispatch->port, 9080);
  EXPECT_EQ(c.timeouts.client, Millis(10000));
  EXPECT_EQ(c.timeouts.server, Millis(10000));
  EXPECT_TRUE(has_diag(r, "'contimeout' is deprecated", true));
}

// 002: global daemon/quiet/nbproc/pidfile.
TEST(ConfigSeedTest, ReloadGlobalNbproc) {
  auto r = load(R"(global
    daemon
    quiet
    nbproc  2
    pidfile /tmp/haproxy-private.pid
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->global.nbproc, 2u);
  EXPECT_TRUE(has_diag(r, "t.cfg:4: warning: 'nbproc 2' ignored: sluice runs one process", true)) << dump(r);
}

// 003: graceful maintenance, in the one-line form HAProxy accepts.
TEST(ConfigSeedTest, GracefulMaintenance) {
  auto r = load(std::string(kDefaults) + R"(backend APP1
    mode http
    balance roundrobin
    cookie HAPROXY_SESSION insert indirect nocache postonly
    option persist
    option httpchk HEAD /healthcheck HTTP/1.1\r\nHost:\ example.com
    server SRV1 127.0.0.1:9010 cookie SRV1 check weight 100 backup on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions maxconn 50 slowstart 30s minconn 5
    server SRV2 127.0.0.1:9011 cookie SRV2 check weight 100

backend PHP_APP
    cookie SERVERID insert indirect nocache
    server web01 127.0.0.1:9012 cookie web01 check slowstart 30s on-error fastinter
    server web02 127.0.0.1:9013 cookie web02 check slowstart 30s on-error fastinter
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& a = proxy(r, "APP1");
  EXPECT_TRUE(a.cookie->postonly);
  EXPECT_EQ(a.check.version, "HTTP/1.1");
  ASSERT_EQ(a.check.headers.size(), 1u);
  EXPECT_EQ(a.check.headers[0].first, "Host");
  EXPECT_EQ(a.check.headers[0].second, "example.com");
  const auto& s = a.servers[0];
  EXPECT_TRUE(s.on_marked_down_shutdown_sessions);
  EXPECT_TRUE(s.on_marked_up_shutdown_backup_sessions);
  EXPECT_EQ(s.maxconn, 50u);
  EXPECT_EQ(s.minconn, 5u);
  EXPECT_EQ(s.slowstart, Millis(30000));
  EXPECT_EQ(s.weight, 100u);
  const auto& php = proxy(r, "PHP_APP");
  EXPECT_TRUE(php.servers[1].on_error_set);
  EXPECT_EQ(php.servers[1].on_error, OnError::FastInter);
}

// 003 as printed: HAProxy has no `\` continuation lines; sluice joins them (an extension,
// with a warning that names it) so the article's configuration loads as written.
TEST(ConfigSeedTest, GracefulMaintenanceBackslashFormLoadsWithWarning) {
  auto r = load(std::string(kDefaults) + "backend APP1\n"
                "    server SRV1 127.0.0.1:9010 cookie SRV1 check \\\n"
                "        on-marked-down shutdown-sessions \\\n"
                "        on-marked-up shutdown-backup-sessions\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(has_diag(r, "t.cfg:6: warning: line continued with '\\'", true)) << dump(r);
  const auto& s = proxy(r, "APP1").servers[0];
  EXPECT_TRUE(s.check);
  EXPECT_TRUE(s.on_marked_down_shutdown_sessions);
  EXPECT_TRUE(s.on_marked_up_shutdown_backup_sessions);
}

// The article's other form (keywords alone on the following lines) cannot be a server
// line: it is an error that says where the keyword belongs.
TEST(ConfigSeedTest, GracefulMaintenanceSplitServerLineIsExplained) {
  auto r = load(std::string(kDefaults) + "backend APP1\n"
                "    server SRV1 127.0.0.1:9010 cookie SRV1 check\n"
                "        on-marked-down shutdown-sessions\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_diag(r, "t.cfg:7: unknown keyword 'on-marked-down' in 'backend' section ('on-marked-down' is a "
                          "server keyword")) << dump(r);
}

// 004: disable-on-404 with a one-argument httpchk (the URI).
TEST(ConfigSeedTest, RollingDeployDisableOn404) {
  auto r = load(std::string(kDefaults) + R"(backend tomcats
    mode http
    option httpchk /myurl
    http-check disable-on-404
    server t1 127.0.0.1:8081 check inter 2s
    server t2 127.0.0.1:8082 check inter 2s
    server t3 127.0.0.1:8083 check inter 2s
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& p = proxy(r, "tomcats");
  EXPECT_EQ(p.check.uri, "/myurl");
  EXPECT_EQ(p.check.method, "OPTIONS");
  EXPECT_TRUE(p.check.disable_on_404);
}

TEST(ConfigSeedTest, RollingDeployMisspelledHttpcheckSuggests) {
  auto r = load(std::string(kDefaults) + "backend b\n  option httpcheck /myurl\n  server a 127.0.0.1:1\n");
  EXPECT_TRUE(has_diag(r, "t.cfg:6: unknown option 'httpcheck' (did you mean 'httpchk'?)")) << dump(r);
}

// 000: backup server on the same host, checked on another port.
TEST(ConfigSeedTest, ZeroDowntimeBackupOnSameHost) {
  auto r = load(std::string(kDefaults) + R"(listen app
    bind 127.0.0.1:8080
    mode http
    cookie SERVERID insert indirect
    option httpchk HEAD / HTTP/1.0
    server app1 127.0.0.1:9080 cookie A check port 9081
    server app1-bkp 127.0.0.1:9080 cookie A check port 9080 backup
    option redispatch
)");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& p = proxy(r, "app");
  EXPECT_EQ(p.servers[0].check_port, 9081);
  EXPECT_EQ(p.servers[1].check_port, 9080);
  EXPECT_EQ(p.servers[1].cookie, "A");
}

// 003: the admin socket the procedures use.
TEST(ConfigSeedTest, StatsSocketForSocat) {
  auto r = load("global\n  stats socket /tmp/sluice-admin.sock mode 660 level admin expose-fd listeners\n"
                "  stats timeout 30s\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  const auto& s = r.config->global.stats_sockets.at(0);
  EXPECT_EQ(s.addr.kind, Address::Kind::Unix);
  EXPECT_EQ(s.addr.path, "/tmp/sluice-admin.sock");
  EXPECT_EQ(s.mode, 0660u);
  EXPECT_EQ(s.level, StatsSocket::Level::Admin);
  EXPECT_TRUE(s.expose_fd_listeners);
  EXPECT_EQ(r.config->global.stats_timeout, Millis(30000));
}

}  // namespace
}  // namespace sluice::config
