// Compiled sample expressions and formats.
//
// Expr: `fetch(args),conv1(args),conv2`, compiled once at load (names looked up in the
// catalog, arguments parsed and resolved, type chain checked), evaluated per request with no
// parsing. Format: text with `%[expr]` (and, for log formats, log variables added by
// log/format.cc), rendered into a string.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/registry.h"

namespace sluice::log {
struct TxRecord;
struct RenderEnv;
}  // namespace sluice::log

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
// The position of `close` (')' or ']') in `text` from `from` on, outside quotes, backslash
// escapes and nested parentheses; npos when there is none.
size_t find_close(std::string_view text, size_t from, char close);

// A format string (HAProxy's log-format language), compiled once at load into nodes:
// literal text, separators (log lines only), log variables (%ci, %Tr, %{+Q}r...) and
// `%[expr]` sample expressions with their converters. One engine serves log-format,
// option httplog/tcplog (predefined strings), unique-id-format and every rule argument that
// is a format (set-header, add-header values). The implementation is log/format.cc.
//
// Two modes, as HAProxy renders them:
//   Log   a log line: runs of spaces are one separator, an empty field prints '-',
//         %{+Q}[expr] is quoted, '\' escapes the next character.
//   Rule  a rule argument: spaces are kept, an empty field prints nothing, %{+Q} quotes
//         variables but not %[...] samples.
//   UniqueId  unique-id-format: separators as in Log, empty fields as in Rule.
// A variable whose value sluice does not know in the phase the format runs in is refused at
// load ("... not supported by sluice"); one not known *yet* (%Tr in an http-request rule)
// prints what HAProxy prints there (-1, 0, "----").
class Format {
 public:
  enum class Mode : uint8_t { Rule, Log, UniqueId };
  struct Node {
    enum class Kind : uint8_t { Text, Sep, Var, Expr } kind = Kind::Text;
    std::string text;               // Text
    uint8_t var = 0;                // Var: a log::Var (log/format.cc)
    bool quote = false, hex = false, escape = false;   // %{+Q,+X,+E}
    std::optional<Expr> expr;       // Expr
  };
  static Result<Format> compile(std::string_view text, CompileCtx& cc, Mode mode = Mode::Rule);
  // `rec`/`env`: the finished exchange a log line describes (null in rules: the values are
  // then read from `c`, as far as the transaction got).
  void render(Ctx& c, std::string& out, const log::TxRecord* rec = nullptr,
              const log::RenderEnv* env = nullptr) const;
  std::string_view render(Ctx& c) const;   // into c's arena
  bool constant() const { return nodes_.size() <= 1 && (nodes_.empty() || nodes_[0].kind == Node::Kind::Text); }
  const std::vector<Node>& nodes() const { return nodes_; }
  Mode mode() const { return mode_; }

 private:
  std::vector<Node> nodes_;
  Mode mode_ = Mode::Rule;
};

// The transaction's unique id (`unique-id` fetch, %ID, unique-id-header): generated from the
// frontend's unique-id-format the first time it is asked for, then kept for the transaction.
std::string_view unique_id(Ctx& c);

// How a sample prints in a format or a header: str/bin as bytes, ints in decimal,
// addresses in text (HAProxy's cast to str).
void append_sample(const Sample& s, std::string& out);

}  // namespace sluice::rules
