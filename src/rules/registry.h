// The tables the rule language is built from. Every fetch, converter and action is one row
// here with its name, arguments, types, phases, function and a one-line description; the
// configuration parser, `-c`, `sluice -dK` and docs/configuration.md all read these rows, so
// what sluice accepts, runs, lists and documents cannot disagree.
//
// Rows are grouped by domain in small files (rules/fetch/*.cc, rules/conv/*.cc,
// rules/action/*.cc), each exporting a span; rules/catalog.cc lists the spans explicitly
// (static registrars would be dropped by the linker from a static library).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.h"
#include "core/regex.h"
#include "core/result.h"
#include "rules/context.h"
#include "rules/sample.h"
#include "rules/vars.h"

namespace sluice::backend {
class Backend;
class Server;
struct FrontendCounters;
}  // namespace sluice::backend

namespace sluice::rules {

class PatternRefs;

// ---- arguments --------------------------------------------------------------------------
// An argument specification is a string of letters, one per argument; a lower-case letter is
// optional (and so is every argument after it):
//   S/s  string            I/i  signed integer        V/v  variable name (txn.x)
//   B/b  backend name      F/f  frontend name         X/x  server ("backend/server" or "server")
//   R/r  regex (PCRE2)     T/t  time ("10s", ms)      U/u  userlist name
//   M/m  map or ACL file   A/a  an IPv4/IPv6 mask or address
enum class ArgType : uint8_t { Str, Sint, Var, Backend, Frontend, Server, Regex, Time, Userlist, File, Addr };

struct Arg {
  ArgType type = ArgType::Str;
  bool present = false;
  std::string str;         // as written (after unquoting)
  int64_t sint = 0;        // Sint, Time (ms)
  VarRef var;              // Var
  const backend::Backend* be = nullptr;            // Backend, Server
  const backend::Server* srv = nullptr;            // Server
  const backend::FrontendCounters* fe = nullptr;   // Frontend
  std::shared_ptr<const core::Regex> re;           // Regex
  const void* obj = nullptr;                       // Userlist, File (typed by the user)
};

struct Args {
  std::vector<Arg> v;
  // State a row's check function compiled from the arguments (a map's patterns, a
  // converter's table...). Owned here, read by the row's function.
  std::shared_ptr<const void> state;

  const Arg& operator[](size_t i) const { return v[i]; }
  size_t size() const { return v.size(); }
  bool has(size_t i) const { return i < v.size() && v[i].present; }
  template <class T>
  const T& st() const { return *static_cast<const T*>(state.get()); }
};

// What compiling needs from the outside: where the rule runs and how to resolve names of
// configuration objects. A null resolver callback (unit tests) resolves nothing: an argument
// that names a backend then fails to compile.
class Resolver {
 public:
  virtual ~Resolver() = default;
  virtual const backend::Backend* backend(std::string_view) const { return nullptr; }
  virtual const backend::Server* server(std::string_view /*backend*/, std::string_view /*server*/) const {
    return nullptr;
  }
  virtual const backend::FrontendCounters* frontend(std::string_view) const { return nullptr; }
  virtual const void* userlist(std::string_view) const { return nullptr; }
  virtual PatternRefs* patterns() const { return nullptr; }
};

struct CompileCtx {
  uint16_t phases = kHttpReq;         // where the compiled thing will run
  const config::ProxyConfig* proxy = nullptr;   // the section it belongs to
  const Resolver* resolver = nullptr;
  config::SourceLoc loc;
  std::string_view what;             // "http-request", "acl", "log-format": for messages
  // Notes that do not stop the start (printed once by the caller with file:line).
  std::vector<std::string>* warnings = nullptr;

