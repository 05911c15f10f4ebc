// Encoding converters (HAProxy 2.6 manual 7.3.1): base64, b64dec, ub64enc, ub64dec, hex,
// hex2i, htonl, url_dec, url_enc, be2dec, be2hex.
#include <fmt/format.h>

#include "rules/conv/common.h"
#include "rules/domains.h"

namespace sluice::rules {

namespace {

using conv::out_bytes;

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kB64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Encodes `in` with `alphabet`, '=' padding when `pad`.
std::string_view b64_encode(std::string_view in, std::string_view alphabet, bool pad, Ctx& c) {
  size_t n = (in.size() + 2) / 3 * 4;
  char* p = out_bytes(c, n);
  size_t w = 0;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    size_t left = in.size() - i;
    if (left > 1) v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    if (left > 2) v |= static_cast<unsigned char>(in[i + 2]);
    p[w++] = alphabet[(v >> 18) & 63];
    p[w++] = alphabet[(v >> 12) & 63];
    if (left > 1) p[w++] = alphabet[(v >> 6) & 63];
    else if (pad) p[w++] = '=';
    if (left > 2) p[w++] = alphabet[v & 63];
    else if (pad) p[w++] = '=';
  }
  return {p, w};
}

// Decodes `in`; padding is required (standard) or optional (url alphabet). False on any
// character outside the alphabet, misplaced padding or a length no encoding produces.
bool b64_decode(std::string_view in, bool url, Ctx& c, std::string_view& out) {
  auto val = [url](char ch) -> int {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == (url ? '-' : '+')) return 62;
    if (ch == (url ? '_' : '/')) return 63;
    return -1;
  };
  size_t pad = 0;
  while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
  if (!url && in.size() % 4 != 0) return false;
  if (url && pad != 0 && in.size() % 4 != 0) return false;
  std::string_view body = in.substr(0, in.size() - pad);
  if (body.size() % 4 == 1) return false;
  char* p = out_bytes(c, body.size() / 4 * 3 + 2);
  size_t w = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : body) {
    int v = val(ch);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      p[w++] = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  out = {p, w};
  return true;
}

bool c_base64(const Args&, Ctx& c, Sample& s) {
  s = Sample::of_str(b64_encode(s.str, kB64, true, c));
  return true;
}
bool c_ub64enc(const Args&, Ctx& c, Sample& s) {
  s = Sample::of_str(b64_encode(s.str, kB64Url, false, c));
  return true;
}
template <bool Url>
bool c_b64dec(const Args&, Ctx& c, Sample& s) {
  std::string_view out;
  if (!b64_decode(s.str, Url, c, out)) return false;
  s = Sample::of_bin(out);
  return true;
}

int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}
constexpr char kHex[] = "0123456789ABCDEF";

bool c_hex(const Args&, Ctx& c, Sample& s) {
  char* p = out_bytes(c, s.str.size() * 2);
  for (size_t i = 0; i < s.str.size(); ++i) {
    auto b = static_cast<unsigned char>(s.str[i]);
    p[2 * i] = kHex[b >> 4];
    p[2 * i + 1] = kHex[b & 15];
  }
  s = Sample::of_str({p, s.str.size() * 2});
  return true;
}

