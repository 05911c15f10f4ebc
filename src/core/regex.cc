#include "core/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "core/log.h"

namespace sluice::core {

struct Regex::Code {
  std::string pattern;
  pcre2_code* code = nullptr;
  bool jit = false;
  bool windowed = false;   // search() may split the start positions into windows
  uint32_t captures = 0;   // capture groups in the pattern
  // The only mutable state: diagnostics, shared by every copy and thread.
  mutable std::atomic<uint64_t> limit_hits{0};

  ~Code() { pcre2_code_free(code); }
};

namespace {

// One per thread, made on the first match and kept: the limits live on the match context,
// the interpreter keeps its frame memory in the match data between calls, and the JIT stack
// is a fixed reservation. Nothing here depends on the pattern, so every regex shares it.
class MatchState {
 public:
  MatchState() {
    ctx_ = pcre2_match_context_create(nullptr);
    data_ = pcre2_match_data_create(1, nullptr);   // search() only needs "did it match"
    caps_ = pcre2_match_data_create(Regex::Captures::kMax, nullptr);
    stack_ = pcre2_jit_stack_create(Regex::kJitStackStart, Regex::kJitStackMax, nullptr);
    if (ctx_ == nullptr) return;
    pcre2_set_depth_limit(ctx_, Regex::kDepthLimit);
    pcre2_set_heap_limit(ctx_, Regex::kHeapLimitKib);
    // Without a stack of our own the JIT uses 32 KiB on the machine stack: too small for
    // long headers. A failed reservation leaves that default, which still fails safely.
    if (stack_ != nullptr) pcre2_jit_stack_assign(ctx_, nullptr, stack_);
  }
  ~MatchState() {
    pcre2_match_data_free(data_);
    pcre2_match_data_free(caps_);
    pcre2_match_context_free(ctx_);
    pcre2_jit_stack_free(stack_);
  }
  MatchState(const MatchState&) = delete;
  MatchState& operator=(const MatchState&) = delete;

  bool ok() const { return ctx_ != nullptr && data_ != nullptr && caps_ != nullptr; }
  pcre2_match_context* ctx() { return ctx_; }
  pcre2_match_data* data() { return data_; }
  pcre2_match_data* caps() { return caps_; }

 private:
  pcre2_match_context* ctx_ = nullptr;
  pcre2_match_data* data_ = nullptr;
  pcre2_match_data* caps_ = nullptr;   // search() with captures: groups 0..9
  pcre2_jit_stack* stack_ = nullptr;
};

MatchState& match_state() {
  thread_local MatchState s;
  return s;
}

constexpr int kBudgetExceeded = -10000;   // not a PCRE2 code

std::string error_text(int code) {
  PCRE2_UCHAR buf[256];
  int n = pcre2_get_error_message(code, buf, sizeof buf);
  if (n < 0) return "error " + std::to_string(code);
  return std::string(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

}  // namespace

Result<Regex> Regex::compile(std::string_view pattern, RegexOptions opts) {
  int err = 0;
  PCRE2_SIZE off = 0;
  // USE_OFFSET_LIMIT lets search() walk the start positions in windows (see there).
  uint32_t flags = PCRE2_USE_OFFSET_LIMIT | (opts.icase ? PCRE2_CASELESS : 0);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), flags, &err,
                                   &off, nullptr);
  if (code == nullptr)
    return fail(fmt::format("invalid regex '{}': {} at offset {}", pattern, error_text(err), off));
  auto c = std::make_shared<Code>();
  c->pattern = std::string(pattern);
  c->code = code;
  // Any JIT failure (not built in, no executable memory) leaves the interpreter: the same
  // answers, only slower (it counts steps differently, so it reaches the limits sooner).
  c->jit = opts.jit && pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  // Windows are only for patterns whose answer cannot depend on where a call starts: not
  // anchored (one start position anyway), no \G (matches at each call's start offset), no
  // backtracking verbs such as (*COMMIT) or (*SKIP), which decide about later start positions.
  uint32_t all = 0;
  pcre2_pattern_info(code, PCRE2_INFO_ALLOPTIONS, &all);
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &c->captures);
  c->windowed = (all & PCRE2_ANCHORED) == 0 && pattern.find("\\G") == std::string_view::npos &&
                pattern.find("(*") == std::string_view::npos;
  return Regex(std::move(c));
}

