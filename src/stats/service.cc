#include "stats/service.h"

#include <unistd.h>

#include <cctype>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "backend/state.h"
#include "core/assert.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/version.h"
#include "log/sink.h"
#include "proxy/runtime.h"
#include "stats/page.h"
#include "stats/prometheus.h"
#include "stats/stat_rows.h"

namespace sluice::stats {

namespace {

constexpr std::string_view kDefaultRealm = "HAProxy Statistics";   // haproxy's default

const config::StatsConfig* stats_config(const proxy::Frontend& fe, const backend::Backend* be,
                                        std::string_view path) {
  for (const config::StatsConfig* s : {&fe.config().stats, be ? &be->config().stats : nullptr}) {
    if (s != nullptr && s->enabled && path.starts_with(s->uri)) return s;
  }
  return nullptr;
}

std::string response(std::string_view status, std::string_view type, std::string_view body,
                     std::string_view extra = {}) {
  return fmt::format("HTTP/1.1 {}\r\ncache-control: no-cache\r\ncontent-type: {}\r\n{}"
                     "content-length: {}\r\nconnection: close\r\n\r\n{}",
                     status, type, extra, body.size(), body);
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string url_decode(std::string_view s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') o += ' ';
    else if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      o += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      o += s[i];
    }
  }
  return o;
}

bool credentials_match(std::string_view given, const std::vector<std::string>& allowed) {
  // Compared as SHA-256 digests with CRYPTO_memcmp: equal-length buffers whatever the
  // lengths, every configured pair checked, so the time says nothing of where or whether
  // they differ.
  auto digest = [](std::string_view s, unsigned char (&md)[32]) {
    unsigned int n = 0;
    SLUICE_CHECK(EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr) == 1 && n == 32,
             "EVP_Digest(sha256) failed");
  };
  unsigned char want[32], got[32];
  digest(given, got);
  int match = 0;
  for (const auto& a : allowed) {
    digest(a, want);
    match |= CRYPTO_memcmp(want, got, sizeof got) == 0;
  }
  return match != 0;
}

bool authorized(const config::StatsConfig& cfg, const http::RequestHead& req) {
  if (cfg.auth.empty()) return true;
  // Authorization is a singleton field (RFC 9110 11.6.2): two of them are not credentials.
  int i = req.find("authorization");
  if (i < 0 || req.find("authorization", i + 1) >= 0) return false;
  auto creds = basic_credentials(req.headers[static_cast<size_t>(i)].value);
  return creds && credentials_match(*creds, cfg.auth);
}

