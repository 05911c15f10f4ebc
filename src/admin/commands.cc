// The runtime API commands: server state, weights, addresses, dynamic servers, sessions,
// and the `wait` condition. State changes go through backend/state.h only.
#include "admin/commands.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <mutex>

#include "admin/maps.h"
#include "backend/state.h"
#include "check/check.h"
#include "config/loader.h"
#include "core/clock.h"
#include "core/log.h"
#include "net/socket.h"
#include "proxy/worker.h"
#include "rules/global_vars.h"

namespace sluice::admin {

namespace {

using backend::AdminState;
using backend::OpState;
using backend::Server;

const backend::Transition kCli{"changed from CLI", "", -1};

// Resolves "B/S"; on failure answers the HAProxy message and returns nullptr.
Server* find_server(Context& ctx, std::string_view arg, Reply& reply) {
  auto bs = split_server(arg);
  if (!bs) {
    reply("Require 'backend/server'.\n");
    return nullptr;
  }
  backend::Backend* b = ctx.rt.find_backend(bs->first);
  if (!b) {
    reply("No such backend.\n");
    return nullptr;
  }
  std::lock_guard lk(b->mutex());
  Server* s = b->find_server(bs->second);
  if (!s) reply("No such server.\n");
  return s;
}

std::string arg(Args a, size_t i) { return i < a.size() ? a[i] : std::string(); }

std::string join(std::vector<std::string> parts) {
  std::string out;
  for (auto& p : parts) out += p;
  return out;
}

// ---- show ---------------------------------------------------------------------------------

void cmd_help(Context& ctx, Args, Reply reply) { reply(help_text(ctx.level)); }

void cmd_show_info(Context& ctx, Args, Reply reply) { reply(show_info(ctx.rt)); }

void cmd_show_stat(Context& ctx, Args a, Reply reply) {
  std::string fmt = arg(a, 2);
  if (fmt == "typed") return reply(show_stat_typed(ctx.rt, ctx.level));
  if (fmt == "json") return reply(show_stat_json(ctx.rt, ctx.level));
  reply(show_stat_csv(ctx.rt, ctx.level));
}

void cmd_show_servers(Context& ctx, Args a, Reply reply) {
  std::string what = arg(a, 2), be = arg(a, 3);
  if (!be.empty() && !ctx.rt.find_backend(be)) return reply("Can't find backend.\n");
  if (what == "state") return reply(show_servers_state(ctx.rt, be));
  if (what == "conn") return reply(show_servers_conn(ctx.rt, be));
  reply("'show servers' only supports 'state' and 'conn'.\n");
}

void cmd_show_backend(Context& ctx, Args, Reply reply) {
  std::string out = "# name\n";
  for (auto& b : ctx.rt.backends()) out += b->name() + "\n";
  reply(out);
}

// show table [NAME]: the list of tables, or one table's entries, in haproxy's format.
void cmd_show_table(Context& ctx, Args a, Reply reply) {
  auto type_name = [](const config::StickTableConfig& c) {
    using T = config::StickTableConfig::Type;
    switch (c.type) {
      case T::Ip: return "ip";
      case T::Ipv6: return "ipv6";
      case T::Integer: return "integer";
      case T::String: return "string";
      case T::Binary: return "binary";
    }
    return "?";
  };
  uint64_t now = core::monotonic_ms();
  std::string name = arg(a, 2);
  std::string out;
  bool found = false;
  for (auto& t : ctx.rt.stick_tables()) {
    if (!name.empty() && t->name() != name) continue;
    found = true;
    auto entries = t->snapshot(now);
    out += fmt::format("# table: {}, type: {}, size:{}, used:{}\n", t->name(), type_name(t->config()),
                       t->config().size, entries.size());
    if (name.empty()) continue;
    size_t i = 0;
    for (auto& e : entries) {
      std::string srv_name;
      if (auto* be = ctx.rt.find_backend(t->name())) {
        std::lock_guard lk(be->mutex());
        for (auto& sv : be->servers())
          if (sv->id() == e.server_id) srv_name = std::string(sv->name());
      }
      out += fmt::format("{:#x}: key={} use={} exp={} server_id={} server_key={}\n", 0x1000 + i++,
                         t->key_text(e.key), e.use, e.expire_ms ? e.expire_ms - now : 0, e.server_id,
                         srv_name);
    }
  }
  if (!name.empty() && !found) return reply("No such table\n");
  reply(out);
}

// _dumptables: every stick table with its entries, for the next process on reload
// (app/server_state.h parses it). Keys are hex, expiries are remaining milliseconds.
void cmd_dump_tables(Context& ctx, Args, Reply reply) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t now = core::monotonic_ms();
  std::string out = "# sluice tables v1\n";
  for (auto& t : ctx.rt.stick_tables()) {
    out += "table " + t->name() + "\n";
    for (auto& e : t->snapshot(now)) {
      std::string hex;
      for (unsigned char c : e.key) {
        hex.push_back(kHex[c >> 4]);
        hex.push_back(kHex[c & 15]);
      }
      out += fmt::format("{} {} {}\n", hex, e.server_id, e.expire_ms ? e.expire_ms - now : 0);
    }
  }
  reply(out);
}

std::optional<uint64_t> session_id(std::string_view s) {
  if (s.starts_with("0x") || s.starts_with("0X")) {
    uint64_t v = 0;
    s.remove_prefix(2);
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
  }
  return parse_uint(s);
}

void cmd_show_sess(Context& ctx, Args a, Reply reply) {
  std::string sel = arg(a, 2);
  std::optional<uint64_t> id;
  if (!sel.empty() && sel != "all") {
    id = session_id(sel);
    if (!id) return reply("Session not found.\n");
  }
  on_all_workers(
      ctx,
      [id](proxy::Worker& w) {
        std::string out;
        w.sessions().for_each([&](proxy::Session& s) {
          if (!id || s.id() == *id) out += s.describe() + "\n";
        });
        return out;
      },
      [reply, id](std::vector<std::string> parts) {
        std::string out = join(std::move(parts));
        if (id && out.empty()) return reply("Session not found.\n");
        reply(out);
      });
}

// ---- server state and weight ----------------------------------------------------------------

void cmd_set_server(Context& ctx, Args a, Reply reply) {
  Server* s = find_server(ctx, arg(a, 2), reply);
  if (!s) return;
  std::string what = arg(a, 3), v = arg(a, 4);
  if (what == "state") {
    if (v == "ready") backend::set_admin_state(*s, AdminState::Ready, kCli);
    else if (v == "drain") backend::set_admin_state(*s, AdminState::Drain, kCli);
    else if (v == "maint") backend::set_admin_state(*s, AdminState::Maint, kCli);
    else
      return reply(fmt::format("'set server <srv> state' expects 'ready', 'drain' and 'maint'"
                               "{}.\n", v.empty() ? "" : fmt::format(" ('{}' is not a server state; "
                               "a backup server is declared with the 'backup' keyword)", v)));
    return reply("");
  }
  if (what == "weight") {
    auto w = parse_weight(v, s->config().weight);
    if (!w) return reply(w.error().message + "\n");
    backend::set_weight(*s, *w, "set server weight");
    return reply("");
  }
  if (what == "health" || what == "agent") {
    if (what == "agent" && !s->config().agent_check)
      return reply("agent checks are not enabled on this server.\n");
    OpState st;
    if (v == "up") st = OpState::Up;
    else if (v == "stopping") st = OpState::Nolb;
    else if (v == "down") st = OpState::Down;
    else
      return reply(fmt::format("'set server <srv> {}' expects 'up', 'stopping', or 'down'.\n", what));
    backend::set_op_state(*s, st, kCli);
    return reply("");
  }
  if (what == "addr") {
    auto addr = config::parse_address(v, false, false);
    if (v.empty() || !addr || addr->kind != config::Address::Kind::Inet ||
        addr->sa.ss_family == AF_UNSPEC)
      return reply(fmt::format("Invalid addr '{}' by 'stats socket command'\n", v));
    std::optional<uint64_t> port;
    if (arg(a, 5) == "port") {
      port = parse_uint(arg(a, 6));
      if (!port || *port == 0 || *port > 65535)
        return reply(fmt::format("Invalid port '{}' by 'stats socket command'\n", arg(a, 6)));
    } else if (a.size() > 5) {
      return reply("set server <b>/<s> addr requires an address and optional port.\n");
    }
    backend::Backend& b = s->backend();
    std::string msg;
    {
      std::lock_guard lk(b.mutex());
      sockaddr_storage ss = addr->sa;
      auto old_ip = net::to_string(s->addr(), false);
      auto old_port = net::port_of(reinterpret_cast<const sockaddr*>(&s->addr()));
      uint16_t np = port ? static_cast<uint16_t>(*port) : old_port;
      net::set_port(ss, np);
      auto new_ip = net::to_string(ss, false);
      if (new_ip == old_ip && np == old_port) return reply("no need to change the addr, port\n");
      s->set_addr(ss);
      msg = new_ip != old_ip ? fmt::format("IP changed from '{}' to '{}'", old_ip, new_ip)
                             : std::string("no need to change the addr");
      msg += np != old_port ? fmt::format(", port changed from '{}' to '{}'", old_port, np)
                            : std::string();
      msg += " by 'stats socket command'\n";
      core::log(core::Level::Notice, "{}/{} changed its IP from {} to {} by stats socket command",
                b.name(), s->name(), old_ip, new_ip);
    }
    ctx.rt.post_all([s](proxy::Worker& w) { w.purge_server(*s); });
    return reply(msg);
  }
  reply("usage: set server <backend>/<server> addr | agent | health | state | weight\n");
}

void cmd_set_weight(Context& ctx, Args a, Reply reply) {
  Server* s = find_server(ctx, arg(a, 2), reply);
  if (!s) return;
  auto w = parse_weight(arg(a, 3), s->config().weight);
  if (!w) return reply(w.error().message + "\n");
  backend::set_weight(*s, *w, "set weight");
  reply("");
}

void cmd_get_weight(Context& ctx, Args a, Reply reply) {
  Server* s = find_server(ctx, arg(a, 2), reply);
  if (!s) return;
  reply(fmt::format("{} (initial {})\n", s->user_weight(), s->config().weight));
}

// get var proc.NAME / set var proc.NAME [expr] EXPR | fmt FMT (experimental mode, as in
// HAProxy). The CLI splits on spaces: the words after the name are joined back.
void cmd_get_var(Context&, Args a, Reply reply) { reply(rules::cli_get_var(arg(a, 2))); }

void cmd_set_var(Context& ctx, Args a, Reply reply) {
  if (!ctx.experimental) return reply("This command is restricted to experimental mode only.\n");
  size_t i = 3;
  bool fmt = false;
  if (a.size() > 4 && (a[3] == "expr" || a[3] == "fmt")) {
    fmt = a[3] == "fmt";
    i = 4;
  }
  std::string text;
  for (; i < a.size(); ++i) text += (text.empty() ? "" : " ") + a[i];
  reply(rules::cli_set_var(arg(a, 2), fmt, text));
}

void cmd_enable_server(Context& ctx, Args a, Reply reply) {
  Server* s = find_server(ctx, arg(a, 2), reply);
  if (!s) return;
  backend::set_admin_state(*s, a[0] == "enable" ? AdminState::Ready : AdminState::Maint, kCli);
  reply("");
}

void cmd_health(Context& ctx, Args a, Reply reply) {
  Server* s = find_server(ctx, arg(a, 2), reply);
  if (!s) return;
  bool agent = a[1] == "agent";
  bool configured = agent ? s->config().agent_check : s->config().check;
  if (a[0] == "enable" && !configured)
    return reply(agent ? "Agent was not configured on this server, cannot enable.\n"
                       : "Health check was not configured on this server, cannot enable.\n");
  (agent ? s->agent_check_disabled : s->health_check_disabled).store(a[0] == "disable");
  reply("");
}

void cmd_set_maxconn(Context& ctx, Args a, Reply reply) {
  std::string what = arg(a, 2);
  if (what == "global") {
    auto v = parse_uint(arg(a, 3));
    if (!v || *v > UINT32_MAX) return reply("Expects an integer value.\n");
    ctx.rt.maxconn = static_cast<uint32_t>(*v);
    return reply("");
  }
  if (what == "frontend") {
    proxy::Frontend* fe = ctx.rt.find_frontend(arg(a, 3));
    if (!fe) return reply("No such frontend.\n");
    auto v = parse_uint(arg(a, 4));
    if (!v || *v > UINT32_MAX) return reply("Integer value expected.\n");
    fe->maxconn = static_cast<uint32_t>(*v);
    return reply("");
  }
  if (what == "server") {
    Server* s = find_server(ctx, arg(a, 3), reply);
    if (!s) return;
    auto v = parse_uint(arg(a, 4));
    if (!v || *v > UINT32_MAX) return reply("Invalid maxconn value.\n");
    std::lock_guard lk(s->backend().mutex());
    s->set_maxconn(static_cast<uint32_t>(*v));
    s->backend().server_changed_locked(*s);   // a higher limit serves waiting requests
    return reply("");
  }
  reply(unknown_command_text({a.begin(), a.end()}, ctx.level));
}

// ---- sessions ----------------------------------------------------------------------------------

void kill_where(Context& ctx, std::function<bool(proxy::Session&)> pred, Reply reply,
                bool want_one) {
  on_all_workers(
      ctx,
      [pred](proxy::Worker& w) {
        std::vector<proxy::Session*> victims;
        w.sessions().for_each([&](proxy::Session& s) {
          if (pred(s)) victims.push_back(&s);
        });
        for (auto* s : victims) s->kill("killed from the runtime API");
        return std::string(victims.empty() ? "" : "x");
      },
      [reply, want_one](std::vector<std::string> parts) {
        if (want_one && join(std::move(parts)).empty())
          return reply("No such session (use 'show sess').\n");
        reply("");
      });
}

void cmd_shutdown_session(Context& ctx, Args a, Reply reply) {
  auto id = session_id(arg(a, 2));
  if (!id) return reply("Session pointer expected (use 'show sess').\n");
  uint64_t want = *id;
  kill_where(ctx, [want](proxy::Session& s) { return s.id() == want; }, reply, true);
}

void cmd_shutdown_sessions(Context& ctx, Args a, Reply reply) {
  if (arg(a, 2) != "server") return reply("'shutdown sessions' only supports 'server'.\n");
  Server* srv = find_server(ctx, arg(a, 3), reply);
  if (!srv) return;
  kill_where(ctx, [srv](proxy::Session& s) { return s.server() == srv; }, reply, false);
}

void cmd_clear_counters(Context& ctx, Args a, Reply reply) {
  bool all = arg(a, 2) == "all";
  if (all && !allowed(ctx.level, Level::Admin)) return reply("Permission denied\n");
  auto z = [](auto& c) { c.store(0, std::memory_order_relaxed); };
  for (auto& fe : ctx.rt.frontends()) {
    auto& c = fe->counters;
    z(c.max_conns);
    if (all)
      for (auto* p : {&c.conns_total, &c.sessions_total, &c.requests_total, &c.bytes_in,
                      &c.bytes_out, &c.denied, &c.denied_resp, &c.req_errors, &c.intercepted, &c.http_1xx,
                      &c.http_2xx, &c.http_3xx, &c.http_4xx, &c.http_5xx, &c.http_other})
        z(*p);
  }
  for (auto& b : ctx.rt.backends()) {
    auto& c = b->counters;
    z(c.max_sess);
    if (all)
      for (auto* p : {&c.sessions_total, &c.bytes_in, &c.bytes_out, &c.connect_errors,
                      &c.response_errors, &c.retries, &c.redispatches, &c.denied, &c.denied_resp, &c.http_1xx,
                      &c.http_2xx, &c.http_3xx, &c.http_4xx, &c.http_5xx, &c.http_other,
                      &c.no_server})
        z(*p);
    std::lock_guard lk(b->mutex());
    for (auto& s : b->servers()) {
      auto& sc = s->counters;
      z(sc.max_sess);
      if (all)
        for (auto* p : {&sc.sessions_total, &sc.bytes_in, &sc.bytes_out, &sc.connect_errors,
                        &sc.response_errors, &sc.retries, &sc.redispatches, &sc.http_1xx,
                        &sc.http_2xx, &sc.http_3xx, &sc.http_4xx, &sc.http_5xx,
                        &sc.http_other, &sc.failed_checks, &sc.down_transitions})
          z(*p);
    }
  }
  z(ctx.rt.max_conns_seen);
  if (all) z(ctx.rt.total_conns);
  reply("");
}

// ---- dynamic servers ---------------------------------------------------------------------------

void cmd_add_server(Context& ctx, Args a, Reply reply) {
  auto bs = split_server(arg(a, 2));
  if (!bs) return reply("Require 'backend/server'.\n");
  backend::Backend* b = ctx.rt.find_backend(bs->first);
  if (!b) return reply("No such backend.\n");
  if (a.size() < 4) return reply("'server' expects <name> and <addr>[:<port>] as arguments.\n");
  config::ServerConfig cfg;   // HAProxy: default-server does not apply to dynamic servers
  cfg.name = bs->second;
  auto addr = config::parse_address(a[3], false, false);
  if (!addr) return reply(addr.error().message + "\n");
  if (addr->kind != config::Address::Kind::Inet || addr->sa.ss_family == AF_UNSPEC)
    return reply(fmt::format("invalid address '{}': only IP literals are accepted at runtime.\n", a[3]));
  cfg.addr = *addr;
  std::vector<std::string> words(a.begin() + 4, a.end());
  if (auto r = config::apply_server_keywords(cfg, words, true); !r) return reply(r.error().message + "\n");
  cfg.disabled = true;   // HAProxy: a dynamic server starts in maintenance
  Server* s;
  {
    std::lock_guard lk(b->mutex());
    if (b->find_server(cfg.name)) return reply("Already exists a server with the same name in backend.\n");
    // As haproxy's `id` keyword: an id names one server of the backend (`show stat` sid,
    // server-state files, `b=#ID` on the stats page).
    if (cfg.id)
      for (auto& o : b->servers())
        if (o->id() == *cfg.id) {
          const config::SourceLoc& at = o->config().loc;
          return reply(at.file.empty()
                           ? fmt::format("'id' : custom id {} already used ('server {}')\n", *cfg.id, o->name())
                           : fmt::format("'id' : custom id {} already used at {}:{} ('server {}')\n", *cfg.id,
                                         at.file, at.line, o->name()));
        }
    s = &b->add_server_locked(cfg, ctx.rt.allocate_server_index());
    // HAProxy: a dynamic server's checks start disabled; `enable health` / `enable agent`.
    s->health_check_disabled.store(true);
    s->agent_check_disabled.store(true);
  }
  check::attach_server(ctx.rt, *s);
  core::log(core::Level::Notice, "New server {}/{} registered.", b->name(), s->name());
  reply("New server registered.\n");
}

void cmd_del_server(Context& ctx, Args a, Reply reply) {
  Server* s = find_server(ctx, arg(a, 2), reply);
  if (!s) return;
  backend::Backend* b = &s->backend();
  core::EventLoop* checks_on = nullptr;
  {
    std::lock_guard lk(b->mutex());
    if (s->admin_state() != AdminState::Maint)
      return reply("Only servers in maintenance mode can be deleted.\n");
    if (s->counters.cur_sess.load() != 0)
      return reply(fmt::format("Server still has {} session(s) attached to it, cannot remove it.\n",
                               s->counters.cur_sess.load()));
    if (s->queue_len.load() != 0) return reply("Server still has requests in its queue, cannot remove it.\n");
    checks_on = check::check_loop(*s);
  }
  std::string name(s->name());
  // Idle connections to it live in every worker, its checks (if any) on one of them: drop
  // them there first.
  on_all_workers(
      ctx,
      [s, checks_on](proxy::Worker& w) {
        if (&w.loop() == checks_on) check::detach_server(*s);
        w.purge_server(*s);
        return std::string();
      },
      [b, name, reply, rt = &ctx.rt](std::vector<std::string>) {
        std::unique_lock lk(b->mutex());
        Server* srv = b->find_server(name);
        if (!srv) return reply("No such server.\n");
        if (srv->admin_state() != AdminState::Maint || srv->counters.cur_sess.load() != 0) {
          lk.unlock();
          check::attach_server(*rt, *srv);   // it stays: with its checks back
          return reply("Server is in use again, cannot remove it.\n");
        }
        b->remove_server_locked(*srv);
        core::log(core::Level::Notice, "Server {}/{} deleted.", b->name(), name);
        reply("Server deleted.\n");
      });
}

// ---- wait -----------------------------------------------------------------------------------

// A pending `wait`: re-evaluated on every committed server state change (observer) and on a
// short timer on the admin loop (session ends have no hook), until true or expired.
struct Waiter {
  proxy::Runtime* rt;
  bool plain = false;
  std::string backend, server;
  bool removable;   // srv-removable (maint + no session) vs srv-drained (no session)
  Reply reply;
  uint64_t deadline;
  core::Timer timer;
  Waiter() : timer([this] { evaluate(); }) {}
  void evaluate();
};

struct WaitList {
  core::EventLoop* loop = nullptr;
  std::vector<std::unique_ptr<Waiter>> items;
};
WaitList& waiters() {
  static WaitList w;
  return w;
}

void finish(Waiter* w, std::string msg) {
  Reply r = std::move(w->reply);
  auto& v = waiters().items;
  auto it = std::find_if(v.begin(), v.end(), [w](auto& p) { return p.get() == w; });
  std::unique_ptr<Waiter> keep;
  if (it != v.end()) {
    keep = std::move(*it);
    v.erase(it);
  }
  if (!keep) return r(std::move(msg));
  keep->timer.disarm();
  r(std::move(msg));
  // `keep` (and its timer) may be running: free it after this event.
  struct Holder : core::Deletable {
    std::unique_ptr<Waiter> w;
  };
  auto h = std::make_unique<Holder>();
  h->w = std::move(keep);
  waiters().loop->defer_delete(std::move(h));
}

void Waiter::evaluate() {
  if (plain) {
    if (waiters().loop->now() >= deadline) return finish(this, "Done.\n");
    return timer.arm(*waiters().loop, deadline);
  }
  backend::Backend* b = rt->find_backend(backend);
  bool ok = false;
  std::string gone;
  if (!b) {
    gone = "No such backend.\n";
  } else {
    std::lock_guard lk(b->mutex());
    Server* s = b->find_server(server);
    if (!s) gone = removable ? "Done.\n" : "No such server.\n";   // already removed
    else ok = (!removable || s->admin_state() == AdminState::Maint) && s->counters.cur_sess.load() == 0;
  }
  if (!gone.empty()) return finish(this, gone);
  if (ok) return finish(this, "Done.\n");   // haproxy 3's answer when the condition is met
  uint64_t now = waiters().loop->now();
  if (now >= deadline) return finish(this, "Wait delay expired.\n");
  timer.arm(*waiters().loop, std::min(deadline, now + 50));
}

void cmd_wait(Context& ctx, Args a, Reply reply) {
  size_t i = 1;
  bool help = false;
  if (arg(a, i) == "-h") {
    help = true;
    ++i;
  }
  static constexpr std::string_view kUsage =
      "Usage: wait [-h] <delay> [<condition> [<args>...]]\n"
      "Conditions:\n"
      "  srv-removable <bk>/<srv> : wait until the server is in maintenance with no session left\n"
      "                             (it can then be deleted with 'del server')\n"
      "  srv-drained <bk>/<srv>   : (sluice) wait until the server has no session left\n"
      "Replies 'Done.' once the condition is met (or the delay is over, without one), else\n"
      "'Wait delay expired.'\n";
  if (help) return reply(std::string(kUsage));
  auto delay = parse_delay_ms(arg(a, i));
  if (!delay) return reply(std::string("Invalid delay.\n") + std::string(kUsage));
  std::string cond = arg(a, i + 1);
  auto w = std::make_unique<Waiter>();
  w->rt = &ctx.rt;
  w->reply = std::move(reply);
  w->deadline = ctx.loop.now() + *delay;
  if (cond.empty()) {   // plain delay, like haproxy's `wait <delay>`
    w->plain = true;
    Waiter* raw = w.get();
    waiters().items.push_back(std::move(w));
    return raw->evaluate();
  }
  if (cond != "srv-removable" && cond != "srv-drained")
    return w->reply(fmt::format("Unsupported condition '{}'.\n{}", cond, kUsage));
  auto bs = split_server(arg(a, i + 2));
  if (!bs) return w->reply("Require 'backend/server'.\n");
  backend::Backend* b = ctx.rt.find_backend(bs->first);
  if (!b) return w->reply("No such backend.\n");
  {
    std::lock_guard lk(b->mutex());
    if (!b->find_server(bs->second)) return w->reply("No such server.\n");
  }
  w->backend = bs->first;
  w->server = bs->second;
  w->removable = cond == "srv-removable";
  Waiter* raw = w.get();
  waiters().items.push_back(std::move(w));
  raw->evaluate();
}

}  // namespace