namespace {

int match_at(const pcre2_code* code, bool jit, std::string_view s, size_t from, MatchState& st,
             pcre2_match_data* data, uint32_t flags) {
  // PCRE2_NO_JIT keeps a regex compiled without JIT (opts.jit = false) on the interpreter.
  return pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), from, flags | (jit ? 0 : PCRE2_NO_JIT),
                     data, st.ctx());
}

}  // namespace

// PCRE2 restarts its match limit at every start position, so on a long subject an unanchored
// pattern can stay under the limit at each position and still cost seconds in all (a 16 KB
// header on `(a+)+$` crafted so: 10 s). So the start positions are tried kWindow at a time
// (the offset limit), the same order and answers as one call, and the clock is read between
// windows: past kSearchBudget the search stops as on a limit.
Regex::Outcome Regex::search_outcome(std::string_view subject) const {
  return run(subject, nullptr);
}

bool Regex::search(std::string_view subject, Captures& caps, bool not_bol) const {
  return run(subject, &caps, not_bol ? PCRE2_NOTBOL : 0) == Outcome::Match;
}

Regex::Outcome Regex::run(std::string_view subject, Captures* caps, uint32_t flags) const {
  MatchState& st = match_state();
  pcre2_match_data* data = caps ? st.caps() : st.data();
  int rc = PCRE2_ERROR_NOMEMORY;
  if (st.ok()) {
    size_t steps = std::max<size_t>(kMatchLimit, subject.size() * kMatchStepsPerByte);
    pcre2_set_match_limit(st.ctx(), static_cast<uint32_t>(std::min<size_t>(steps, UINT32_MAX)));
    if (!code_->windowed || subject.size() < kWindow) {
      pcre2_set_offset_limit(st.ctx(), PCRE2_UNSET);
      rc = match_at(code_->code, code_->jit, subject, 0, st, data, flags);
    } else {
      auto deadline = std::chrono::steady_clock::now() + kSearchBudget;
      for (size_t from = 0; from <= subject.size(); from += kWindow) {
        pcre2_set_offset_limit(st.ctx(), from + kWindow - 1);
        rc = match_at(code_->code, code_->jit, subject, from, st, data, flags);
        if (rc != PCRE2_ERROR_NOMATCH) break;
        if (std::chrono::steady_clock::now() > deadline) {
          rc = kBudgetExceeded;
          break;
        }
      }
    }
  }
  // 0: matched, but the ovector could not hold every capture; still a match.
  if (rc >= 0) {
    if (caps) {
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data);
      caps->count = std::min<size_t>(code_->captures + 1, Captures::kMax);
      // rc: highest group set + 1 (0: more groups than the ovector holds, all of it valid).
      size_t valid = rc == 0 ? Captures::kMax : static_cast<size_t>(rc);
      for (size_t i = 0; i < caps->count; ++i) {
        bool set = i < valid && ov[2 * i] != PCRE2_UNSET;
        caps->group[i] = set ? std::pair<size_t, size_t>{ov[2 * i], ov[2 * i + 1]}
                             : std::pair<size_t, size_t>{std::string_view::npos, std::string_view::npos};
      }
    }
    return Outcome::Match;
  }
  if (rc == PCRE2_ERROR_NOMATCH) return Outcome::NoMatch;
  // A limit, or an error no valid subject should cause: no match (fail closed), said once.
  if (code_->limit_hits.fetch_add(1, std::memory_order_relaxed) == 0) {
    log(Level::Warning,
        "regex '{}' stopped on a {} byte subject: {}; treated as no match (logged once per regex)",
        code_->pattern, subject.size(),
        rc == kBudgetExceeded ? fmt::format("search time over {} ms", kSearchBudget.count()) : error_text(rc));
  }
  return Outcome::Limit;
}

const std::string& Regex::pattern() const { return code_->pattern; }
bool Regex::jit() const { return code_->jit; }
uint64_t Regex::limit_hits() const { return code_->limit_hits.load(std::memory_order_relaxed); }

}  // namespace sluice::core