std::vector<std::pair<std::string, std::string>> parse_form(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view kv = body.substr(0, amp);
    size_t eq = kv.find('=');
    if (!kv.empty())
      out.emplace_back(url_decode(kv.substr(0, eq)),
                       eq == std::string_view::npos ? "" : url_decode(kv.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return out;
}

// haproxy's result codes for the page banner: DONE, NONE (nothing changed), PART (some
// changed), ERRP (bad parameters), DENY (not allowed).
std::string_view apply_action(proxy::Runtime& rt, std::string_view body) {
  std::string action, bname;
  std::vector<std::string> servers;
  for (auto& [k, v] : parse_form(body)) {
    if (k == "action") action = v;
    else if (k == "b") bname = v;
    else if (k == "s") servers.push_back(v);
  }
  backend::AdminState target;
  if (action == "ready") target = backend::AdminState::Ready;
  else if (action == "drain") target = backend::AdminState::Drain;
  else if (action == "maint") target = backend::AdminState::Maint;
  else return "ERRP";
  backend::Backend* be = nullptr;
  if (bname.starts_with("#")) {
    int id = std::atoi(bname.c_str() + 1);
    for (auto& b : rt.backends())
      if (b->id() == id) be = b.get();
  } else {
    be = rt.find_backend(bname);
  }
  if (be == nullptr || servers.empty()) return "ERRP";
  size_t changed = 0, found = 0;
  static const backend::Transition kWhy{"changed from the stats page", "", -1};
  for (const auto& name : servers) {
    backend::Server* s = be->find_server(name);
    if (s == nullptr) continue;
    ++found;
    if (s->admin_state() == target) continue;
    backend::set_admin_state(*s, target, kWhy);
    ++changed;
  }
  if (found == 0) return "ERRP";
  if (changed == 0) return "NONE";
  return changed == servers.size() ? "DONE" : "PART";
}

Service match(const proxy::Frontend& fe, const backend::Backend* be, const http::RequestHead& req,
              bool use_service_prometheus) {
  if (use_service_prometheus) return Service::Prometheus;
  if (stats_config(fe, be, req.path) != nullptr) return Service::StatsPage;
  return Service::None;
}

std::string serve(Service svc, const ServiceRequest& req) {
  proxy::Runtime& rt = req.rt;
  if (svc == Service::Prometheus)
    return response("200 OK", "text/plain; version=0.0.4", prometheus_text(rt));

  const config::StatsConfig* cfg = stats_config(req.fe, req.be, req.head.path);
  if (cfg == nullptr) return response("503 Service Unavailable", "text/plain", "");
  if (!authorized(*cfg, req.head)) {
    std::string realm = cfg->realm.empty() ? std::string(kDefaultRealm) : cfg->realm;
    return response("401 Unauthorized", "text/html",
                    "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password "
                    "to access this content.\n</body></html>\n",
                    fmt::format("www-authenticate: Basic realm=\"{}\"\r\n", realm));
  }
  // Options after the URI: ";csv", ";norefresh", ";up", ";st=DONE".
  bool csv = false, norefresh = false, up_only = false;
  std::string st;
  std::string_view rest = req.head.path.substr(cfg->uri.size());
  while (!rest.empty()) {
    size_t semi = rest.find(';');
    std::string_view opt = rest.substr(0, semi);
    if (opt == "csv") csv = true;
    else if (opt == "norefresh") norefresh = true;
    else if (opt == "up") up_only = true;
    else if (opt.starts_with("st=")) st = std::string(opt.substr(3, 4));
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  if (req.head.method == http::Method::Post) {
    std::string_view code = req.admin_allowed ? apply_action(rt, req.body) : "DENY";
    return response("303 See Other", "text/plain", "",
                    fmt::format("location: {};st={}\r\n", cfg->uri, code));
  }
  // haproxy's page leaves addresses and cookies out, as for runtime API level user.
  auto rows = stat_rows(rt, true);
  if (up_only) {
    std::erase_if(rows, [](const StatRow& r) {
      auto s = r.get("status");
      return r.type == 'S' && s != "UP" && s != "no check";
    });
  }
  if (csv) return response("200 OK", "text/plain", stat_csv(rows));

  PageOptions o;
  o.uri = cfg->uri;
  o.admin = req.admin_allowed;
  o.hide_version = cfg->hide_version;
  o.refresh_s = cfg->refresh && !norefresh ? static_cast<int>(cfg->refresh->count() / 1000) : 0;
  o.status = st;
  o.version = std::string(version());
  o.node = rt.config().global.node;
  o.pid = static_cast<int>(::getpid());
  auto now = static_cast<uint64_t>(core::wall_seconds());
  o.uptime_s = now >= rt.start_wall_s ? now - rt.start_wall_s : 0;
  o.cur_conns = rt.cur_conns.load(std::memory_order_relaxed);
  o.max_conns = rt.maxconn.load(std::memory_order_relaxed);
  o.dropped_logs = log::dropped_lines();
  std::string extra = o.refresh_s > 0 ? fmt::format("refresh: {}\r\n", o.refresh_s) : "";
  return response("200 OK", "text/html; charset=utf-8", render_page(rows, o), extra);
}

}  // namespace sluice::stats
