#include "rules/pattern_ref.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace sluice::rules {

// ---- files -------------------------------------------------------------------------------------

// HAProxy 2.6 reads pattern files with fgets() into a 16 KB buffer: a longer line would be
// cut into several patterns there. sluice refuses it instead of guessing.
constexpr size_t kMaxLine = 16383;

Result<std::vector<PatternText>> parse_pattern_file(std::string_view text, bool map_format) {
  std::vector<PatternText> out;
  int line = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line;
    if (l.size() > kMaxLine)
      return fail(fmt::format("line {}: lines longer than {} bytes are not supported by sluice", line, kMaxLine));
    // A CR ends the line as well (HAProxy stops at the first CR or LF).
    if (size_t cr = l.find('\r'); cr != std::string_view::npos) l = l.substr(0, cr);
    if (size_t z = l.find('\0'); z != std::string_view::npos) l = l.substr(0, z);
    if (!l.empty() && l[0] == '#') continue;   // only in the first column
    size_t b = l.find_first_not_of(" \t");
    if (b == std::string_view::npos) continue;
    l.remove_prefix(b);
    if (!map_format) {
      out.push_back({std::string(l), std::nullopt, line, 0});
      continue;
    }
    size_t ke = l.find_first_of(" \t");
    std::string_view key = l.substr(0, ke), value;
    if (ke != std::string_view::npos) {
      value = l.substr(ke);
      value.remove_prefix(std::min(value.size(), value.find_first_not_of(" \t")));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    }
    out.push_back({std::string(key), std::string(value), line, 0});
  }
  return out;
}

// ---- PatternRef ----------------------------------------------------------------------------------

void PatternRef::add_user(Use u, std::string where) {
  uses_ |= static_cast<uint8_t>(u);
  users_.push_back(std::move(where));
}

std::string PatternRef::description() const {
  if (name_.empty()) return inline_desc_;
  std::string d = fmt::format("pattern loaded from file '{}'", name_);
  for (size_t i = 0; i < users_.size(); ++i) d += (i == 0 ? " used by " : ", by ") + users_[i];
  return d;
}

std::vector<PatternText> PatternRef::visible() const {
  std::vector<PatternText> v;
  v.reserve(entries_.size());
  for (auto& e : entries_)
    if (e.gen == curr_gen_) v.push_back({e.pattern, e.value, e.line, e.id});
  return v;
}

Result<PatternHandle*> PatternRef::attach(const PatternOptions& opts) {
  for (auto& h : handles_)
    if (h->opts_ == opts) return h.get();
  int line = 0;
  auto set = PatternSet::build(opts, visible(), &line);
  if (!set) return fail(line ? fmt::format("line {}: {}", line, set.error().message) : set.error().message);
  auto h = std::make_unique<PatternHandle>();
  h->opts_ = opts;
  h->owned_ = std::move(*set);
  h->cur_.store(h->owned_.get(), std::memory_order_release);
  handles_.push_back(std::move(h));
  return handles_.back().get();
}

void PatternRef::republish() {
  auto texts = visible();
  for (auto& h : handles_) {
    PatternOptions o = h->opts_;
    o.startup = false;
    auto set = PatternSet::build(o, texts);
    // Every entry was checked against every handle before it went in, so a build cannot
    // fail here; if it ever did, the previous set stays (old answers, never a crash).
    if (!set) continue;
    std::shared_ptr<const PatternSet> old = std::move(h->owned_);
    h->owned_ = std::move(*set);
    h->cur_.store(h->owned_.get(), std::memory_order_release);
    owner_.retire(std::move(old));
  }
}

Result<void> PatternRef::check_all(std::string_view pattern, const std::optional<std::string>& value) const {
  for (auto& h : handles_) {
    PatternOptions o = h->opts_;
    o.startup = false;   // at run time HAProxy accepts address literals only
    if (auto r = PatternSet::check(o, pattern, value); !r) return r;
  }
  return {};
}

