// Streaming validator for a chunked message body (RFC 9112 §7.1). It delimits the body and
// rejects malformed framing; the bytes themselves are forwarded unchanged by the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::http {

//  Size -> [SizeWs] -> [Ext*] -> SizeLf -+-> Data -> DataCr -> DataLf -> Size
//                                         +-> (size 0) TrailerStart -+-> TrailerLine -> TrailerLf -+
//                                                                    |   ^-------------------------+
//                                                                    +-> FinalLf -> Done
//  Any unexpected byte -> Error (sticky until reset()).
class ChunkedDecoder {
 public:
  struct Step {
    size_t consumed;     // bytes of `in` that belong to the body (valid ones only, on error)
    bool done;           // the whole body, including the final CRLF, has been consumed
    bool error;
    const char* reason;  // static text for logs, "" unless error
  };

  static constexpr uint64_t kMaxChunkSize = uint64_t{1} << 62;
  static constexpr size_t kMaxChunkLine = 4096;     // chunk-size line incl. extensions
  static constexpr size_t kMaxTrailerBytes = 16384; // whole trailer section

  // Consumes a prefix of `in`. Stops exactly at the end of the message (done=true) and never
  // consumes bytes beyond it (a pipelined next message). Works at any split of the input.
  // After done or error, further calls consume nothing and repeat the outcome.
  Step feed(std::string_view in);
  uint64_t data_bytes() const { return data_bytes_; }
  bool done() const { return state_ == State::Done; }
  // Bytes at the end of what was consumed so far that a relay must hold back: the current,
  // unfinished chunk-size line (it may turn out to be the last-chunk), or the whole tail from
  // the last-chunk line on (its trailers are filtered once complete). Everything before them
  // may be forwarded: a relay that stops on an error then sends only complete chunks, and the
  // receiver sees a truncated message, never a complete one.
  size_t held() const { return held_; }
  void reset() { *this = ChunkedDecoder{}; }

 private:
  enum class State : uint8_t {
    Size, SizeWs, ExtBeforeName, ExtName, ExtAfterName, ExtBeforeValue, ExtToken, ExtQuoted,
    ExtQuotedEscape, ExtAfterValue, SizeLf, Data, DataCr, DataLf, TrailerStart, TrailerName,
    TrailerValue, TrailerLf, FinalLf, Done, Error,
  };

  // One byte of the framing (everything but chunk data). Returns an error reason or nullptr.
  const char* step_byte(char c);
  const char* end_size_line();

  State state_ = State::Size;
  uint64_t chunk_size_ = 0;   // while in Size: value parsed so far; in Data: bytes left
  size_t size_digits_ = 0;
  size_t line_len_ = 0;       // bytes of the current chunk-size line
  size_t trailer_len_ = 0;
  size_t held_ = 0;
  uint64_t data_bytes_ = 0;
  const char* reason_ = "";
};

// RFC 9110 §6.5.1: fields a sender must not put in trailers, or a recipient must not merge
// into the head, because they frame, route, authenticate or control the message, or describe
// its content: Content-Length, Host, Authorization, Set-Cookie, ... (the list is in
// chunked.cc and docs/http.md). A proxy drops them instead of forwarding them.
bool forbidden_trailer(std::string_view name);

// `tail` is a complete, validated chunked tail (last-chunk line, trailer fields, final CRLF),
// as delimited by ChunkedDecoder::held() once done(). True if it holds a forbidden field.
bool has_forbidden_trailer(std::string_view tail);
// Appends `tail` to `out` without its forbidden trailer fields.
void append_allowed_trailers(std::string_view tail, std::string& out);

}  // namespace sluice::http
