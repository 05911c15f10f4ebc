#include "proxy/stick.h"

#include <arpa/inet.h>

#include <cstring>

#include "http/cookie.h"

namespace sluice::proxy {

namespace {

using Kind = config::StickRule::Kind;
using Type = config::StickTableConfig::Type;

std::optional<std::string> to_key(const backend::StickTable& t, std::string_view v) {
  switch (t.config().type) {
    case Type::Ip: {
      in_addr a{};
      if (inet_pton(AF_INET, std::string(v).c_str(), &a) != 1) return std::nullopt;
      return std::string(reinterpret_cast<const char*>(&a), 4);
    }
    case Type::Ipv6: {
      in6_addr a{};
      if (inet_pton(AF_INET6, std::string(v).c_str(), &a) != 1) return std::nullopt;
      return std::string(reinterpret_cast<const char*>(&a), 16);
    }
    case Type::Integer: {
      char* end = nullptr;
      std::string s(v);
      long long n = std::strtoll(s.c_str(), &end, 10);
      if (s.empty() || *end != '\0') return std::nullopt;
      int64_t n64 = n;
      return std::string(reinterpret_cast<const char*>(&n64), 8);
    }
    case Type::String:
    case Type::Binary:
      return std::string(v.substr(0, t.config().key_len ? t.config().key_len : v.size()));
  }
  return std::nullopt;
}

std::optional<std::string> src_key(const backend::StickTable& t, const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    auto& in = reinterpret_cast<const sockaddr_in&>(ss).sin_addr;
    if (t.config().type == Type::Ip) return std::string(reinterpret_cast<const char*>(&in), 4);
    if (t.config().type == Type::Ipv6) {
      in6_addr m{};
      m.s6_addr[10] = m.s6_addr[11] = 0xff;
      std::memcpy(&m.s6_addr[12], &in, 4);
      return std::string(reinterpret_cast<const char*>(&m), 16);
    }
  } else if (ss.ss_family == AF_INET6) {
    auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr;
    if (t.config().type == Type::Ipv6) return std::string(reinterpret_cast<const char*>(&in6), 16);
    if (t.config().type == Type::Ip && IN6_IS_ADDR_V4MAPPED(&in6))
      return std::string(reinterpret_cast<const char*>(&in6.s6_addr[12]), 4);
  }
  char buf[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
  else if (ss.ss_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, buf, sizeof buf);
  else return std::nullopt;
  return to_key(t, buf);
}

Result<std::pair<StickRule::Fetch, std::string>> parse_fetch(const std::string& e) {
  std::string name = e, arg;
  if (auto lp = e.find('('); lp != std::string::npos && e.back() == ')') {
    name = e.substr(0, lp);
    arg = e.substr(lp + 1, e.size() - lp - 2);
  }
  using F = StickRule::Fetch;
  if (name == "src") return std::pair{F::Src, arg};
  if (name == "req.cook" || name == "cook" || name == "cookie") return std::pair{F::ReqCookie, arg};
  if (name == "req.hdr" || name == "hdr") return std::pair{F::ReqHdr, arg};
  if (name == "url_param" || name == "urlp") return std::pair{F::UrlParam, arg};
  if (name == "res.cook" || name == "set-cookie" || name == "scook") return std::pair{F::ResCookie, arg};
  if (name == "res.hdr" || name == "shdr") return std::pair{F::ResHdr, arg};
  return fail("stick expression '" + e + "' is not supported by sluice yet");
}

}  // namespace

Result<StickRules> StickRules::compile(const config::ProxyConfig& p,
                                       const std::vector<std::unique_ptr<backend::StickTable>>& tables,
                                       const rules::Resolver* resolver) {
  StickRules out;
  for (const auto& r : p.stick_rules) {
    StickRule sr;
    sr.kind = r.kind;
    auto f = parse_fetch(r.expr);
    if (!f) return fail(f.error().message);
    sr.fetch = f->first;
    sr.arg = f->second;
    std::string tname = r.table.empty() ? p.name : r.table;
    for (auto& t : tables)
      if (t->name() == tname) sr.table = t.get();
    if (sr.table == nullptr) return fail("stick rule refers to unknown table '" + tname + "'");
    if (r.cond) {
      rules::CompileCtx cc{rules::kHttpReq, &p, resolver, r.cond->loc, "stick", nullptr};
      if (r.kind == Kind::StoreResponse) cc.phases = rules::kHttpRes;
      if (p.mode == config::Mode::Tcp) cc.phases = rules::kReqContent;
      auto c = Condition::compile(*r.cond, p.acls, cc);
      if (!c) return fail(c.error().message);
      sr.cond = std::move(*c);
    }
    if (r.kind == Kind::StoreResponse) out.has_response_ = true;
    out.rules_.push_back(std::move(sr));
  }
  return out;
}

std::optional<std::string> StickRules::key(const StickRule& r, AclContext& ctx,
                                           const http::ResponseHead* rsp) const {
  using F = StickRule::Fetch;
  switch (r.fetch) {
    case F::Src:
      if (ctx.src == nullptr) return std::nullopt;
      return src_key(*r.table, *ctx.src);
    case F::ReqCookie:
      if (ctx.req == nullptr) return std::nullopt;
      for (int i = ctx.req->find("cookie"); i >= 0; i = ctx.req->find("cookie", i + 1))
        if (auto v = http::find_cookie(ctx.req->headers[static_cast<size_t>(i)].value, r.arg)) return to_key(*r.table, *v);
      return std::nullopt;
    case F::ReqHdr:
      if (ctx.req == nullptr) return std::nullopt;
      if (int i = ctx.req->find(r.arg); i >= 0) return to_key(*r.table, ctx.req->headers[static_cast<size_t>(i)].value);
      return std::nullopt;
    case F::UrlParam: {
      if (ctx.req == nullptr) return std::nullopt;
      std::string_view p = ctx.req->path;
      auto q = p.find('?');
      if (q == std::string_view::npos) return std::nullopt;
      p.remove_prefix(q + 1);
      while (!p.empty()) {
        auto amp = p.find('&');
        std::string_view kv = p.substr(0, amp);
        auto eq = kv.find('=');
        if (kv.substr(0, eq) == r.arg && eq != std::string_view::npos) return to_key(*r.table, kv.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        p.remove_prefix(amp + 1);
      }
      return std::nullopt;
    }
    case F::ResCookie:
      if (rsp == nullptr) return std::nullopt;
      for (int i = rsp->find("set-cookie"); i >= 0; i = rsp->find("set-cookie", i + 1)) {
        auto sc = http::parse_set_cookie(rsp->headers[static_cast<size_t>(i)].value);
        if (sc && sc->name == r.arg) return to_key(*r.table, sc->value);
      }
      return std::nullopt;
    case F::ResHdr:
      if (rsp == nullptr) return std::nullopt;
      if (int i = rsp->find(r.arg); i >= 0) return to_key(*r.table, rsp->headers[static_cast<size_t>(i)].value);
      return std::nullopt;
  }
  return std::nullopt;
}

backend::Server* StickRules::match(backend::Backend& be, AclContext& ctx, uint64_t now_ms) const {
  for (const auto& r : rules_) {
    if (r.kind != Kind::On && r.kind != Kind::Match) continue;
    if (r.cond && !r.cond->eval(ctx)) continue;
    auto k = key(r, ctx, nullptr);
    if (!k) continue;
    auto id = r.table->lookup(*k, now_ms);
    if (!id) continue;
    std::lock_guard lk(be.mutex());
    for (auto& s : be.servers())
      if (s->id() == *id) return s.get();
  }
  return nullptr;
}

StickRules::Prepared StickRules::prepare(backend::Backend& be, AclContext& ctx, uint64_t now_ms) const {
  Prepared p;
  p.sticky = match(be, ctx, now_ms);
  for (const auto& r : rules_) {
    if (r.kind != Kind::On && r.kind != Kind::StoreRequest) continue;
    if (r.cond && !r.cond->eval(ctx)) continue;
    if (auto k = key(r, ctx, nullptr)) p.to_store.emplace_back(r.table, std::move(*k));
  }
  return p;
}

void StickRules::commit(const Prepared& p, backend::Server& srv, uint64_t now_ms) {
  for (const auto& [table, key] : p.to_store) table->store(key, srv.id(), now_ms, false);
}

void StickRules::store(backend::Server& srv, AclContext& ctx, const http::ResponseHead* rsp,
                       uint64_t now_ms) const {
  for (const auto& r : rules_) {
    bool on_response = r.kind == Kind::StoreResponse;
    if (on_response != (rsp != nullptr)) continue;
    if (r.kind == Kind::Match) continue;
    if (r.cond && !r.cond->eval(ctx)) continue;
    auto k = key(r, ctx, rsp);
    if (!k) continue;
    r.table->store(*k, srv.id(), now_ms, on_response);
  }
}

}  // namespace sluice::proxy
