#include "rules/global_vars.h"

#include <fmt/format.h>

#include "rules/context.h"
#include "rules/expr.h"

namespace sluice::rules {

namespace {

// Compiles and evaluates one value for proc variable `name` where only the process exists
// (phase kCfg: constants, env, other proc variables...). Fails with the message to print.
Result<void> set_proc_var(std::string_view name, bool fmt, std::string_view text, CompileCtx& cc) {
  auto ref = parse_var_name(name);
  if (!ref) return unexpected(ref.error());
  if (ref->scope != Scope::Proc)
    return fail(fmt::format("'{}': only process-wide variables (proc.) can be set here", name));
  Arena arena;
  Ctx c;
  c.phase = kCfg;
  c.arena = &arena;
  if (fmt) {
    auto f = Format::compile(text, cc);
    if (!f) return unexpected(f.error());
    set_var(c, *ref, Sample::of_str(f->render(c)));
    return {};
  }
  auto e = Expr::compile(text, cc);
  if (!e) return unexpected(e.error());
  Sample s;
  if (e->value(c, s)) set_var(c, *ref, s);   // no value: the variable stays as it was, as in HAProxy
  return {};
}

}  // namespace

void set_global_vars(const std::vector<config::GlobalSetVar>& vars, const Resolver* resolver,
                     std::vector<std::string>& errors) {
  for (const auto& v : vars) {
    std::string_view kw = v.fmt ? "set-var-fmt" : "set-var";
    CompileCtx cc{kCfg, nullptr, resolver, v.loc, kw, nullptr};
    if (auto r = set_proc_var(v.name, v.fmt, v.value, cc); !r)
      errors.push_back(fmt::format("{}:{}: '{}': {}", v.loc.file, v.loc.line, kw, r.error().message));
  }
}

std::string cli_get_var(std::string_view name) {
  if (name.empty()) return "Missing process-wide variable identifier.\n";
  auto ref = parse_var_name(name, false);
  if (!ref || ref->scope != Scope::Proc) return "Variable not found.\n";
  Arena arena;
  Ctx c;
  c.phase = kCfg;
  c.arena = &arena;
  Sample s;
  if (!get_var(c, *ref, s)) return "Variable not found.\n";
  std::string value;
  append_sample(s, value);
  return fmt::format("{}: type={} value=<{}>\n", name, to_string(s.type), value);
}

std::string cli_set_var(std::string_view name, bool fmt, std::string_view text) {
  if (name.empty()) return "Missing process-wide variable identifier.\n";
  if (!name.starts_with("proc.")) return "Only process-wide variables may be set (proc.).\n";
  if (text.empty()) return fmt ? "Missing format.\n" : "Missing expression.\n";
  CompileCtx cc{kCfg, nullptr, nullptr, {}, "set var", nullptr};
  if (auto r = set_proc_var(name, fmt, text, cc); !r) return r.error().message + "\n";
  return "";
}

}  // namespace sluice::rules
