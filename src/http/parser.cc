#include "http/parser.h"

#include <cstring>

#include "http/chars.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice::http {
namespace {

constexpr ParseResult kNeedMore{ParseStatus::NeedMore, 0, ""};
constexpr ParseResult kDone{ParseStatus::Done, 0, ""};

constexpr ParseResult fail_with(uint16_t status, const char* reason) {
  return {ParseStatus::Error, status, reason};
}

// ---------------------------------------------------------------------------------------------
// Character scans. The strict value check is the per-byte hot loop, so it takes 16 bytes at a
// time where SSE2 is available (always on x86-64).

// Index of the first byte of [p, p+n) that is not a field-vchar / obs-text / SP / HTAB
// (RFC 9110 §5.5): a CTL other than HTAB, or DEL. n if none.
size_t find_bad_value_char(const char* p, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i k20 = _mm_set1_epi8(0x20);
  const __m128i k7f = _mm_set1_epi8(0x7f);
  const __m128i k09 = _mm_set1_epi8(0x09);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i ge20 = _mm_cmpeq_epi8(_mm_max_epu8(v, k20), v);
    const __m128i ok = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, k7f), ge20),
                                    _mm_cmpeq_epi8(v, k09));
    const unsigned bad = ~static_cast<unsigned>(_mm_movemask_epi8(ok)) & 0xffffu;
    if (bad != 0) return i + static_cast<size_t>(__builtin_ctz(bad));
  }
#endif
  for (; i < n; ++i)
    if (!chars::is(p[i], chars::kValue)) return i;
  return n;
}

// With accept_invalid, values may hold any byte but NUL, CR and LF: those three end or
// corrupt lines in other parsers and are never relaxed.
size_t find_bad_value_char_lenient(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] == '\0' || p[i] == '\r' || p[i] == '\n') return i;
  return n;
}

// Request-target bytes: visible ASCII except '#' (fragments are never sent, RFC 9112 §3.2).
// accept_invalid also allows obs-text (0x80-0xFF) and '#'.
bool valid_target(std::string_view t, bool lenient) {
  for (char c : t) {
    if (chars::is(c, chars::kTarget) && c != '#') continue;
    if (lenient && (c == '#' || static_cast<unsigned char>(c) >= 0x80)) continue;
    return false;
  }
  return true;
}

bool all_of(std::string_view s, uint8_t cls) {
  uint8_t acc = cls;  // no early exit: branch-free over short strings
  for (char c : s) acc &= chars::kTable[static_cast<uint8_t>(c)];
  return acc != 0;
}

// Index of the first byte of [p, p+n) that cannot be inside a field name: ':', SP or any byte
// below it, DEL, or >= 0x80. The caller then checks the name against tchar. n if none.
size_t find_name_end(const char* p, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i colon = _mm_set1_epi8(':');
  const __m128i k21 = _mm_set1_epi8(0x21);
  const __m128i k7e = _mm_set1_epi8(0x7e);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i in_range = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, k21), v),
                                           _mm_cmpeq_epi8(_mm_min_epu8(v, k7e), v));
    const __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(v, colon), _mm_xor_si128(in_range, _mm_set1_epi8(-1)));
    const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(stop));
    if (m != 0) return i + static_cast<size_t>(__builtin_ctz(m));
  }
