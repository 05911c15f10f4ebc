// Actions that change map and ACL files from the traffic (HAProxy 2.6): add-acl(FILE) KEY,
// del-acl(FILE) KEY, set-map(FILE) KEY VALUE, del-map(FILE) KEY; KEY and VALUE are formats.
//
// FILE names a pattern reference (rules/pattern_ref.h) that a map converter or an ACL `-f`
// loaded; as in HAProxy it is looked up when the rule runs, and a name no map or ACL uses
// changes nothing. A change rebuilds the reference's compiled sets (O(entries)) under the
// references' writer lock and is seen by the next lookup, on every thread.
//
// In http-request and http-response rules (HAProxy 2.6 has them in both, not in
// http-after-response).
#include <fmt/format.h>

#include <atomic>
#include <mutex>

#include "rules/domains.h"
#include "rules/expr.h"
#include "rules/pattern_ref.h"

namespace sluice::rules {

namespace {

class MapAction final : public Action {
 public:
  enum class Op : uint8_t { AddAcl, DelAcl, SetMap, DelMap };
  MapAction(Op op, PatternRefs* refs, std::string file, Format key, std::optional<Format> value)
      : op_(op), refs_(refs), file_(std::move(file)), key_(std::move(key)), value_(std::move(value)) {}

  Verdict run(Ctx& c) const override {
    std::string key(key_.render(c));
    std::string value = value_ ? std::string(value_->render(c)) : std::string();
    std::lock_guard lk(refs_->writer());
    PatternRef* ref = ref_.load(std::memory_order_relaxed);
    if (ref == nullptr) {
      ref = refs_->find(file_);
      if (ref == nullptr) return Verdict::Continue;
      ref_.store(ref, std::memory_order_relaxed);
    }
    // Errors (a value the map's users cannot parse, a key that is not there) change nothing.
    switch (op_) {
      case Op::AddAcl:
        if (!ref->has_key(key)) (void)ref->add(std::move(key), std::nullopt, std::nullopt);
        break;
      case Op::DelAcl:
      case Op::DelMap: (void)ref->del_key(key); break;
      case Op::SetMap:
        if (ref->has_key(key)) (void)ref->set_key(key, std::move(value));
        else (void)ref->add(std::move(key), std::move(value), std::nullopt);
        break;
    }
    refs_->request_reclaim();
    return Verdict::Continue;
  }

 private:
  Op op_;
  PatternRefs* refs_;
  std::string file_;
  Format key_;
  std::optional<Format> value_;
  mutable std::atomic<PatternRef*> ref_{nullptr};   // found once, under the writer lock
};

Result<std::unique_ptr<Action>> parse_map_action(ActionParse& p) {
  std::string_view name = p.words[0].substr(0, p.words[0].find('('));
  MapAction::Op op = name == "add-acl"   ? MapAction::Op::AddAcl
                     : name == "del-acl" ? MapAction::Op::DelAcl
                     : name == "set-map" ? MapAction::Op::SetMap
                                         : MapAction::Op::DelMap;
  bool with_value = op == MapAction::Op::SetMap;
  size_t want = with_value ? 3 : 2;
  if (p.words.size() != want)
    return fail(with_value ? "expects <key format> <value format>" : "expects <key format>");
  if (p.paren.empty()) return fail("expects a file name in parentheses");
  PatternRefs* refs = p.cc.resolver != nullptr ? p.cc.resolver->patterns() : nullptr;
  if (refs == nullptr) return fail("map and ACL files are not available here");
  auto key = Format::compile(p.words[1], p.cc);
  if (!key) return unexpected(key.error());
  std::optional<Format> value;
  if (with_value) {
    auto v = Format::compile(p.words[2], p.cc);
    if (!v) return unexpected(v.error());
    value = std::move(*v);
  }
  return std::unique_ptr<Action>(new MapAction(op, refs, std::string(p.paren), std::move(*key), std::move(value)));
}

constexpr ActionDef kActions[] = {
    {"add-acl", kHttpReq | kHttpRes, parse_map_action, "add KEY (a format) to ACL file FILE unless it is there", true},
    {"del-acl", kHttpReq | kHttpRes, parse_map_action, "remove KEY (a format) from ACL file FILE", true},
    {"set-map", kHttpReq | kHttpRes, parse_map_action, "set KEY to VALUE (formats) in map FILE, adding it when missing", true},
    {"del-map", kHttpReq | kHttpRes, parse_map_action, "remove KEY (a format) from map FILE", true},
};

}  // namespace

std::span<const ActionDef> action_maps() { return kActions; }

}  // namespace sluice::rules