// Runs `fn` on every worker's thread, then `done` on the admin loop once all have run.
void on_all_workers(Context& ctx, std::function<std::string(proxy::Worker&)> fn,
                    std::function<void(std::vector<std::string>)> done) {
  auto& workers = ctx.rt.workers;
  if (workers.size() <= 1) {
    std::vector<std::string> parts;
    for (proxy::Worker* w : workers) parts.push_back(fn(*w));
    done(std::move(parts));
    return;
  }
  struct Gather {
    std::mutex mu;
    std::vector<std::string> parts;
    size_t left;
  };
  auto g = std::make_shared<Gather>();
  g->parts.resize(workers.size());
  g->left = workers.size();
  core::EventLoop* admin = &ctx.loop;
  for (size_t i = 0; i < workers.size(); ++i) {
    proxy::Worker* w = workers[i];
    w->loop().post([g, i, w, fn, done, admin] {
      std::string part = fn(*w);
      std::lock_guard lk(g->mu);
      g->parts[i] = std::move(part);
      if (--g->left == 0) admin->post([g, done] { done(std::move(g->parts)); });
    });
  }
}

void drop_waiters() {
  for (auto& w : waiters().items) w->timer.disarm();
  waiters().items.clear();
  waiters().loop = nullptr;
}

void install_waiter_hooks(core::EventLoop& loop) {
  static bool installed = false;
  waiters().loop = &loop;
  if (installed) return;
  installed = true;
  backend::add_state_observer([](Server&, AdminState, OpState) {
    core::EventLoop* l = waiters().loop;
    if (!l) return;
    l->post([] {
      std::vector<Waiter*> now;
      for (auto& w : waiters().items) now.push_back(w.get());
      for (Waiter* w : now) {
        auto& v = waiters().items;
        bool still = std::any_of(v.begin(), v.end(), [w](auto& p) { return p.get() == w; });
        if (still && w->reply) w->evaluate();
      }
    });
  });
}

