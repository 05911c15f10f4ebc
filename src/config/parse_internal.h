// Shared between the parser's translation units; not part of the module's API.
#pragma once

#include <fmt/format.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/environment.h"
#include "config/loader.h"
#include "config/model.h"

namespace sluice::config::detail {

using Words = std::span<const std::string>;

struct Line {
  SourceLoc loc;
  std::vector<std::string> words;
};

// Collects diagnostics; parsing never stops at the first error.
class Diags {
 public:
  void error(const SourceLoc& loc, std::string msg) {
    list_.push_back({loc, std::move(msg), false});
    ++errors_;
  }
  void warning(const SourceLoc& loc, std::string msg) { list_.push_back({loc, std::move(msg), true}); }
  // Informational only: `.notice`, or a keyword accepted with no effect (pure tuning sluice
  // has no equivalent for): one line, not an error, so configurations written for HAProxy load.
  void notice(const SourceLoc& loc, std::string msg) { list_.push_back({loc, std::move(msg), true, true}); }
  bool has_errors() const { return errors_ > 0; }
  std::vector<Diagnostic>& list() { return list_; }

 private:
  std::vector<Diagnostic> list_;
  int errors_ = 0;
};

struct Env {
  Diags& diags;
  const LoadOptions& opts;
  Environment& environment;   // what ${VAR} expands from; `setenv` & co. change it
};

// " (did you mean 'X'?)" for the closest candidate within edit distance 2, else "".
std::string suggest(std::string_view word, std::span<const std::string_view> candidates);

Result<uint32_t> parse_uint(std::string_view text, uint64_t max = UINT32_MAX);
// A unix socket permission mode: octal digits only (leading zeros allowed), at most 0777.
Result<uint32_t> parse_octal_mode(std::string_view text);
std::string join(Words words, std::string_view sep = " ");

// Splits `... if|unless COND` off the end of an argument list. cond_at = index of if/unless
// or words.size() when there is none.
size_t find_condition(Words words);
// words[0] is `if` or `unless`. Named ACLs must already be declared in `p` (or predefined).
Result<Condition> parse_condition(Words words, const ProxyConfig& p, const SourceLoc& loc);
// words = NAME FETCH [flags] [patterns] (named) or FETCH ... (anonymous, name empty).
Result<Acl> parse_acl(Words words, bool named, const SourceLoc& loc);

// A port range as in `bind :8000-8005`; last == first for a single port.
struct BindAddr {
  Address addr;
  uint16_t last_port = 0;
};
Result<BindAddr> parse_bind_address(std::string_view text, bool resolve);
Result<void> resolve_address(Address& a, bool passive);

void parse_global_line(GlobalConfig& g, const Line& l, Env& env);
void parse_proxy_line(ProxyConfig& p, const Line& l, Env& env);
Result<LogTarget> parse_log(Words words, const SourceLoc& loc, bool resolve);
Result<void> parse_server_line(ProxyConfig& p, const Line& l, Env& env);

void validate(Config& c, Env& env);

// userlist sections (userlist_keywords.cc). open_userlist returns the list the following
// lines go to, or nullptr after an error (the section's lines are then skipped).
UserlistConfig* open_userlist(std::vector<UserlistConfig>& lists, const Line& l, Env& env);
void parse_userlist_line(UserlistConfig& ul, const Line& l, Env& env);
void validate_userlists(const Config& c, Env& env);

// http-errors sections and the proxy error keywords (error_keywords.cc).
HttpErrorsSection* open_http_errors(std::vector<HttpErrorsSection>& sections, const Line& l, Env& env);
void parse_http_errors_line(HttpErrorsSection& s, const Line& l, Env& env);
void validate_errors(const Config& c, Env& env);
Result<void> kw_errorfile(ProxyConfig& p, const Line& l, Env& env);
Result<void> kw_errorfiles(ProxyConfig& p, const Line& l, Env& env);
Result<void> kw_errorloc(ProxyConfig& p, const Line& l, Env& env);
Result<void> kw_http_error(ProxyConfig& p, const Line& l, Env& env);

}  // namespace sluice::config::detail