std::vector<RefEntry> PatternRef::entries(std::optional<uint32_t> gen) const {
  uint32_t g = gen.value_or(curr_gen_);
  std::vector<RefEntry> v;
  for (auto& e : entries_)
    if (e.gen == g) v.push_back(e);
  return v;
}

size_t PatternRef::entry_count() const { return entries_.size(); }

Result<uint64_t> PatternRef::add(std::string pattern, std::optional<std::string> value, std::optional<uint32_t> gen) {
  uint32_t g = gen.value_or(curr_gen_);
  if (!gen_known(g)) return fail("Version number in the future, please use 'prepare map' before.");
  if (auto r = check_all(pattern, value); !r) return fail(r.error().message);
  RefEntry e{++next_id_, std::move(pattern), std::move(value), 0, g};
  entries_.push_back(std::move(e));
  if (g == curr_gen_) republish();
  return entries_.back().id;
}

Result<void> PatternRef::del_key(std::string_view key) {
  size_t before = entries_.size();
  std::erase_if(entries_, [&](const RefEntry& e) { return e.gen == curr_gen_ && e.pattern == key; });
  if (entries_.size() == before) return fail("Key not found.");
  republish();
  return {};
}

bool PatternRef::has_key(std::string_view key) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const RefEntry& e) { return e.gen == curr_gen_ && e.pattern == key; });
}

Result<void> PatternRef::del_id(uint64_t id) {
  size_t before = entries_.size();
  bool visible_one = false;
  std::erase_if(entries_, [&](const RefEntry& e) {
    if (e.id != id) return false;
    visible_one = e.gen == curr_gen_;
    return true;
  });
  if (entries_.size() == before) return fail("Key not found.");
  if (visible_one) republish();
  return {};
}

Result<void> PatternRef::set_key(std::string_view key, std::string value) {
  bool found = false;
  for (auto& e : entries_)
    if (e.gen == curr_gen_ && e.pattern == key) {
      found = true;
      if (auto r = check_all(e.pattern, value); !r) return fail(r.error().message);
      break;
    }
  if (!found) return fail("entry not found.");
  for (auto& e : entries_)
    if (e.gen == curr_gen_ && e.pattern == key) e.value = value;
  republish();
  return {};
}

Result<void> PatternRef::set_id(uint64_t id, std::string value) {
  for (auto& e : entries_)
    if (e.id == id) {
      if (auto r = check_all(e.pattern, value); !r) return fail(r.error().message);
      e.value = std::move(value);
      if (e.gen == curr_gen_) republish();
      return {};
    }
  return fail("entry not found.");
}

void PatternRef::clear(std::optional<uint32_t> gen) {
  uint32_t g = gen.value_or(curr_gen_);
  size_t before = entries_.size();
  std::erase_if(entries_, [&](const RefEntry& e) { return e.gen == g; });
  if (g == curr_gen_ && entries_.size() != before) republish();
}

uint32_t PatternRef::prepare() { return ++next_gen_; }

Result<void> PatternRef::commit(uint32_t gen) {
  // Valid: a version prepared after the current one (curr < gen <= next, modulo 2^32).
  if (gen - (curr_gen_ + 1) > next_gen_ - curr_gen_ - 1 || next_gen_ == curr_gen_)
    return fail("Version number out of range.");
  // Entries of the versions up to `gen` other than `gen` itself go; newer prepared ones stay.
  std::erase_if(entries_, [&](const RefEntry& e) {
    return e.gen != gen && static_cast<int32_t>(e.gen - gen) < 0;
  });
  curr_gen_ = gen;
  republish();
  return {};
}

// ---- PatternRefs --------------------------------------------------------------------------------

