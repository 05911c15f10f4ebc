// Access-log line formatting: haproxy's log-format language (section 8.2.6 of its
// configuration manual) compiled once per frontend, rendered once per logged exchange.
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

#include "config/acl_spec.h"
#include "core/result.h"
#include "log/record.h"

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

class LogFormat {
 public:
  // Unknown variables are errors. Sample expressions (%[...]) are compiled here: the fetches
  // HAProxy allows in a log-format and sluice has (src, src_port, dst, dst_port, method,
  // always_true/false, with lower/upper) are printed; any other is an error naming it.
  static sluice::expected<LogFormat, std::string> compile(std::string_view text);
  std::string render(const TxRecord& r, const RenderEnv& env) const;
  const std::vector<std::string>& warnings() const { return warnings_; }

  enum class Var : uint8_t;
  struct Node {
    enum class Kind : uint8_t { Text, Sep, Var } kind = Kind::Text;
    std::string text;
    Var var{};
    bool quote = false, hex = false, escape = false;
    std::optional<config::FetchSpec> sample{};   // Var::Sample
  };

 private:
  std::vector<Node> nodes_;
  std::vector<std::string> warnings_;
};

// "06/Feb/2009:12:14:14.655" (local time), "06/Feb/2009:12:14:14 +0000" (GMT), ...
std::string format_date_ms(uint64_t wall_us);
std::string format_date_gmt(uint64_t wall_us);
std::string format_date_local_tz(uint64_t wall_us);
// haproxy's escaping of request lines (url map) and captured headers (header map):
// control bytes, bytes >= 0x7f, '"' and '#' (plus '{', '|', '}' for headers) become #XX.
std::string encode_url(std::string_view s);
std::string encode_header(std::string_view s);

}  // namespace sluice::log
