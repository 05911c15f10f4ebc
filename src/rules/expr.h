// Compiled sample expressions and formats.
//
// Expr: `fetch(args),conv1(args),conv2`, compiled once at load (names looked up in the
// catalog, arguments parsed and resolved, type chain checked), evaluated per request with no
// parsing. Format: text with `%[expr]` (and, for log formats, log variables added by
// log/format.cc), rendered into a string.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/registry.h"

namespace sluice::rules {

class Expr {
 public:
  // `text` is the whole expression. Errors name the part that is wrong.
  static Result<Expr> compile(std::string_view text, CompileCtx& cc);

  // The single value (the last occurrence of a multi-valued fetch unless one is named).
  bool value(Ctx& c, Sample& out) const;
  // Every value (ACLs); fn(Sample&) answers true to stop. Returns whether fn stopped.
  template <class F>
  bool each(Ctx& c, F&& fn) const {
    auto emit = [&](Sample& s) { return convert(c, s) && fn(s); };
    return run(c, true, Emit(emit));
  }

  Type type() const { return out_; }
  const FetchDef& fetch() const { return *fetch_; }
  const std::string& text() const { return text_; }
  // The phases where every part of the expression may run.
  uint16_t phases() const { return phases_; }

 private:
  struct Step {
    const ConvDef* def;
    Args args;
  };
  bool run(Ctx& c, bool every, const Emit& e) const;
  bool convert(Ctx& c, Sample& s) const;

  const FetchDef* fetch_ = nullptr;
  Args args_;
  std::vector<Step> steps_;
  Type out_ = Type::Str;
  uint16_t phases_ = kAnyPhase;
  std::string text_;
};

// Splits "name(args)rest": returns the name, the text inside the parentheses and what follows
// the closing one. Quotes and backslashes inside the parentheses are kept for parse_args.
struct Call {
  std::string_view name, args, rest;
  bool has_parens = false;
};
Result<Call> split_call(std::string_view text);

// A format string: literals, `%[expr]` and (log formats only) variables. `%%` is a '%'.
class Format {
 public:
  struct Part {
    std::string text;             // literal
    std::optional<Expr> expr;     // %[...]
    int var = -1;                 // a log variable id (log/format.cc), -1 = none
    uint32_t flags = 0;           // %{+Q}... flags
  };
  // allow_log_vars: log-format strings; elsewhere %ci & co are errors (HAProxy accepts them
  // in http-request set-header too: log/format.cc compiles those through its own entry).
  static Result<Format> compile(std::string_view text, CompileCtx& cc);
  void render(Ctx& c, std::string& out) const;
  std::string_view render(Ctx& c) const;   // into c's arena
  bool constant() const { return parts_.size() <= 1 && (parts_.empty() || !parts_[0].expr); }
  std::vector<Part>& parts() { return parts_; }
  const std::vector<Part>& parts() const { return parts_; }

 private:
  std::vector<Part> parts_;
};

// How a sample prints in a format or a header: str/bin as bytes, ints in decimal,
// addresses in text (HAProxy's cast to str).
void append_sample(const Sample& s, std::string& out);

}  // namespace sluice::rules