// ---- registry --------------------------------------------------------------------------------

const std::vector<Command>& commands() {
  using L = Level;
  static const std::vector<Command> k = {
      {{"add", "acl"}, L::Admin, "add acl [@<ver>] <acl> <pattern>", "add a pattern to an ACL file", cmd_map},
      {{"add", "map"}, L::Admin, "add map [@<ver>] <map> <key> <value>", "add an entry to a map", cmd_map},
      {{"clear", "acl"}, L::Admin, "clear acl [@<ver>] <acl>", "remove every pattern of an ACL (version)", cmd_map},
      {{"clear", "map"}, L::Admin, "clear map [@<ver>] <map>", "remove every entry of a map (version)", cmd_map},
      {{"commit", "acl"}, L::Admin, "commit acl @<ver> <acl>", "make a prepared ACL version the current one", cmd_map},
      {{"commit", "map"}, L::Admin, "commit map @<ver> <map>", "make a prepared map version the current one", cmd_map},
      {{"del", "acl"}, L::Admin, "del acl <acl> <pattern>|#<ref>", "delete ACL patterns", cmd_map},
      {{"del", "map"}, L::Admin, "del map <map> <key>|#<ref>", "delete map entries", cmd_map},
      {{"get", "acl"}, L::Operator, "get acl <acl> <value>", "tell which pattern of an ACL matches a value", cmd_map},
      {{"get", "map"}, L::Operator, "get map <map> <value>", "tell which map entry matches a value", cmd_map},
      {{"prepare", "acl"}, L::Admin, "prepare acl <acl>", "start a new ACL version (filled with add acl @<ver>)", cmd_map},
      {{"prepare", "map"}, L::Admin, "prepare map <map>", "start a new map version (filled with add map @<ver>)", cmd_map},
      {{"set", "map"}, L::Admin, "set map <map> <key>|#<ref> <value>", "change the value of map entries", cmd_map},
      {{"show", "acl"}, L::Operator, "show acl [[@<ver>] <acl>]", "list the ACL files, or the patterns of one", cmd_map},
      {{"show", "map"}, L::Operator, "show map [[@<ver>] <map>]", "list the maps, or the entries of one", cmd_map},
      {{"add", "server"}, L::Admin, "add server <bk>/<srv> <addr> [kw]*", "create a new server (in maintenance)", cmd_add_server},
      {{"clear", "counters"}, L::Operator, "clear counters [all]", "clear max statistics counters (or all counters)", cmd_clear_counters},
      {{"del", "server"}, L::Admin, "del server <bk>/<srv>", "remove a server in maintenance with no session", cmd_del_server},
      {{"disable", "agent"}, L::Admin, "disable agent <bk>/<srv>", "disable agent checks", cmd_health},
      {{"disable", "health"}, L::Admin, "disable health <bk>/<srv>", "disable health checks", cmd_health},
      {{"disable", "server"}, L::Admin, "disable server <bk>/<srv>", "put a server in maintenance (same as set server state maint)", cmd_enable_server},
      {{"enable", "agent"}, L::Admin, "enable agent <bk>/<srv>", "enable agent checks", cmd_health},
      {{"enable", "health"}, L::Admin, "enable health <bk>/<srv>", "enable health checks", cmd_health},
      {{"enable", "server"}, L::Admin, "enable server <bk>/<srv>", "take a server out of maintenance (same as set server state ready)", cmd_enable_server},
      {{"get", "weight"}, L::User, "get weight <bk>/<srv>", "report a server's current weight", cmd_get_weight},
      {{"get", "var"}, L::Operator, "get var <name>", "show a process-wide variable (proc.)", cmd_get_var},
      {{"set", "var"}, L::Operator, "set var <name> [expr|fmt] <value>", "set a process-wide variable (experimental mode)", cmd_set_var},
      {{"help"}, L::User, "help", "list the commands valid at this level", cmd_help},
      {{"set", "maxconn"}, L::Admin, "set maxconn global|frontend|server ...", "change a maxconn setting", cmd_set_maxconn},
      {{"set", "server"}, L::Admin, "set server <bk>/<srv> [opts]", "change a server's state, weight, address or health", cmd_set_server},
      {{"set", "weight"}, L::Admin, "set weight <bk>/<srv> <w>[%]", "change a server's weight", cmd_set_weight},
      {{"show", "backend"}, L::User, "show backend", "list backends in the current running config", cmd_show_backend},
      {{"show", "info"}, L::User, "show info", "report information about the running process", cmd_show_info},
      {{"show", "servers"}, L::User, "show servers state|conn [<bk>]", "dump server state or connections", cmd_show_servers},
      {{"show", "sess"}, L::Operator, "show sess [all|<id>]", "report the list of current sessions or this one", cmd_show_sess},
      {{"show", "stat"}, L::User, "show stat [typed|json]", "report counters for each proxy and server", cmd_show_stat},
      {{"_dumptables"}, L::Admin, "_dumptables", "dump stick tables for a reload (internal)", cmd_dump_tables},
      {{"show", "table"}, L::User, "show table [<table>]", "report information about stick tables", cmd_show_table},
      {{"shutdown", "session"}, L::Admin, "shutdown session <id>", "kill a specific session", cmd_shutdown_session},
      {{"shutdown", "sessions"}, L::Admin, "shutdown sessions server <bk>/<srv>", "kill sessions on a server", cmd_shutdown_sessions},
      {{"wait"}, L::User, "wait [-h] <delay> [cond] [args]", "wait for a delay or a condition (-h for the list)", cmd_wait},
  };
  return k;
}

