// Regular expressions for ACLs (`-m reg`, *_reg fetches) and health checks (rstring, rstatus,
// rbinary), on PCRE2 as HAProxy builds them: Perl syntax, bytes (no UTF), JIT when available.
//
// Matching is bounded. std::regex recursed once per subject byte, so a long header on a
// pattern like `^(a|b)+$` overflowed the stack, and nested quantifiers burnt CPU without end.
// Here every match runs under limits (kMatchLimit, kDepthLimit, kHeapLimitKib, the JIT
// stack of kJitStackMax bytes, kSearchBudget for a whole search); a match that reaches one
// answers "no match", as HAProxy treats a regex error, and the regex logs a warning the
// first time that happens (once per compiled regex, never per request). Its hits are
// counted for tests and diagnostics.
//
// A Regex is a cheap copyable handle on immutable compiled code; copies share it. search()
// may run on any thread at once: the match context, match data and JIT stack are per thread
// and reused, so the hot path does not allocate.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sluice::core {

struct RegexOptions {
  bool icase = false;   // PCRE2_CASELESS (ACL `-i`)
  bool jit = true;      // false: always the interpreter (tests; or JIT known to misbehave)
};

class Regex {
 public:
  // Backtracking steps per start position (pcre2_set_match_limit; JIT and interpreter):
  // kMatchLimit, or kMatchStepsPerByte per subject byte when that is more, so that a linear
  // pattern that must give back a whole long subject still answers.
  static constexpr uint32_t kMatchLimit = 1'000'000;
  static constexpr uint32_t kMatchStepsPerByte = 4;
  // Interpreter backtracking depth (pcre2_set_depth_limit): ~1 frame per repeated group.
  static constexpr uint32_t kDepthLimit = 250'000;
  // Interpreter frame memory per thread (pcre2_set_heap_limit, in KiB).
  static constexpr uint32_t kHeapLimitKib = 64 * 1024;
  // JIT stack per thread: reserved once, pages committed as a match needs them.
  static constexpr size_t kJitStackStart = 32 * 1024;
  static constexpr size_t kJitStackMax = 64 * 1024 * 1024;

  // An unanchored search tries start positions kWindow at a time and gives up, as on a
  // limit, once it has run longer than kSearchBudget (checked between windows).
  static constexpr size_t kWindow = 64;
  static constexpr std::chrono::milliseconds kSearchBudget{50};

  // Limit: stopped on a limit (or another PCRE2 error); search() reads it as no match.
  enum class Outcome : uint8_t { Match, NoMatch, Limit };

  // Error message: "invalid regex '<pattern>': <PCRE2 message> at offset N".
  static Result<Regex> compile(std::string_view pattern, RegexOptions opts = {});

  // True when the pattern matches anywhere in `subject`. A limit hit is false (see above).
  bool search(std::string_view subject) const { return search_outcome(subject) == Outcome::Match; }
  // The same, telling a limit hit apart from a plain failure.
  Outcome search_outcome(std::string_view subject) const;

  // Offsets of group 0 (the whole match) to 9 of a match, as HAProxy's MAX_MATCH, for
  // backreferences (map_regm, regsub). An unset group has begin == end == npos.
  struct Captures {
    static constexpr size_t kMax = 10;
    std::array<std::pair<size_t, size_t>, kMax> group{};
    size_t count = 0;   // groups filled (the pattern's capture count + 1, at most kMax)
  };
  // search() that also fills `caps` on a match (same limits; untouched otherwise).
  // not_bol: the subject does not start a line, so `^` does not match at its start
  // (PCRE2_NOTBOL; regsub's later matches in the same string).
  bool search(std::string_view subject, Captures& caps, bool not_bol = false) const;

  const std::string& pattern() const;
  bool jit() const;               // compiled to machine code (false: interpreter)
  uint64_t limit_hits() const;    // matches that ended on a limit, since compile

 private:
  struct Code;
  Outcome run(std::string_view subject, Captures* caps, uint32_t flags = 0) const;
  explicit Regex(std::shared_ptr<const Code> c) : code_(std::move(c)) {}
  std::shared_ptr<const Code> code_;
};

}  // namespace sluice::core
