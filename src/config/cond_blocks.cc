#include "config/cond_blocks.h"

namespace sluice::config::detail {

bool CondBlocks::eval(const Line& l, Diags& diags) {
  auto r = eval_condition(Words(l.words).subspan(1), ctx_);
  if (!r) {
    diags.error(l.loc, fmt::format("'{}': {}", l.words[0], r.error().message));
    return false;
  }
  return *r;
}

bool CondBlocks::handle(const Line& l, Diags& diags) {
  const std::string& k = l.words[0];
  if (k.empty() || k[0] != '.') return false;
  if (k == ".if") {
    Level lv{.loc = l.loc, .parent_active = active()};
    // Conditions of a skipped block are not evaluated (they may test what does not exist).
    lv.active = lv.taken = lv.parent_active && eval(l, diags);
    levels_.push_back(lv);
    return true;
  }
  if (k == ".elif" || k == ".else" || k == ".endif") {
    if (levels_.empty()) {
      diags.error(l.loc, fmt::format("'{}' without a matching '.if'", k));
      return true;
    }
    Level& lv = levels_.back();
    if (k == ".endif") {
      if (l.words.size() > 1) diags.error(l.loc, "'.endif' takes no argument");
      levels_.pop_back();
      return true;
    }
    if (lv.seen_else) {
      diags.error(l.loc, fmt::format("'{}' after '.else' (the '.if' is at line {})", k, lv.loc.line));
      return true;
    }
    if (k == ".else") {
      if (l.words.size() > 1) diags.error(l.loc, "'.else' takes no argument");
      lv.seen_else = true;
      lv.active = lv.parent_active && !lv.taken;
    } else {
      lv.active = lv.parent_active && !lv.taken && eval(l, diags);
    }
    lv.taken = lv.taken || lv.active;
    return true;
  }
  if (k == ".diag" || k == ".notice" || k == ".warning" || k == ".alert") {
    if (!active()) return true;
    std::string msg = join(Words(l.words).subspan(1));
    // .diag prints only in HAProxy's diagnostic mode (-dD), which sluice does not have: it is
    // silent, as it is in HAProxy without -dD.
    if (k == ".alert") diags.error(l.loc, msg);
    else if (k == ".warning") diags.warning(l.loc, msg);
    else if (k == ".notice") diags.notice(l.loc, msg);
    return true;
  }
  if (active()) diags.error(l.loc, fmt::format("unknown directive '{}' (.if, .elif, .else, .endif, .diag, .notice, .warning, .alert)", k));
  return true;
}

void CondBlocks::end_of_file(Diags& diags) {
  for (const auto& lv : levels_) diags.error(lv.loc, "'.if' without a matching '.endif' before the end of the file");
  levels_.clear();
}

}  // namespace sluice::config::detail