#endif
  for (; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    if (c == ':' || c < 0x21 || c > 0x7e) return i;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Locating the end of the head.

enum class ScanOutcome : uint8_t { NeedMore, Found, BareLf };

// Searches for the empty line ending the head, resuming where the previous call stopped.
// Strict mode rejects any LF not preceded by CR as soon as it is seen; lenient mode takes a
// bare LF as a line end. Requests skip leading empty lines (RFC 9112 §2.2).
ScanOutcome scan_head(std::string_view buf, HeadScan& scan, bool skip_empty_lines, bool lenient,
                      size_t& head_len) {
  size_t pos = scan.searched;
  if (pos == 0 && skip_empty_lines) {
    size_t s = 0;
    while (s < buf.size()) {
      if (buf[s] == '\n' && lenient) {
        ++s;
      } else if (buf[s] == '\r') {
        if (s + 1 == buf.size()) return ScanOutcome::NeedMore;
        if (buf[s + 1] != '\n') break;
        s += 2;
      } else {
        break;
      }
    }
    if (s == buf.size()) return ScanOutcome::NeedMore;  // only empty lines so far: redo later
    scan.start = s;
    pos = s;
  }
  const char* base = buf.data();
  const size_t start = scan.start;
  // Examines the LF at `i`; true when it ends the head.
  auto at_lf = [&](size_t i, ScanOutcome& out) {
    const bool crlf = i > start && base[i - 1] == '\r';
    if (!crlf && !lenient) {
      out = ScanOutcome::BareLf;
      return true;
    }
    const size_t content_end = crlf ? i - 1 : i;
    if (content_end > start && base[content_end - 1] == '\n') {
      head_len = i + 1;
      scan.searched = i + 1;
      out = ScanOutcome::Found;
      return true;
    }
    return false;
  };
  ScanOutcome outcome = ScanOutcome::NeedMore;
#if defined(__SSE2__)
  // 16 bytes at a time, visiting every LF of a block from one mask: cheaper than one memchr
  // call per (short) header line.
  const __m128i lf = _mm_set1_epi8('\n');
  for (; pos + 16 <= buf.size(); pos += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + pos));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)));
    while (mask != 0) {
      const size_t i = pos + static_cast<size_t>(__builtin_ctz(mask));
      if (at_lf(i, outcome)) return outcome;
      mask &= mask - 1;
    }
  }
#endif
  for (; pos < buf.size(); ++pos)
    if (base[pos] == '\n' && at_lf(pos, outcome)) return outcome;
  scan.searched = buf.size();
  return ScanOutcome::NeedMore;
}

