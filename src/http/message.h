// Parsed HTTP/1 message heads. No I/O, no copies: every string_view points into the
// caller's receive buffer, so a head is valid only while that buffer is unchanged.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace sluice::http {

enum class Method : uint8_t { Get, Head, Post, Put, Delete, Connect, Options, Trace, Patch, Other };

// Methods are case-sensitive (RFC 9110 §9.1): "get" is Method::Other.
Method method_from(std::string_view name);
std::string_view to_string(Method m);  // "GET", ..., "OTHER"

struct Header {
  std::string_view name;   // as received (case preserved)
  std::string_view value;  // without leading/trailing OWS
};

// How the message body is delimited (RFC 9112 §6.3).
//  None           no body (GET without CL/TE, HEAD responses, 1xx/204/304)
//  ContentLength  exactly content_length bytes
//  Chunked        feed the body to ChunkedDecoder
//  UntilClose     response body ends when the server closes (never keep-alive)
//  Tunnel         bytes flow both ways until either side closes (CONNECT 2xx, 101)
enum class Framing : uint8_t { None, ContentLength, Chunked, UntilClose, Tunnel };
std::string_view to_string(Framing f);

// Index of the first header at or after `from` whose name equals `name` case-insensitively, or -1.
int find_header(const std::vector<Header>& headers, std::string_view name, int from = 0);

// RFC 9110 §7.8: a server switches (101) only to protocols the client offered. `requested`
// and `offered` are Upgrade field values (comma lists of protocol-name ["/" protocol-version],
// case-insensitive). True if `offered` names at least one protocol and each one is requested;
// a version on either side only has to match when both give one.
bool upgrade_offer_ok(std::string_view requested, std::string_view offered);

struct RequestHead {
  Method method = Method::Other;
  std::string_view method_name, target;  // target as received
  std::string_view path;       // origin-form path+query; path+query of an absolute-form target
                               // ("/" if empty, or starting with '?' if it had only a query);
                               // "*" for asterisk-form; empty for CONNECT
  std::string_view authority;  // from absolute-form or authority-form, else empty
  std::string_view host;       // Host header value (validated against authority)
  uint8_t version_minor = 1;   // HTTP/1.x
  std::vector<Header> headers; // order and name case as received
  size_t head_len = 0;         // bytes of the head including the final empty line
  Framing framing = Framing::None;
  uint64_t content_length = 0;
  bool keep_alive = false;     // version default, then Connection: close / keep-alive
  bool upgrade = false;        // Connection: upgrade token AND an Upgrade header
  bool expect_continue = false;  // Expect: 100-continue on an HTTP/1.1 request

  int find(std::string_view name, int from = 0) const { return find_header(headers, name, from); }
};

struct ResponseHead {
  uint16_t status = 0;
  std::string_view reason;
  uint8_t version_minor = 1;
  std::vector<Header> headers;
  size_t head_len = 0;
  Framing framing = Framing::None;
  uint64_t content_length = 0;
  bool keep_alive = false;
  bool upgrade = false;

  int find(std::string_view name, int from = 0) const { return find_header(headers, name, from); }
};

}  // namespace sluice::http
