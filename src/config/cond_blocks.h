// `.if` / `.elif` / `.else` / `.endif` and `.diag` / `.notice` / `.warning` / `.alert`: the
// configuration's preprocessor directives, as HAProxy has them (configuration manual 2.4).
// Blocks nest and never span two files; a condition that does not parse is an error, so a
// typo cannot silently drop or keep a block.
#pragma once

#include <vector>

#include "config/cond.h"
#include "config/parse_internal.h"

namespace sluice::config::detail {

class CondBlocks {
 public:
  explicit CondBlocks(CondContext ctx) : ctx_(std::move(ctx)) {}

  // True when l is a directive (its first word starts with '.'); it is then consumed.
  bool handle(const Line& l, Diags& diags);
  // False inside a block whose condition is false: ordinary lines are skipped.
  bool active() const { return levels_.empty() || levels_.back().active; }
  // Reports every block the file left open, and forgets them.
  void end_of_file(Diags& diags);

 private:
  struct Level {
    SourceLoc loc;          // of the `.if`
    bool parent_active;     // the enclosing block is active
    bool taken = false;     // a branch of this level was already selected
    bool active = false;    // the current branch is selected
    bool seen_else = false;
  };
  bool eval(const Line& l, Diags& diags);

  CondContext ctx_;
  std::vector<Level> levels_;
};

}  // namespace sluice::config::detail