// Cuts the next line off `rest` (which is known to end with a line end), without its CRLF/LF.
std::string_view next_line(std::string_view& rest) {
  const void* hit = std::memchr(rest.data(), '\n', rest.size());
  const size_t lf = static_cast<size_t>(static_cast<const char*>(hit) - rest.data());
  std::string_view line = rest.substr(0, lf);
  rest.remove_prefix(lf + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// ---------------------------------------------------------------------------------------------
// Header fields shared by requests and responses.

// Framing-relevant facts gathered from the fields, checked once all are seen.
struct FieldFacts {
  bool has_cl = false;
  uint64_t cl = 0;
  bool has_te = false;
  bool te_final_chunked = false;
  int te_chunked_count = 0;
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool conn_upgrade = false;
  bool has_upgrade = false;
  int host_count = 0;
  std::string_view host;
  bool expect_continue = false;
};

// RFC 9110 §8.6: Content-Length = 1*DIGIT; a list of identical values ("42, 42") or repeated
// identical fields may be merged; anything else is an error.
const char* add_content_length(std::string_view v, FieldFacts& f) {
  if (v.empty()) return "empty Content-Length";
  while (true) {
    const size_t comma = v.find(',');
    const std::string_view elem = trim_ows(v.substr(0, comma));
    if (elem.empty()) return "empty Content-Length element";
    uint64_t n = 0;
    for (char c : elem) {
      if (!chars::is(c, chars::kDigit)) return "invalid Content-Length";
      const uint64_t d = static_cast<uint64_t>(c - '0');
      if (n > (UINT64_MAX - d) / 10) return "Content-Length overflow";
      n = n * 10 + d;
    }
    if (f.has_cl && f.cl != n) return "conflicting Content-Length values";
    f.has_cl = true;
    f.cl = n;
    if (comma == std::string_view::npos) return nullptr;
    v.remove_prefix(comma + 1);
  }
}

// RFC 9112 §6.1: Transfer-Encoding is a list of codings; several fields form one list.
// Only the position and count of "chunked" matter here; other codings pass through.
const char* add_transfer_encoding(std::string_view v, FieldFacts& f) {
  bool any = false;
  while (true) {
    const size_t comma = v.find(',');
    std::string_view elem = trim_ows(v.substr(0, comma));
    if (!elem.empty()) {  // RFC 9110 §5.6.1: empty list elements are ignored
      any = true;
      const size_t semi = elem.find(';');
      const std::string_view name = trim_ows(elem.substr(0, semi));
      if (name.empty() || !all_of(name, chars::kToken)) return "invalid transfer coding";
      if (iequals(name, "chunked")) {
        if (semi != std::string_view::npos) return "parameters on chunked coding";
        if (++f.te_chunked_count > 1) return "chunked coding applied more than once";
        f.te_final_chunked = true;
      } else {
        f.te_final_chunked = false;
      }
    }
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  if (!any) return "empty Transfer-Encoding";
  f.has_te = true;
  return nullptr;
}

void add_connection(std::string_view v, FieldFacts& f) {
  while (true) {
    const size_t comma = v.find(',');
    const std::string_view tok = trim_ows(v.substr(0, comma));
    if (iequals(tok, "close")) f.conn_close = true;
    else if (iequals(tok, "keep-alive")) f.conn_keep_alive = true;
    else if (iequals(tok, "upgrade")) f.conn_upgrade = true;
    if (comma == std::string_view::npos) return;
    v.remove_prefix(comma + 1);
  }
}

// Records what the proxy needs from a field. Dispatches on the name length first so the
// common fields (Accept, User-Agent, ...) cost one switch. Returns an error reason or nullptr.
const char* note_field(const Header& h, FieldFacts& f, bool lenient) {
  switch (h.name.size()) {
    case 4:
      if (iequals(h.name, "host")) {
        if (++f.host_count > 1) return "multiple Host headers";
        if (!lenient && !all_of(h.value, chars::kHost)) return "invalid Host";
        f.host = h.value;
      }
      break;
    case 6:
      if (iequals(h.name, "expect") && iequals(h.value, "100-continue")) f.expect_continue = true;
      break;
    case 7:
      if (iequals(h.name, "upgrade")) f.has_upgrade = true;
      break;
    case 10:
      if (iequals(h.name, "connection")) add_connection(h.value, f);
      break;
    case 14:
      if (iequals(h.name, "content-length")) return add_content_length(h.value, f);
      break;
    case 17:
      if (iequals(h.name, "transfer-encoding")) return add_transfer_encoding(h.value, f);
      break;
    default:
      break;
  }
  return nullptr;
}

struct FieldError {
  const char* reason = nullptr;
  bool too_many = false;
};

// Parses the field lines in `rest` (everything after the start line, ending with the empty
// line) into `headers`. RFC 9112 §5.
FieldError parse_fields(std::string_view rest, std::vector<Header>& headers, FieldFacts& f,
                        const ParseOptions& opt) {
  headers.clear();
  const char* p = rest.data();
  const char* const end = p + rest.size();  // the head ends with an empty line: no overrun
  while (true) {
    // Empty line: end of the head (scan_head guarantees the last line is empty). A CR that
    // does not start the final CRLF is a stray CR at the start of a field line.
    if (*p == '\r' || *p == '\n') {
      const size_t left = static_cast<size_t>(end - p);
      if ((*p == '\n' && left == 1) || (p[0] == '\r' && left == 2)) return {};
      return {"invalid character in header name"};
    }
    if (headers.size() >= opt.max_headers) return {"too many headers", true};
    // RFC 9112 §5.2: obs-fold is rejected (also whitespace before the first field, §2.2).
    if (chars::is_ows(*p)) return {"obsolete line folding"};
    const char* q = p + find_name_end(p, static_cast<size_t>(end - p));
    if (!all_of(std::string_view(p, static_cast<size_t>(q - p)), chars::kToken)) {
      q = p;
      while (chars::is_token(*q)) ++q;  // rare: locate the offending byte
    }
    if (opt.accept_invalid) {
      while (*q != ':' && static_cast<unsigned char>(*q) > 0x20 && *q != 0x7f) ++q;
    }
    if (*q != ':') {
      // RFC 9112 §5.1: no whitespace is allowed between the field name and the colon.
      if (chars::is_ows(*q)) return {"whitespace before colon"};
      if (*q == '\r' || *q == '\n') return {"header without colon"};
      return {"invalid character in header name"};
    }
    if (q == p) return {"empty header name"};
    const std::string_view name(p, static_cast<size_t>(q - p));
    const char* v = q + 1;
    const size_t room = static_cast<size_t>(end - v);
    const char* e = v + (opt.accept_invalid ? find_bad_value_char_lenient(v, room)
                                            : find_bad_value_char(v, room));
    // e is the first byte a value cannot hold: it must start the line end.
    if (*e == '\r') {
      if (e[1] != '\n') return {"invalid character in header value"};
      p = e + 2;
    } else if (*e == '\n') {  // only reachable with accept_invalid (bare LF line ends)
      p = e + 1;
    } else {
      return {"invalid character in header value"};
    }
    headers.push_back(Header{name, trim_ows(std::string_view(v, static_cast<size_t>(e - v)))});
    if (const char* r = note_field(headers.back(), f, opt.accept_invalid)) return {r};
  }
}

// "HTTP/1.x": 0 on success with minor in `minor`; else 400-class (syntax) or 505 (major != 1).
uint16_t parse_version(std::string_view v, uint8_t& minor) {
  if (v.size() != 8 || std::memcmp(v.data(), "HTTP/", 5) != 0 || v[6] != '.' ||
      !chars::is(v[5], chars::kDigit) || !chars::is(v[7], chars::kDigit))
    return 400;
  if (v[5] != '1') return 505;
  minor = v[7] == '0' ? 0 : 1;  // RFC 9110 §6.2: a higher minor is treated as the highest we know
  return 0;
}

bool keep_alive_for(uint8_t minor, const FieldFacts& f) {
  if (f.conn_close) return false;
  return minor >= 1 || f.conn_keep_alive;
}

// ---------------------------------------------------------------------------------------------
// Request line and target.

// Splits an absolute-form target (RFC 9112 §3.2.2) into authority and path. http/https only.
const char* parse_absolute_form(std::string_view t, RequestHead& out, bool lenient) {
  const size_t sep = t.find("://");
  if (sep == std::string_view::npos) return "invalid request target";
  const std::string_view scheme = t.substr(0, sep);
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) return "unsupported URI scheme";
  std::string_view rest = t.substr(sep + 3);
  const size_t end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, end);
  if (authority.empty()) return "empty authority";
  // RFC 9110 §4.2.4: userinfo is deprecated and a phishing vector.
  if (authority.find('@') != std::string_view::npos) return "userinfo in authority";
  if (!lenient && !all_of(authority, chars::kHost)) return "invalid authority";
  out.authority = authority;
  out.path = end == std::string_view::npos ? std::string_view("/") : rest.substr(end);
  return nullptr;
}

// Authority-form for CONNECT (RFC 9112 §3.2.3): host ":" port, port required.
const char* parse_authority_form(std::string_view t, RequestHead& out) {
  const size_t colon = t.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == t.size())
    return "CONNECT target must be host:port";
  if (!all_of(t.substr(colon + 1), chars::kDigit) || !all_of(t, chars::kHost))
    return "invalid CONNECT target";
  out.authority = t;
  out.path = {};
  return nullptr;
}