// hex2i: hexadecimal digits to an integer (64 bits, wrapping); no value on another character.
bool c_hex2i(const Args&, Ctx&, Sample& s) {
  uint64_t v = 0;
  for (char ch : s.str) {
    int d = hexval(ch);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  s = Sample::of_int(static_cast<int64_t>(v));
  return true;
}

// htonl: the integer's low 32 bits as 4 bytes in network order.
bool c_htonl(const Args&, Ctx& c, Sample& s) {
  auto v = static_cast<uint32_t>(s.sint);
  char* p = out_bytes(c, 4);
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  s = Sample::of_bin({p, 4});
  return true;
}

// url_dec([in_form]): %HH decoded (a bad escape: no value); '+' is a space in a form
// (in_form non-zero) and after a '?'. Stops at a NUL byte, as HAProxy's C string does.
bool c_url_dec(const Args& a, Ctx& c, Sample& s) {
  bool form = a.has(0) && a[0].sint != 0;
  std::string_view v = s.str;
  char* p = out_bytes(c, v.size());
  size_t w = 0;
  for (size_t i = 0; i < v.size() && v[i] != 0; ++i) {
    char ch = v[i];
    if (ch == '%') {
      int hi = i + 1 < v.size() ? hexval(v[i + 1]) : -1, lo = i + 2 < v.size() ? hexval(v[i + 2]) : -1;
      if (hi < 0 || lo < 0) return false;
      p[w++] = static_cast<char>(hi * 16 + lo);
      i += 2;
      continue;
    }
    if (ch == '+' && form) ch = ' ';
    if (ch == '?') form = true;
    p[w++] = ch;
  }
  s.str = {p, w};
  return true;
}

Result<void> check_url_enc(Args& a, CompileCtx&) {
  if (a.has(0) && a[0].str != "query")
    return fail(fmt::format("encoding type '{}': only 'query' is supported (as in HAProxy 2.6)", a[0].str));
  return {};
}

// url_enc(query): every byte but the unreserved ones (RFC 3986: ALPHA DIGIT - . _ ~) as %HH.
bool c_url_enc(const Args&, Ctx& c, Sample& s) {
  auto keep = [](unsigned char b) {
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' || b == '.' ||
           b == '_' || b == '~';
  };
  char* p = out_bytes(c, s.str.size() * 3);
  size_t w = 0;
  for (char ch : s.str) {
    auto b = static_cast<unsigned char>(ch);
    if (keep(b)) {
      p[w++] = ch;
    } else {
      p[w++] = '%';
      p[w++] = kHex[b >> 4];
      p[w++] = kHex[b & 15];
    }
  }
  s.str = {p, w};
  return true;
}

// be2dec(SEP,CHUNK[,TRUNC]) / be2hex([SEP[,CHUNK[,TRUNC]]]): the bytes cut into CHUNK-byte
// big-endian numbers, printed in decimal / upper-case hexadecimal and joined by SEP. A last
// shorter chunk is printed as it is, or dropped when TRUNC is non-zero.
Result<void> check_be2dec(Args& a, CompileCtx&) {
  int64_t n = a.has(1) ? a[1].sint : 0;
  if (n < 1 || n > 8) return fail(fmt::format("chunk_size out of [1..8] range ({})", n));
  return {};
}
Result<void> check_be2hex(Args& a, CompileCtx&) {
  bool written = false;
  for (const auto& x : a.v) written = written || x.given;
  int64_t n = a.has(1) ? a[1].sint : 0;
  if (written && n < 1) return fail(fmt::format("chunk_size needs to be positive ({})", n));
  return {};
}
template <bool Hex>
bool c_be2(const Args& a, Ctx& c, Sample& s) {
  std::string_view sep = a.has(0) ? std::string_view(a[0].str) : std::string_view();
  size_t chunk = a.has(1) ? static_cast<size_t>(a[1].sint) : 1;
  bool trunc = a.has(2) && a[2].sint != 0;
  std::string_view in = s.str;
  if (trunc) in = in.substr(0, in.size() - in.size() % chunk);
  size_t chunks = (in.size() + chunk - 1) / chunk;
  size_t digits = Hex ? 2 * in.size() : 20 * chunks;
  char* p = out_bytes(c, digits + (chunks > 0 ? (chunks - 1) * sep.size() : 0));
  size_t w = 0;
  for (size_t i = 0; i < in.size(); i += chunk) {
    if (i > 0) {
      sep.copy(p + w, sep.size());
      w += sep.size();
    }
    std::string_view part = in.substr(i, chunk);
    if constexpr (Hex) {
      for (char ch : part) {
        auto b = static_cast<unsigned char>(ch);
        p[w++] = kHex[b >> 4];
        p[w++] = kHex[b & 15];
      }
    } else {
      uint64_t v = 0;
      for (char ch : part) v = (v << 8) | static_cast<unsigned char>(ch);
      w = static_cast<size_t>(fmt::format_to(p + w, "{}", v) - p);
    }
  }
  s = Sample::of_str({p, w});
  return true;
}

constexpr ConvDef kRows[] = {
    {"base64", "", Type::Bin, Type::Str, c_base64, "the bytes in base64 (RFC 4648, padded)"},
    {"b64dec", "", Type::Str, Type::Bin, c_b64dec<false>, "the bytes a padded base64 string encodes; no value if invalid"},
    {"ub64enc", "", Type::Bin, Type::Str, c_ub64enc, "the bytes in base64url (RFC 4648 section 5, no padding)"},
    {"ub64dec", "", Type::Str, Type::Bin, c_b64dec<true>,
     "the bytes a base64url string encodes (padding optional); no value if invalid"},
    {"hex", "", Type::Bin, Type::Str, c_hex, "the bytes as upper-case hexadecimal, two digits each"},
    {"hex2i", "", Type::Str, Type::Sint, c_hex2i, "the integer a hexadecimal string spells; no value if invalid"},
    {"htonl", "", Type::Sint, Type::Bin, c_htonl, "the integer's low 32 bits as 4 bytes in network order"},
    {"url_dec", "i", Type::Str, Type::Str, c_url_dec,
     "the URL-decoded string ('+' is a space after '?' or when IN_FORM is non-zero); no value on a bad escape"},
    {"url_enc", "s", Type::Str, Type::Str, c_url_enc,
     "the string URL-encoded for a query (all but A-Z a-z 0-9 - . _ ~ as %HH)", check_url_enc},
    {"be2dec", "sii", Type::Bin, Type::Str, c_be2<false>,
     "the bytes as CHUNK-byte (1-8) big-endian numbers in decimal joined by SEP; a short last chunk is dropped when TRUNC is non-zero",
     check_be2dec},
    {"be2hex", "sii", Type::Bin, Type::Str, c_be2<true>,
     "the bytes as CHUNK-byte big-endian numbers in upper-case hexadecimal joined by SEP; a short last chunk is dropped when TRUNC is non-zero",
     check_be2hex},
};

}  // namespace

std::span<const ConvDef> conv_encode() { return kRows; }

}  // namespace sluice::rules