  std::string_view proxy_name() const { return proxy != nullptr ? std::string_view(proxy->name) : ""; }
};

// ---- fetches ----------------------------------------------------------------------------
// Calls of a multi-valued fetch hand each value to an Emit; it answers true to stop.
class Emit {
 public:
  template <class F>
  explicit Emit(F& f) : obj_(&f), fn_([](void* o, Sample& s) { return (*static_cast<F*>(o))(s); }) {}
  bool operator()(Sample& s) const { return fn_(obj_, s); }

 private:
  void* obj_;
  bool (*fn_)(void*, Sample&);
};

// One value: false when there is none.
using FetchOne = bool (*)(const Args&, Ctx&, Sample&);
// Several values (hdr, cook...): `every` asks for all of them (an ACL); otherwise only the one
// HAProxy's sample context selects (the last occurrence unless an occurrence is given).
using FetchEach = void (*)(const Args&, Ctx&, bool every, const Emit&);
// Compiles arguments further (resolve, precompute into Args::state) or refuses them.
using ArgCheck = Result<void> (*)(Args&, CompileCtx&);

struct FetchDef {
  std::string_view name;
  std::string_view args;     // see "arguments" above
  Type out;
  uint16_t phases;           // where its data exists
  FetchOne one = nullptr;
  FetchEach each = nullptr;
  std::string_view doc;
  // ACL keywords derived from this fetch, as suffix list ("beg dir dom end len reg sub"):
  // path_beg = path -m beg. Empty: the fetch is only a fetch (and an ACL with its default match).
  std::string_view acl_suffixes = {};
  ArgCheck check = nullptr;
};

// ---- converters -------------------------------------------------------------------------
using ConvFn = bool (*)(const Args&, Ctx&, Sample&);   // in place; false: no value

struct ConvDef {
  std::string_view name;
  std::string_view args;
  Type in, out;
  ConvFn fn;
  std::string_view doc;
  ArgCheck check = nullptr;
  uint16_t phases = kInternalPhases;   // set-var(txn.x) as a converter: where txn exists
};

// ---- actions ----------------------------------------------------------------------------
class Action {
 public:
  virtual ~Action() = default;
  virtual Verdict run(Ctx& c) const = 0;
};

// What an action's parser receives: the words after the rule set's keyword up to `if` /
// `unless` (words[0] is the action as written, "set-var(txn.x)"), and its paren argument.
struct ActionParse {
  std::span<const std::string> words;
  std::string_view paren;     // "txn.x" in set-var(txn.x); empty when none
  CompileCtx& cc;
};
using ActionParser = Result<std::unique_ptr<Action>> (*)(ActionParse&);

struct ActionDef {
  std::string_view name;     // without its paren argument
  uint16_t phases;           // rule sets where it is valid
  ActionParser parse;
  std::string_view doc;
  bool paren = false;        // takes `(ARG)` after its name (set-var, capture ... id)
  bool final = false;        // ends the rule set (allow, deny, ...): HAProxy warns on rules after
};

// ---- the catalog ------------------------------------------------------------------------
std::span<const FetchDef> fetches();
std::span<const ConvDef> converters();
std::span<const ActionDef> actions();
const FetchDef* find_fetch(std::string_view name);
const ConvDef* find_converter(std::string_view name);
const ActionDef* find_action(std::string_view name);   // name without the paren argument

// The rule sets by keyword ("http-request", "tcp-request content", ...) and their phase.
struct RuleSetDef {
  std::string_view keyword;
  uint16_t phase;
};
std::span<const RuleSetDef> rule_sets();

// Parses and resolves arguments of `spec` from the text between the parentheses.
Result<void> parse_args(std::string_view spec, std::string_view text, Args& out, CompileCtx& cc,
                        std::string_view owner);

// `sluice -dK`: every table, one line per entry.
void dump_keywords(std::string& out, std::string_view which = {});
// The reference of every fetch, converter and action as Markdown tables (docs/configuration.md
// embeds it; scripts/gen-reference rewrites it, a unit test checks it is current).
void reference_markdown(std::string& out);

}  // namespace sluice::rules