// Method SP request-target SP HTTP-version (RFC 9112 §3). Fills method, target, path, authority
// and version. Returns 0 or an error status with `reason` set.
uint16_t parse_request_line(std::string_view line, RequestHead& out, bool lenient,
                            const char*& reason) {
  size_t i = 0;
  while (i < line.size() && chars::is_token(line[i])) ++i;
  if (i == 0 || i == line.size() || line[i] != ' ') {
    reason = i == line.size() ? "missing request target" : "invalid method";
    return 400;
  }
  out.method_name = line.substr(0, i);
  out.method = method_from(out.method_name);
  const size_t tstart = i + 1;
  const size_t tend = line.find(' ', tstart);
  if (tend == std::string_view::npos) {
    reason = "missing HTTP version (HTTP/0.9)";
    return 400;
  }
  out.target = line.substr(tstart, tend - tstart);
  const std::string_view version = line.substr(tend + 1);
  if (out.target.empty()) {
    reason = "empty request target";
    return 400;
  }
  if (version.find(' ') != std::string_view::npos) {
    reason = "space in request target";
    return 400;
  }
  if (!valid_target(out.target, lenient)) {
    reason = "invalid character in request target";
    return 400;
  }
  if (const uint16_t st = parse_version(version, out.version_minor); st != 0) {
    reason = st == 505 ? "unsupported HTTP major version" : "invalid HTTP version";
    return st;
  }
  out.authority = {};
  const char* r = nullptr;
  if (out.method == Method::Connect) {
    r = parse_authority_form(out.target, out);
  } else if (out.target[0] == '/') {
    out.path = out.target;
  } else if (out.target == "*") {
    if (out.method != Method::Options) r = "asterisk-form only allowed with OPTIONS";
    out.path = out.target;
  } else {
    r = parse_absolute_form(out.target, out, lenient);
  }
  if (r != nullptr) {
    reason = r;
    return 400;
  }
  return 0;
}

