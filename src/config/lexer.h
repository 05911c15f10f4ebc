// Splits one configuration line into words with HAProxy's rules (tools.c parse_line):
// blanks separate words; `#` outside quotes starts a comment; `\` escapes the next character
// (`\ `, `\#`, `\\`, `\"`, `\'`, `\$`, `\r`, `\n`, `\t`, `\xNN`; other pairs are kept as
// written); double quotes group and expand variables; single quotes group without expansion;
// `$VAR` / `${VAR}` / `${VAR-default}` expand outside single quotes; `"${VAR[*]}"` expands to
// one word per blank-separated part. A `\` at end of line is a literal backslash word, as in
// HAProxy: there is no line continuation.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sluice::config {

using GetEnv = std::function<std::optional<std::string>(std::string_view)>;

struct LexedLine {
  std::vector<std::string> words;
  bool trailing_backslash = false;   // the line ended with an unescaped lone `\` word
};

// `expand_unquoted` false: `$` outside double quotes is literal, as HAProxy 2.6 does for every
// keyword (sluice still expands there elsewhere; see docs/compatibility.md). The parser uses it
// in `userlist` sections, where crypt(3) hashes are full of `$` ("$6$salt$digest").
Result<LexedLine> lex_line(std::string_view line, const GetEnv& getenv, bool expand_unquoted = true);

}  // namespace sluice::config
