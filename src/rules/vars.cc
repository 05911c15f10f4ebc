#include "rules/vars.h"

#include <fmt/format.h>

#include <mutex>
#include <unordered_map>

namespace sluice::rules {

namespace {
// Interned names. Written while a configuration loads and by the runtime API's `set var`;
// the data path only uses ids, so the lock is taken at load and by the CLI only.
struct Names {
  std::mutex mu;
  std::unordered_map<std::string, uint32_t> ids;
  std::vector<std::string> names;
};
Names& names() {
  static Names n;
  return n;
}
}  // namespace

std::string_view to_string(Scope s) {
  switch (s) {
    case Scope::Proc: return "proc";
    case Scope::Sess: return "sess";
    case Scope::Txn: return "txn";
    case Scope::Req: return "req";
    case Scope::Res: return "res";
    case Scope::Check: return "check";
  }
  return "?";
}

Result<VarRef> parse_var_name(std::string_view text) { return parse_var_name(text, true); }

Result<VarRef> parse_var_name(std::string_view text, bool intern) {
  auto dot = text.find('.');
  if (dot == std::string_view::npos)
    return fail(fmt::format("variable '{}': expected SCOPE.NAME with a scope among proc, sess, txn, req, res, check", text));
  std::string_view scope = text.substr(0, dot), name = text.substr(dot + 1);
  VarRef r;
  if (scope == "proc") r.scope = Scope::Proc;
  else if (scope == "sess") r.scope = Scope::Sess;
  else if (scope == "txn") r.scope = Scope::Txn;
  else if (scope == "req") r.scope = Scope::Req;
  else if (scope == "res") r.scope = Scope::Res;
  else if (scope == "check") r.scope = Scope::Check;
  else return fail(fmt::format("variable '{}': unknown scope '{}' (proc, sess, txn, req, res, check)", text, scope));
  if (name.empty()) return fail(fmt::format("variable '{}': empty name", text));
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return fail(fmt::format("variable '{}': invalid character '{}' in its name", text, c));
  }
  auto& n = names();
  std::lock_guard lk(n.mu);
  if (!intern) {
    auto it = n.ids.find(std::string(name));
    if (it == n.ids.end()) return fail(fmt::format("variable '{}' is not known", text));
    r.id = it->second;
    r.name = std::string(text);
    return r;
  }
  auto [it, inserted] = n.ids.try_emplace(std::string(name), static_cast<uint32_t>(n.names.size()));
  if (inserted) n.names.emplace_back(name);
  r.id = it->second;
  r.name = std::string(text);
  return r;
}

uint32_t var_count() {
  std::lock_guard lk(names().mu);
  return static_cast<uint32_t>(names().names.size());
}
std::string var_name(uint32_t id) {
  std::lock_guard lk(names().mu);   // a copy: the vector may grow (and move short strings) later
  return id < names().names.size() ? names().names[id] : std::string();
}

bool VarStore::get(uint32_t id, Sample& out) const {
  if (id >= slots_.size() || !slots_[id].set) return false;
  out = slots_[id].s;
  if (out.type == Type::Str || out.type == Type::Bin || out.type == Type::Meth) out.str = slots_[id].bytes;
  return true;
}

void VarStore::set(uint32_t id, const Sample& s) {
  if (id >= slots_.size()) slots_.resize(id + 1);
  Slot& sl = slots_[id];
  if (!sl.set) ++count_;
  sl.set = true;
  sl.s = s;
  if (s.type == Type::Str || s.type == Type::Bin || s.type == Type::Meth) sl.bytes.assign(s.str);
  else sl.bytes.clear();
}

void VarStore::unset(uint32_t id) {
  if (id >= slots_.size() || !slots_[id].set) return;
  slots_[id].set = false;
  --count_;
}

void VarStore::clear() {
  if (count_ == 0) return;
  for (auto& s : slots_) s.set = false;
  count_ = 0;
}

bool ProcVars::get(uint32_t id, Sample& out, std::string& copy) const {
  std::lock_guard lk(mu_);
  if (!store_.get(id, out)) return false;
  copy.assign(out.str);   // the caller's copy outlives the lock
  out.str = copy;
  return true;
}
void ProcVars::set(uint32_t id, const Sample& s) {
  std::lock_guard lk(mu_);
  store_.set(id, s);
}
void ProcVars::unset(uint32_t id) {
  std::lock_guard lk(mu_);
  store_.unset(id);
}
ProcVars& ProcVars::instance() {
  static ProcVars v;
  return v;
}

}  // namespace sluice::rules