ParseResult finish_request(RequestHead& out, const FieldFacts& f) {
  if (f.has_te) {
    // RFC 9112 §6.1: TE in HTTP/1.0 means the framing is faulty.
    if (out.version_minor == 0) return fail_with(400, "Transfer-Encoding in HTTP/1.0 request");
    // RFC 9112 §6.1 allows rejecting TE + CL; we do (HAProxy drops CL and closes instead).
    if (f.has_cl) return fail_with(400, "both Content-Length and Transfer-Encoding");
    if (!f.te_final_chunked) return fail_with(400, "final transfer coding is not chunked");
  }
  if (f.host_count == 0 && out.version_minor >= 1) return fail_with(400, "missing Host header");
  if (!out.authority.empty() && f.host_count > 0 && !iequals(out.authority, f.host))
    return fail_with(400, "Host does not match target authority");
  out.host = f.host;
  out.framing = f.has_te ? Framing::Chunked : f.has_cl ? Framing::ContentLength : Framing::None;
  out.content_length = f.has_te ? 0 : f.cl;
  out.keep_alive = keep_alive_for(out.version_minor, f);
  out.upgrade = f.conn_upgrade && f.has_upgrade;
  // RFC 9110 §10.1.1: a server MUST ignore 100-continue in an HTTP/1.0 request.
  out.expect_continue = f.expect_continue && out.version_minor >= 1;
  return kDone;
}

// ---------------------------------------------------------------------------------------------
// Status line.

