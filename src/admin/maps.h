// The runtime API on maps and ACL pattern files (HAProxy 2.6's management guide, 9.3):
// show/get/add/del/set/clear/prepare/commit map|acl. Parsing and execution are pure
// functions over rules::PatternRefs, so the unit tests run them without a process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "admin/commands.h"
#include "admin/parse.h"
#include "core/result.h"
#include "rules/pattern_ref.h"

namespace sluice::admin {

struct MapCommand {
  enum class Verb : uint8_t { Show, Get, Add, Del, Set, Clear, Prepare, Commit };
  Verb verb = Verb::Show;
  bool map = true;                    // `map` (else `acl`)
  std::optional<uint32_t> version;    // @VER
  std::string ref;                    // file name or #ID; empty: `show map|acl` list
  std::string key;                    // key, pattern, or #ELEMENT (del/set)
  std::optional<std::string> value;
};

// `words` is the whole command ("add", "map", ...). Errors are HAProxy's answer (with "\n").
Result<MapCommand> parse_map_command(const Words& words);
// Runs it; the answer as HAProxy prints it ("" on success for the changes).
std::string run_map_command(rules::PatternRefs& refs, const MapCommand& c);

// Handlers registered in commands.cc.
void cmd_map(Context& ctx, Args a, Reply reply);

}  // namespace sluice::admin
