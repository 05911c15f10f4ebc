#include "http/chunked.h"

#include <algorithm>

#include "http/chars.h"

namespace sluice::http {

ChunkedDecoder::Step ChunkedDecoder::feed(std::string_view in) {
  size_t i = 0;
  while (i < in.size()) {
    if (state_ == State::Done) return {i, true, false, ""};
    if (state_ == State::Error) return {i, false, true, reason_};
    if (state_ == State::Data) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_size_, in.size() - i));
      i += n;
      chunk_size_ -= n;
      data_bytes_ += n;
      if (chunk_size_ == 0) state_ = State::DataCr;
      continue;
    }
    const State before = state_;
    if (const char* r = step_byte(in[i])) {
      state_ = State::Error;
      reason_ = r;
      return {i, false, true, r};
    }
    ++i;
    // Framing bytes are held back until known not to start the tail (see held()): a size
    // line is released with its data, the CRLF after data goes out at once.
    if (state_ == State::Data) held_ = 0;
    else if (before != State::DataCr && before != State::DataLf) ++held_;
  }
  if (state_ == State::Error) return {i, false, true, reason_};
  return {i, state_ == State::Done, false, ""};
}

const char* ChunkedDecoder::end_size_line() {
  if (size_digits_ == 0) return "missing chunk size";
  state_ = State::SizeLf;
  return nullptr;
}

const char* ChunkedDecoder::step_byte(char c) {
  using chars::is_ows;
  switch (state_) {
    case State::Size:
    case State::SizeWs:
    case State::ExtBeforeName:
    case State::ExtName:
    case State::ExtAfterName:
    case State::ExtBeforeValue:
    case State::ExtToken:
    case State::ExtQuoted:
    case State::ExtQuotedEscape:
    case State::ExtAfterValue:
      if (++line_len_ > kMaxChunkLine) return "chunk size line too long";
      break;
    default:
      break;
  }
  switch (state_) {
    case State::Size: {
      const int h = chars::hex_value(c);
      if (h >= 0) {
        if (chunk_size_ > (kMaxChunkSize - static_cast<uint64_t>(h)) / 16) return "chunk size overflow";
        chunk_size_ = chunk_size_ * 16 + static_cast<uint64_t>(h);
        ++size_digits_;
        return nullptr;
      }
      if (size_digits_ == 0) return "invalid chunk size";
      if (c == '\r') return end_size_line();
      if (c == ';') { state_ = State::ExtBeforeName; return nullptr; }
      // RFC 9112 §7.1.1: BWS is allowed only before ';' (chunk-ext).
      if (is_ows(c)) { state_ = State::SizeWs; return nullptr; }
      return "invalid chunk size";
    }
    case State::SizeWs:
      if (is_ows(c)) return nullptr;
      if (c == ';') { state_ = State::ExtBeforeName; return nullptr; }
      return "whitespace after chunk size";
    case State::ExtBeforeName:
      if (is_ows(c)) return nullptr;
      if (chars::is_token(c)) { state_ = State::ExtName; return nullptr; }
      return "invalid chunk extension";
    case State::ExtName:
      if (chars::is_token(c)) return nullptr;
      if (is_ows(c)) { state_ = State::ExtAfterName; return nullptr; }
      if (c == '=') { state_ = State::ExtBeforeValue; return nullptr; }
      if (c == ';') { state_ = State::ExtBeforeName; return nullptr; }
      if (c == '\r') return end_size_line();
      return "invalid chunk extension";
    case State::ExtAfterName:
      if (is_ows(c)) return nullptr;
      if (c == '=') { state_ = State::ExtBeforeValue; return nullptr; }
      if (c == ';') { state_ = State::ExtBeforeName; return nullptr; }
      if (c == '\r') return end_size_line();
      return "invalid chunk extension";
    case State::ExtBeforeValue:
      if (is_ows(c)) return nullptr;
      if (c == '"') { state_ = State::ExtQuoted; return nullptr; }
      if (chars::is_token(c)) { state_ = State::ExtToken; return nullptr; }
      return "invalid chunk extension value";
    case State::ExtToken:
      if (chars::is_token(c)) return nullptr;
      if (is_ows(c)) { state_ = State::ExtAfterValue; return nullptr; }
      if (c == ';') { state_ = State::ExtBeforeName; return nullptr; }
      if (c == '\r') return end_size_line();
      return "invalid chunk extension value";
    case State::ExtQuoted:
      if (c == '"') { state_ = State::ExtAfterValue; return nullptr; }
      if (c == '\\') { state_ = State::ExtQuotedEscape; return nullptr; }
      if (chars::is(c, chars::kQdText)) return nullptr;
      return "invalid character in quoted chunk extension";
    case State::ExtQuotedEscape:
      // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
      if (c == '\t' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f)) {
        state_ = State::ExtQuoted;
        return nullptr;
      }
      return "invalid quoted-pair in chunk extension";
    case State::ExtAfterValue:
      if (is_ows(c)) return nullptr;
      if (c == ';') { state_ = State::ExtBeforeName; return nullptr; }
      if (c == '\r') return end_size_line();
      return "invalid chunk extension";
    case State::SizeLf:
      if (c != '\n') return "chunk size line not ended by CRLF";
      line_len_ = 0;
      size_digits_ = 0;
      state_ = chunk_size_ == 0 ? State::TrailerStart : State::Data;
      return nullptr;
    case State::DataCr:
      if (c != '\r') return "chunk data not followed by CRLF";
      state_ = State::DataLf;
      return nullptr;
    case State::DataLf:
      if (c != '\n') return "chunk data not followed by CRLF";
      state_ = State::Size;
      return nullptr;
    case State::TrailerStart:
      if (c == '\r') { state_ = State::FinalLf; return nullptr; }
      [[fallthrough]];
    case State::TrailerName:
      if (++trailer_len_ > kMaxTrailerBytes) return "trailer section too large";
      if (chars::is_token(c)) { state_ = State::TrailerName; return nullptr; }
      if (c == ':' && state_ == State::TrailerName) { state_ = State::TrailerValue; return nullptr; }
      return "invalid trailer field";
    case State::TrailerValue:
      if (++trailer_len_ > kMaxTrailerBytes) return "trailer section too large";
      if (c == '\r') { state_ = State::TrailerLf; return nullptr; }
      if (chars::is(c, chars::kValue)) return nullptr;
      return "invalid character in trailer field";
    case State::TrailerLf:
      if (c != '\n') return "trailer field not ended by CRLF";
      state_ = State::TrailerStart;
      return nullptr;
    case State::FinalLf:
      if (c != '\n') return "chunked body not ended by CRLF";
      state_ = State::Done;
      return nullptr;
    case State::Data:
    case State::Done:
    case State::Error:
      break;
  }
  return "internal chunked state error";
}