const char* parse_status_line(std::string_view line, ResponseHead& out, bool lenient) {
  uint8_t minor = 1;
  if (line.size() < 12 || line[8] != ' ') return "invalid status line";
  if (parse_version(line.substr(0, 8), minor) != 0) return "invalid HTTP version";
  out.version_minor = minor;
  const char* d = line.data() + 9;
  if (!chars::is(d[0], chars::kDigit) || !chars::is(d[1], chars::kDigit) ||
      !chars::is(d[2], chars::kDigit))
    return "invalid status code";
  out.status = static_cast<uint16_t>((d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0'));
  if (out.status < 100 || out.status > 599) return "status code out of range";
  // RFC 9112 §4: SP before an empty reason is required, but commonly omitted; both accepted.
  if (line.size() == 12) {
    out.reason = {};
    return nullptr;
  }
  if (line[12] != ' ') return "invalid status code";
  out.reason = line.substr(13);
  const size_t bad = lenient ? find_bad_value_char_lenient(out.reason.data(), out.reason.size())
                             : find_bad_value_char(out.reason.data(), out.reason.size());
  if (bad != out.reason.size()) return "invalid character in reason phrase";
  return nullptr;
}

// RFC 9112 §6.3, in its order of precedence.
ParseResult finish_response(ResponseHead& out, Method req, const FieldFacts& f) {
  const uint16_t st = out.status;
  // RFC 9110 §9.3.6: a 2xx to CONNECT starts a tunnel; a client MUST ignore its
  // Content-Length and Transfer-Encoding, so they cannot make it an error either.
  const bool connect_tunnel = req == Method::Connect && st >= 200 && st < 300;
  if (f.has_te && !connect_tunnel) {
    if (out.version_minor == 0) return fail_with(502, "Transfer-Encoding in HTTP/1.0 response");
    if (f.has_cl) return fail_with(502, "both Content-Length and Transfer-Encoding");
  }
  out.keep_alive = keep_alive_for(out.version_minor, f);
  out.upgrade = f.conn_upgrade && f.has_upgrade;
  out.content_length = f.has_te || connect_tunnel ? 0 : f.cl;
  if (connect_tunnel) {
    out.framing = Framing::Tunnel;
  } else if (st == 101) {
    out.framing = Framing::Tunnel;
  } else if (req == Method::Head || st < 200 || st == 204 || st == 304) {
    out.framing = Framing::None;
  } else if (f.has_te) {
    out.framing = f.te_final_chunked ? Framing::Chunked : Framing::UntilClose;
  } else if (f.has_cl) {
    out.framing = Framing::ContentLength;
  } else {
    out.framing = Framing::UntilClose;
  }
  if (out.framing == Framing::UntilClose) out.keep_alive = false;
  return kDone;
}

}  // namespace

ParseResult parse_request(std::string_view buf, HeadScan& scan, RequestHead& out,
                          const ParseOptions& opt) {
  size_t head_len = 0;
  switch (scan_head(buf, scan, /*skip_empty_lines=*/true, opt.accept_invalid, head_len)) {
    case ScanOutcome::NeedMore: return kNeedMore;
    case ScanOutcome::BareLf: return fail_with(400, "bare LF line ending");
    case ScanOutcome::Found: break;
  }
  std::string_view rest = buf.substr(scan.start, head_len - scan.start);
  const char* reason = "";
  if (const uint16_t st = parse_request_line(next_line(rest), out, opt.accept_invalid, reason))
    return fail_with(st, reason);
  FieldFacts facts;
  if (const FieldError e = parse_fields(rest, out.headers, facts, opt); e.reason != nullptr)
    return fail_with(e.too_many ? 431 : 400, e.reason);
  out.head_len = head_len;
  return finish_request(out, facts);
}

ParseResult parse_response(std::string_view buf, HeadScan& scan, Method request_method,
                           ResponseHead& out, const ParseOptions& opt) {
  size_t head_len = 0;
  switch (scan_head(buf, scan, /*skip_empty_lines=*/false, opt.accept_invalid, head_len)) {
    case ScanOutcome::NeedMore: return kNeedMore;
    case ScanOutcome::BareLf: return fail_with(502, "bare LF line ending");
    case ScanOutcome::Found: break;
  }
  std::string_view rest = buf.substr(0, head_len);
  if (const char* r = parse_status_line(next_line(rest), out, opt.accept_invalid))
    return fail_with(502, r);
  FieldFacts facts;
  if (const FieldError e = parse_fields(rest, out.headers, facts, opt); e.reason != nullptr)
    return fail_with(502, e.reason);
  out.head_len = head_len;
  return finish_response(out, request_method, facts);
}

uint16_t oversized_request_status(std::string_view buf) {
  size_t s = 0;
  while (s < buf.size() && (buf[s] == '\r' || buf[s] == '\n')) ++s;
  return buf.find('\n', s) == std::string_view::npos ? 414 : 431;
}

}  // namespace sluice::http