Result<PatternRef*> PatternRefs::create(const std::string& name, bool map_format, std::optional<int> uid) {
  int id;
  if (uid) {
    for (auto& r : refs_)
      if (r->uid_ == *uid) return fail(fmt::format("unique id {} is already used by another map or ACL", *uid));
    id = *uid;
  } else {
    auto used = [&](int v) { return std::any_of(refs_.begin(), refs_.end(), [v](auto& r) { return r->uid_ == v; }); };
    while (used(next_uid_)) ++next_uid_;
    id = next_uid_++;
  }
  refs_.push_back(std::unique_ptr<PatternRef>(new PatternRef(*this, name, id, map_format)));
  return refs_.back().get();
}

Result<PatternRef*> PatternRefs::load_text(const std::string& name, std::string_view text, bool map_format,
                                           std::optional<int> uid) {
  if (PatternRef* r = find(name)) return r;
  auto lines = parse_pattern_file(text, map_format);
  if (!lines) return fail(lines.error().message);
  auto ref = create(name, map_format, uid);
  if (!ref) return ref;
  for (auto& l : *lines)
    (*ref)->entries_.push_back({++(*ref)->next_id_, std::move(l.pattern), std::move(l.value), l.line, 0});
  return ref;
}

Result<PatternRef*> PatternRefs::load_file(const std::string& path, bool map_format, std::optional<int> uid) {
  if (PatternRef* r = find(path)) return r;
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail(fmt::format("failed to open pattern file <{}>", path));
  std::ostringstream ss;
  ss << f.rdbuf();
  return load_text(path, ss.str(), map_format, uid);
}

Result<PatternRef*> PatternRefs::add_inline(std::string description, std::vector<std::string> patterns,
                                            std::optional<int> uid, std::string key) {
  if (!key.empty())
    for (auto& r : refs_)
      if (r->inline_key_ == key) return r.get();
  auto ref = create("", false, uid);
  if (!ref) return ref;
  (*ref)->inline_desc_ = std::move(description);
  (*ref)->inline_key_ = std::move(key);
  (*ref)->uses_ = static_cast<uint8_t>(PatternRef::Use::Acl);
  for (auto& p : patterns) (*ref)->entries_.push_back({++(*ref)->next_id_, std::move(p), std::nullopt, 0, 0});
  return ref;
}

PatternRef* PatternRefs::find(std::string_view s) {
  if (s.starts_with('#')) {
    int id = 0;
    auto [p, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), id);
    if (ec != std::errc() || p != s.data() + s.size() || s.size() == 1) return nullptr;
    for (auto& r : refs_)
      if (r->uid_ == id) return r.get();
    return nullptr;
  }
  if (s.empty()) return nullptr;
  for (auto& r : refs_)
    if (r->name_ == s) return r.get();
  return nullptr;
}

std::vector<PatternRef*> PatternRefs::all() {
  std::vector<PatternRef*> v;
  for (auto& r : refs_) v.push_back(r.get());
  std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->unique_id() < b->unique_id(); });
  return v;
}

void PatternRefs::retire(std::shared_ptr<const PatternSet> old) {
  if (!old) return;
  std::lock_guard lk(retired_mu_);
  retired_.emplace_back(epoch_++, std::move(old));
}

void PatternRefs::reclaim(uint64_t up_to_epoch) {
  std::vector<std::shared_ptr<const PatternSet>> dead;   // freed outside the lock
  std::lock_guard lk(retired_mu_);
  std::erase_if(retired_, [&](auto& p) {
    if (p.first >= up_to_epoch) return false;
    dead.push_back(std::move(p.second));
    return true;
  });
}

void PatternRefs::request_reclaim() {
  if (!reclaim_hook_ || retired() == 0 || reclaim_pending_.exchange(true)) return;
  reclaim_hook_(epoch_);
}

void PatternRefs::reclaim_done(uint64_t up_to_epoch) {
  reclaim(up_to_epoch);
  reclaim_pending_.store(false);
}

size_t PatternRefs::retired() const {
  std::lock_guard lk(retired_mu_);
  return retired_.size();
}

}  // namespace sluice::rules
