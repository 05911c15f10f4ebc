// Splits one configuration line into words with HAProxy 2.6's rules, measured against
// `haproxy -c` (tests/unit/config/lexer_test.cc lists each case):
// - blanks separate words; `#` outside quotes starts a comment;
// - `"..."` groups and expands variables; `'...'` groups and expands nothing; variables are
//   expanded ONLY inside double quotes (`$HOST` or `${HOST}` unquoted stays as written);
// - inside double quotes: `$NAME`, `${NAME}`, `${NAME-default}` (the default replaces an unset
//   variable, not an empty one, and is taken as written up to the first `}`), `${NAME[*]}`
//   (one word per blank-separated part), and the pseudo-variables `.FILE`, `.LINE`, `.SECTION`.
//   A `$` not followed by a valid name is an error, as is an unclosed `${`;
// - `\` outside single quotes: `\ `, `\\`, `\#`, `\"`, `\'`, `\r`, `\n`, `\t`, `\xNN` give the
//   character; `\$` gives `$` inside double quotes and stays `\$` outside them; any other pair
//   is kept as written. A `\` at end of line is a literal backslash: there is no continuation;
// - an empty word ends the line's arguments: HAProxy's keyword parsers stop at the first empty
//   argument, so `server s 1.2.3.4:80 "${OPTS}" check` with OPTS empty ignores `check`. The
//   lexer drops such words and reports them so that the caller can warn.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sluice::config {

using GetEnv = std::function<std::optional<std::string>(std::string_view)>;

// What the line is expanded against: the environment and the pseudo-variables' values.
struct LexContext {
  GetEnv getenv;                 // unset: every variable is unset
  std::string_view file;         // ${.FILE}
  int line = 0;                  // ${.LINE}
  std::string_view section;      // ${.SECTION}: the section's name, or its type when unnamed
};

struct LexedLine {
  std::vector<std::string> words;
  bool trailing_backslash = false;     // the line ended with an unescaped lone `\` word
  std::vector<std::string> ignored;    // non-empty words after an empty one (dropped)
};

Result<LexedLine> lex_line(std::string_view line, const LexContext& ctx);
Result<LexedLine> lex_line(std::string_view line, const GetEnv& getenv);

}  // namespace sluice::config
