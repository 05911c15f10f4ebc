// Condition expressions of HAProxy's `.if` / `.elif` directives and of `-cc EXPR`.
//
//   expr   := and ( "||" and )*
//   and    := unary ( "&&" unary )*
//   unary  := "!" unary | "(" expr ")" | INTEGER | predicate [ "(" args ")" ] | ""
//
// An empty condition is false, an integer is true unless it is 0. Predicates: defined,
// feature, streq, strneq, version_atleast, version_before, ssllib_name_startswith,
// openssl_version_atleast, openssl_version_before. Anything else is an error, so a typo
// never silently selects a branch.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice::config {

struct CondContext {
  // Environment lookup: nullopt = not defined.
  std::function<std::optional<std::string>(std::string_view)> getenv;
  // Names listed with '+' in `sluice -vv`'s feature list.
  std::span<const std::string_view> features;
  std::string_view version;          // the HAProxy version sluice follows, e.g. "2.6"
  std::string_view ssl_lib_name;     // e.g. "OpenSSL"; empty when built without TLS
  std::string_view ssl_lib_version;  // e.g. "3.0.19"
};

// The context of this build and process (environment, features, version).
const CondContext& process_cond_context();

// Evaluates the words of a condition (as the lexer split them; they are joined with spaces).
Result<bool> eval_condition(std::span<const std::string> words, const CondContext& ctx);
Result<bool> eval_condition(std::string_view text, const CondContext& ctx);

// Orders two HAProxy version strings ("2.5-dev0" < "2.5" = "2.5.0" < "2.5.1"). Missing
// components count as zero. nullopt when either does not parse.
std::optional<int> compare_versions(std::string_view a, std::string_view b);

}  // namespace sluice::config
