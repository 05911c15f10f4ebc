// Date converters (HAProxy 2.6 manual 7.3.1): ltime and utime (strftime(3) in local time
// or UTC, [offset] seconds added), http_date (an IMF-fixdate, [offset[,unit]]).
#include <fmt/format.h>

#include <ctime>

#include "rules/domains.h"

namespace sluice::rules {

namespace {

// As HAProxy: only 55 bits of the date are used, so a negative value is a far future date
// rather than an error.
constexpr int64_t kDateMask = 0x007fffffffffffffLL;

template <bool Local>
bool c_strftime(const Args& a, Ctx& c, Sample& s) {
  time_t t = static_cast<time_t>((s.sint & kDateMask) + (a.has(1) ? a[1].sint : 0));
  tm parts{};
  if ((Local ? localtime_r(&t, &parts) : gmtime_r(&t, &parts)) == nullptr) return false;
  char buf[1024];
  // The format is the configuration's, as strftime(3) reads it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  size_t n = std::strftime(buf, sizeof buf, a[0].str.c_str(), &parts);
#pragma GCC diagnostic pop
  s = Sample::of_str(c.mem().copy({buf, n}));
  return true;
}

Result<void> check_unit(Args& a, CompileCtx&) {
  if (a.has(1) && a[1].str != "s" && a[1].str != "ms" && a[1].str != "us")
    return fail(fmt::format("unit '{}': expects s, ms or us", a[1].str));
  return {};
}

// http_date([offset[,unit]]): the offset is in the input's unit; with ms or us the
// fraction of a second is printed too (zero-padded: HAProxy 2.6 prints 5 ms as ".5").
bool c_http_date(const Args& a, Ctx& c, Sample& s) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t v = s.sint + (a.has(0) ? a[0].sint : 0);
  std::string_view unit = a.has(1) ? std::string_view(a[1].str) : "s";
  int64_t per = unit == "ms" ? 1000 : unit == "us" ? 1'000'000 : 1;
  int64_t sec = v / per, frac = v % per;
  if (frac < 0) frac = -frac;   // a date before 1970 is garbage in; keep the digits printable
  time_t t = static_cast<time_t>(sec & kDateMask);
  tm g{};
  if (gmtime_r(&t, &g) == nullptr) return false;
  std::string out = fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d}", kDays[g.tm_wday], g.tm_mday,
                                kMonths[g.tm_mon], 1900 + static_cast<int64_t>(g.tm_year), g.tm_hour, g.tm_min, g.tm_sec);
  if (per == 1000) out += fmt::format(".{:03d}", frac);
  else if (per > 1000) out += fmt::format(".{:06d}", frac);
  out += " GMT";
  s = Sample::of_str(c.mem().copy(out));
  return true;
}

constexpr ConvDef kRows[] = {
    {"ltime", "Si", Type::Sint, Type::Str, c_strftime<true>,
     "the date (seconds since the epoch, plus [offset]) in local time, formatted by strftime(3) FORMAT"},
    {"utime", "Si", Type::Sint, Type::Str, c_strftime<false>,
     "the date (seconds since the epoch, plus [offset]) in UTC, formatted by strftime(3) FORMAT"},
    {"http_date", "is", Type::Sint, Type::Str, c_http_date,
     "the date as an HTTP date (IMF-fixdate), plus [offset], the input in [unit] s (default), ms or us", check_unit},
};

}  // namespace

std::span<const ConvDef> conv_time() { return kRows; }

}  // namespace sluice::rules
