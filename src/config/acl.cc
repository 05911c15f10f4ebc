// ACL declarations and `if|unless` conditions.
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <span>

#include "config/parse_internal.h"

namespace sluice::config::detail {
namespace {

// HAProxy's predefined ACLs (manual 7.4); rules/acl.cc says what each one means.
constexpr std::string_view kPredefinedAcls[] = {
    "FALSE", "HTTP", "HTTP_1.0", "HTTP_1.1", "HTTP_2.0", "HTTP_3.0", "HTTP_CONTENT", "HTTP_URL_ABS",
    "HTTP_URL_SLASH", "HTTP_URL_STAR", "LOCALHOST", "METH_CONNECT", "METH_DELETE", "METH_GET", "METH_HEAD",
    "METH_OPTIONS", "METH_POST", "METH_PUT", "METH_TRACE", "RDP_COOKIE", "REQ_CONTENT", "TRUE", "WAIT_END"};

bool valid_name(std::string_view n) {
  if (n.empty()) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ':';
  });
}

}  // namespace

Result<Acl> parse_acl(Words words, bool named, const SourceLoc& loc) {
  Acl acl;
  acl.loc = loc;
  size_t i = 0;
  if (named) {
    if (words.empty()) return fail("'acl' expects a name and a fetch method");
    acl.name = words[0];
    if (!valid_name(acl.name))
      return fail(fmt::format("invalid ACL name '{}' (letters, digits, '-', '_', '.' and ':' only)", acl.name));
    i = 1;
  }
  if (i >= words.size()) return fail(fmt::format("ACL '{}' has no fetch method", acl.name));
  acl.fetch = words[i++];
  while (i < words.size() && words[i].size() > 1 && words[i][0] == '-') {
    const std::string& f = words[i];
    if (f == "--") {
      ++i;
      break;
    }
    if (f == "-i" || f == "-n" || f == "-M") {
      acl.flags.push_back(f);
      ++i;
    } else if (f == "-m" || f == "-f" || f == "-u") {
      if (i + 1 >= words.size()) return fail(fmt::format("ACL flag '{}' expects an argument", f));
      const std::string& arg = words[i + 1];
      // -f FILE: loaded by rules/ (Runtime::build, -c too) into a pattern reference the
      // runtime API can change; a file that cannot be read is an error there.
      acl.flags.push_back(f);
      acl.flags.push_back(arg);
      i += 2;
    } else {
      // HAProxy treats other dash words as patterns only after `--`; be strict.
      return fail(fmt::format("unknown ACL flag '{}' (use '--' before a pattern starting with '-')", f));
    }
  }
  for (; i < words.size(); ++i) acl.patterns.push_back(words[i]);
  // Fetch, converters, match and patterns are compiled by rules/ (Runtime::build, which -c
  // runs too): an ACL sluice cannot evaluate exactly is an error there, with this line.
  return acl;
}

size_t find_condition(Words words) {
  for (size_t i = 0; i < words.size(); ++i)
    if (words[i] == "if" || words[i] == "unless") return i;
  return words.size();
}

Result<Condition> parse_condition(Words words, const ProxyConfig& p, const SourceLoc& loc) {
  Condition c;
  c.loc = loc;
  c.unless = words[0] == "unless";
  c.any_of.emplace_back();
  bool negate = false;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "||" || w == "or") {
      if (negate || c.any_of.back().empty())
        return fail(fmt::format("'{}' without a term before it in condition", w));
      c.any_of.emplace_back();
      continue;
    }
    if (w == "!") {
      negate = !negate;
      continue;
    }
    CondTerm term;
    std::string_view word = w;
    while (word.size() > 1 && word.starts_with('!')) {   // "!name" and "!{" (HAProxy accepts both)
      negate = !negate;
      word.remove_prefix(1);
    }
    if (word == "{") {
      size_t close = i + 1;
      while (close < words.size() && words[close] != "}") ++close;
      if (close >= words.size()) return fail("missing '}' after anonymous ACL '{'");
      auto acl = parse_acl(words.subspan(i + 1, close - i - 1), false, loc);
      if (!acl) return unexpected(acl.error());
      term.anonymous = std::move(*acl);
      i = close;
    } else {
      std::string_view name = word;
      std::span<const std::string_view> predefined = kPredefinedAcls;
      bool known = std::any_of(p.acls.begin(), p.acls.end(), [&](const Acl& a) { return a.name == name; }) ||
                   std::find(predefined.begin(), predefined.end(), name) != predefined.end();
      if (!known) {
        std::vector<std::string_view> names(predefined.begin(), predefined.end());
        for (const auto& a : p.acls) names.push_back(a.name);
        return fail(fmt::format("no such ACL: '{}'{}", name, suggest(name, names)));
      }
      term.acl_name = std::string(name);
    }
    term.negate = negate;
    negate = false;
    c.any_of.back().push_back(std::move(term));
  }
  if (negate) return fail("'!' at the end of a condition");
  if (c.any_of.back().empty())
    return fail(c.any_of.size() == 1 ? fmt::format("missing condition after '{}'", words[0])
                                     : std::string("condition ends with '||'"));
  return c;
}

}  // namespace sluice::config::detail
