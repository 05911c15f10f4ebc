#include "app/server_state.h"

#include "core/clock.h"

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "backend/state.h"
#include "config/loader.h"
#include "core/log.h"
#include "net/socket.h"

namespace sluice::app {

namespace {

template <class T>
bool num(std::string_view s, T& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > b) out.push_back(line.substr(b, i - b));
  }
  return out;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return fail(fmt::format("cannot open server state file '{}'", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string with_base(const config::GlobalConfig& g, const std::string& name) {
  if (name.empty() || name[0] == '/' || g.server_state_base.empty()) return name;
  std::string base = g.server_state_base;
  if (base.back() != '/') base += '/';
  return base + name;
}

using Key = std::pair<std::string, std::string>;

}  // namespace

std::vector<ServerStateLine> parse_server_state(std::string_view text, size_t* skipped) {
  std::vector<ServerStateLine> out;
  size_t bad = 0;
  bool version_seen = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (!version_seen) {
      version_seen = true;
      if (line == "1") continue;   // the version line; anything else is read as data
    }
    auto f = fields(line);
    // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight
    // srv_iweight srv_time_since_last_change srv_check_status srv_check_result
    // srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id
    // srv_fqdn srv_port ...
    ServerStateLine l;
    if (f.size() < 19 || !num(f[5], l.op) || !num(f[6], l.admin) || !num(f[7], l.uweight) ||
        !num(f[8], l.iweight) || !num(f[12], l.health) || !num(f[18], l.port)) {
      ++bad;
      continue;
    }
    l.backend = f[1];
    l.server = f[3];
    l.addr = f[4];
    out.push_back(std::move(l));
  }
  if (skipped) *skipped = bad;
  return out;
}

Result<std::vector<ServerStateLine>> read_state_files(const config::Config& cfg) {
  using LS = config::ProxyConfig::LoadState;
  std::vector<ServerStateLine> out;
  std::optional<std::vector<ServerStateLine>> global;
  for (const auto& p : cfg.proxies) {
    if (p.kind == config::ProxyConfig::Kind::Frontend || !p.load_server_state_from_file) continue;
    std::vector<ServerStateLine> lines;
    if (*p.load_server_state_from_file == LS::Global) {
      if (!global) {
        if (cfg.global.server_state_file.empty())
          return fail(fmt::format("backend '{}': load-server-state-from-file global needs a global server-state-file", p.name));
        // A missing file is no error (the first start, or nobody dumped the state): haproxy
        // warns and starts from the configuration.
        auto text = read_file(with_base(cfg.global, cfg.global.server_state_file));
        if (!text) core::log(core::Level::Warning, "{}: starting from the configuration", text.error().message);
        global = text ? parse_server_state(*text) : std::vector<ServerStateLine>{};
      }
      lines = *global;
    } else if (*p.load_server_state_from_file == LS::Local) {
      std::string name = p.server_state_file_name.empty() || p.server_state_file_name == "use-backend-name"
                             ? p.name : p.server_state_file_name;
      auto text = read_file(with_base(cfg.global, name));
      if (!text) core::log(core::Level::Warning, "{}: starting from the configuration", text.error().message);
      else lines = parse_server_state(*text);
    }
    for (auto& l : lines)
      if (l.backend == p.name) out.push_back(std::move(l));
  }
  return out;
}

void apply_state_to_config(config::Config& cfg, const std::vector<ServerStateLine>& lines) {
  std::map<Key, const ServerStateLine*> by_name;
  for (const auto& l : lines) by_name[{l.backend, l.server}] = &l;
  for (auto& p : cfg.proxies) {
    for (auto& s : p.servers) {
      auto it = by_name.find({p.name, s.name});
      if (it == by_name.end() || !s.check) continue;
      const ServerStateLine& l = *it->second;
      uint32_t max = s.rise + s.fall - 1;
      if (l.op == 0) s.init_state = config::InitState::FullyDown;
      else if (l.health >= max) s.init_state = config::InitState::FullyUp;
      else s.init_state = config::InitState::Up;
    }
  }
}

size_t apply_state_to_runtime(proxy::Runtime& rt, const std::vector<ServerStateLine>& lines) {
  static const backend::Transition kWhy{"changed from server-state after a reload", "", -1};
  size_t n = 0;
  for (const auto& l : lines) {
    backend::Backend* b = rt.find_backend(l.backend);
    if (!b) continue;
    backend::Server* s;
    {
      std::lock_guard lk(b->mutex());
      s = b->find_server(l.server);
    }
    if (!s) continue;
    ++n;
    if (l.admin & 0x01) backend::set_admin_state(*s, backend::AdminState::Maint, kWhy);
    else if (l.admin & 0x08) backend::set_admin_state(*s, backend::AdminState::Drain, kWhy);
    // A weight set at run time survives only if the configured one did not change.
    if (l.iweight == s->config().weight && l.uweight != s->user_weight())
      backend::set_weight(*s, l.uweight, "server-state");
    if (l.addr != "-" && !l.addr.empty()) {
      auto a = config::parse_address(fmt::format("{}:{}", l.addr.find(':') != std::string::npos ? "[" + l.addr + "]" : l.addr, l.port), false, false);
      if (a && a->kind == config::Address::Kind::Inet && a->sa.ss_family != AF_UNSPEC) {
        std::lock_guard lk(b->mutex());
        if (std::memcmp(&a->sa, &s->addr(), sizeof a->sa) != 0) {
          core::log(core::Level::Notice, "{}/{} changed its IP from {} to {} by server-state",
                    b->name(), s->name(), net::to_string(s->addr()), net::to_string(a->sa));
          s->set_addr(a->sa);
        }
      }
    }
  }
  return n;
}

}  // namespace sluice::app

namespace sluice::app {

size_t apply_tables(proxy::Runtime& rt, std::string_view dump) {
  if (!dump.starts_with("# sluice tables v1")) return 0;
  uint64_t now = core::monotonic_ms();
  backend::StickTable* table = nullptr;
  size_t n = 0;
  size_t pos = 0;
  while (pos < dump.size()) {
    size_t nl = dump.find('\n', pos);
    std::string_view line = dump.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? dump.size() : nl + 1;
    if (line.starts_with("table ")) {
      table = rt.find_table(line.substr(6));
      continue;
    }
    if (table == nullptr || line.empty() || line[0] == '#') continue;
    auto sp1 = line.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) continue;
    std::string_view hex = line.substr(0, sp1);
    if (hex.size() % 2 != 0) continue;
    std::string key;
    auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    for (size_t i = 0; i + 1 < hex.size(); i += 2) key.push_back(static_cast<char>(nib(hex[i]) * 16 + nib(hex[i + 1])));
    int id = std::atoi(std::string(line.substr(sp1 + 1, sp2 - sp1 - 1)).c_str());
    uint64_t left = std::strtoull(std::string(line.substr(sp2 + 1)).c_str(), nullptr, 10);
    table->restore(key, id, left ? now + left : 0);
    ++n;
  }
  return n;
}

std::pair<std::string, std::string> split_state_and_tables(const std::string& text) {
  auto at = text.find("# sluice tables v1");
  if (at == std::string::npos) return {text, ""};
  return {text.substr(0, at), text.substr(at)};
}

}  // namespace sluice::app
