// The format-string engine: haproxy's log-format language (section 8.2.4 of its
// configuration manual), compiled once at load, rendered once per logged exchange or per
// rule that uses it (rules::Format, declared in rules/expr.h, is implemented here).
//
//   "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B ..."   (text)
//        -> [Var ci][Text ":"][Var cp][Sep][Text "["][Var tr] ...   (compile, at load time)
//        -> "127.0.0.1:40312 [06/Feb/2009:12:14:14.655] ..."        (render, any thread)
//
// Spaces are separators: runs of them collapse, and a separator is not repeated after a
// variable that printed nothing (so "%hr %hs %r" without captures leaves one space), which
// is how haproxy renders its own default formats.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "log/record.h"
#include "rules/expr.h"

namespace sluice::log {

// haproxy's built-in formats, verbatim from its manual (8.2.2, 8.2.3).
inline constexpr std::string_view kTcpLogFormat =
    "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";
inline constexpr std::string_view kHttpLogFormat =
    "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc "
    "%sq/%bq %hr %hs %{+Q}r";
inline constexpr std::string_view kClfLogFormat =
    "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc "
    "%ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl";

// What a line may need besides the record itself.
struct RenderEnv {
  std::string_view hostname{};
  int pid = 0;
  uint64_t log_counter = 0;       // %lc / %rt
  uint32_t req_capture_count = 0;   // `capture request header` lines of the frontend
  uint32_t rsp_capture_count = 0;
};

// A log line's format: the engine's Format (rules/expr.h) in log mode, compiled for the log
// phase. %[...] may use what HAProxy allows at log time: layer-4 and internal fetches,
// variables, `method`, `status` and `unique-id`; fetches that need the request or response
// headers are refused as HAProxy refuses them.
class LogFormat {
 public:
  static sluice::expected<LogFormat, std::string> compile(std::string_view text);
  // With the proxy's names resolved (nbsrv(app)...): what a start compiles.
  static sluice::expected<LogFormat, std::string> compile(std::string_view text, rules::CompileCtx& cc);
  std::string render(const TxRecord& r, const RenderEnv& env) const;
  const std::vector<std::string>& warnings() const { return warnings_; }
  const rules::Format& format() const { return f_; }

 private:
  rules::Format f_;
  std::vector<std::string> warnings_;
};

// The values of %H, %pid and %rt/%lc for a format rendered outside a log line (rules).
RenderEnv current_env();

uint64_t wall_clock_us();   // CLOCK_REALTIME in microseconds
// "06/Feb/2009:12:14:14.655" (local time), "06/Feb/2009:12:14:14 +0000" (GMT), ...
std::string format_date_ms(uint64_t wall_us);
std::string format_date_gmt(uint64_t wall_us);
std::string format_date_local_tz(uint64_t wall_us);
// haproxy's escaping of request lines (url map) and captured headers (header map):
// control bytes, bytes >= 0x7f, '"' and '#' (plus '{', '|', '}' for headers) become #XX.
std::string encode_url(std::string_view s);
std::string encode_header(std::string_view s);

}  // namespace sluice::log