namespace {

// Lower-case names, grouped as in RFC 9110 §6.5.1 and the sections it points to.
constexpr std::string_view kForbiddenTrailers[] = {
    // message framing (§6.1, RFC 9112 §6-7) and connection control (§7.6.1)
    "content-length", "transfer-encoding", "trailer", "te", "connection", "keep-alive",
    "proxy-connection", "upgrade",
    // routing (§7.2)
    "host",
    // request modifiers: controls (§10.1), conditionals (§13.1), range (§14.2)
    "cache-control", "expect", "max-forwards", "pragma", "range", "if-match", "if-none-match",
    "if-modified-since", "if-unmodified-since", "if-range",
    // authentication (§11) and state management (RFC 6265)
    "authorization", "proxy-authorization", "www-authenticate", "proxy-authenticate",
    "authentication-info", "proxy-authentication-info", "cookie", "set-cookie",
    // response control data (§15, §10.2) and content processing (§8.3-8.4, §14.4)
    "age", "expires", "date", "location", "retry-after", "vary", "warning",
    "content-encoding", "content-type", "content-range",
};

// Calls fn(line) for each line of a validated tail, with its CRLF.
template <class Fn>
void for_each_line(std::string_view tail, Fn fn) {
  while (!tail.empty()) {
    const size_t lf = tail.find('\n');
    const size_t n = lf == std::string_view::npos ? tail.size() : lf + 1;
    fn(tail.substr(0, n));
    tail.remove_prefix(n);
  }
}

bool forbidden_line(std::string_view line) {
  const size_t colon = line.find(':');
  return colon != std::string_view::npos && forbidden_trailer(line.substr(0, colon));
}

}  // namespace

bool forbidden_trailer(std::string_view name) {
  for (std::string_view f : kForbiddenTrailers)
    if (iequals(name, f)) return true;
  return false;
}

// The first line is the last-chunk (its extensions hold no ':' a field name could match:
// they are skipped by position, not by content).
bool has_forbidden_trailer(std::string_view tail) {
  bool first = true, found = false;
  for_each_line(tail, [&](std::string_view line) {
    if (!first && forbidden_line(line)) found = true;
    first = false;
  });
  return found;
}

void append_allowed_trailers(std::string_view tail, std::string& out) {
  bool first = true;
  for_each_line(tail, [&](std::string_view line) {
    if (first || !forbidden_line(line)) out.append(line);
    first = false;
  });
}

}  // namespace sluice::http