const Command* find_command(const Words& words) {
  const Command* best = nullptr;
  for (auto& c : commands()) {
    if (c.keywords.size() > words.size()) continue;
    bool match = std::equal(c.keywords.begin(), c.keywords.end(), words.begin());
    if (match && (!best || c.keywords.size() > best->keywords.size())) best = &c;
  }
  return best;
}

namespace {
std::string help_line(std::string_view usage, std::string_view help) {
  return fmt::format("  {:<40}: {}\n", usage, help);
}
std::string session_lines() {
  return help_line("operator", "lower the level of the current CLI session to operator") +
         help_line("user", "lower the level of the current CLI session to user") +
         help_line("show cli level", "display the level of the current CLI session") +
         help_line("prompt", "toggle interactive mode with prompt") +
         help_line("quit", "disconnect");
}
}  // namespace

std::string help_text(Level level) {
  std::string out = "The following commands are valid at this level:\n";
  for (auto& c : commands())
    if (allowed(level, c.level)) out += help_line(c.usage, c.help);
  return out + session_lines();
}

std::string unknown_command_text(const Words& words, Level level) {
  std::string out;
  for (auto& c : commands())
    if (allowed(level, c.level) && !words.empty() && c.keywords[0] == words[0])
      out += help_line(c.usage, c.help);
  if (out.empty()) {
    out = "Unknown command. Please enter one of the following commands only:\n";
    for (auto& c : commands())
      if (allowed(level, c.level)) out += help_line(c.usage, c.help);
    return out + session_lines();
  }
  return "Unknown command, but maybe one of the following ones is a better match:\n" + out +
         session_lines();
}

void dispatch(Context& ctx, const Words& words, Reply reply) {
  const Command* c = find_command(words);
  if (!c) return reply(unknown_command_text(words, ctx.level));
  if (!allowed(ctx.level, c->level)) return reply("Permission denied\n");
  c->handler(ctx, Args(words), std::move(reply));
}

}  // namespace sluice::admin
