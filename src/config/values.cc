// Scalar value parsers (durations, sizes, numbers, addresses, networks) and model helpers.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/un.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "config/loader.h"
#include "config/parse_internal.h"
#include "net/cidr.h"

namespace sluice::config {

std::string Diagnostic::format() const {
  return fmt::format("{}:{}: {}{}", loc.file, loc.line, notice ? "notice: " : warning ? "warning: " : "", message);
}

const ProxyConfig* Config::find_proxy(std::string_view name) const {
  for (const auto& p : proxies)
    if (p.name == name) return &p;
  return nullptr;
}

namespace detail {

Result<uint32_t> parse_uint(std::string_view text, uint64_t max) {
  uint64_t v = 0;
  if (text.empty()) return fail("expects a number");
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size())
    return fail(fmt::format("'{}' is not a valid number", text));
  if (v > max) return fail(fmt::format("{} is out of range (maximum {})", v, max));
  return static_cast<uint32_t>(v);
}

Result<uint32_t> parse_octal_mode(std::string_view text) {
  // Octal digits only: strtoul also took "+644", " 644", "-1" and "0x1ff".
  uint32_t v = 0;
  bool ok = !text.empty() && text.size() <= 4;
  for (char c : text) {
    if (c < '0' || c > '7') ok = false;
    else v = v * 8 + static_cast<uint32_t>(c - '0');
  }
  if (!ok || v > 0777) return fail(fmt::format("'{}' is not an octal mode (octal digits, at most 777)", text));
  return v;
}

std::string join(Words words, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i) out += sep;
    out += words[i];
  }
  return out;
}

namespace {
// Optimal string alignment distance: Levenshtein plus adjacent transpositions ("nmae").
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

size_t common_prefix(std::string_view a, std::string_view b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}
}  // namespace

std::string suggest(std::string_view word, std::span<const std::string_view> candidates) {
  size_t best = SIZE_MAX;
  std::string_view pick;
  for (auto c : candidates) {
    if (word.size() > 64) break;   // garbage input: no useful suggestion, bounded cost
    size_t d = edit_distance(word, c);
    if (d < best || (d == best && common_prefix(word, c) > common_prefix(word, pick))) {
      best = d;
      pick = c;
    }
  }
  size_t limit = word.size() <= 4 ? 1 : (word.size() <= 8 ? 2 : 3);
  if (pick.empty() || best > limit) return "";
  return fmt::format(" (did you mean '{}'?)", pick);
}

Result<void> resolve_address(Address& a, bool passive) {
  if (a.kind == Address::Kind::Unix) {
    sockaddr_un un{};
    if (a.path.size() >= sizeof(un.sun_path))
      return fail(fmt::format("unix socket path '{}' is too long", a.path));
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, a.path.data(), a.path.size());
    std::memcpy(&a.sa, &un, sizeof(un));
    a.sa_len = sizeof(un);
    return {};
  }
  if (a.kind != Address::Kind::Inet) return {};
  int family = a.sa.ss_family;   // preset by ipv4@/ipv6@ prefixes
  std::string host = a.host;
  if (host.empty() || host == "*") {
    if (family == AF_INET6) {
      auto* s6 = reinterpret_cast<sockaddr_in6*>(&a.sa);
      *s6 = sockaddr_in6{};
      s6->sin6_family = AF_INET6;
      s6->sin6_port = htons(a.port);
      a.sa_len = sizeof(sockaddr_in6);
    } else {
      auto* s4 = reinterpret_cast<sockaddr_in*>(&a.sa);
      *s4 = sockaddr_in{};
      s4->sin_family = AF_INET;
      s4->sin_port = htons(a.port);
      a.sa_len = sizeof(sockaddr_in);
    }
    return {};
  }
  addrinfo hints{};
  hints.ai_family = family == AF_INET || family == AF_INET6 ? family : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (passive) hints.ai_flags |= AI_PASSIVE;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr)
    return fail(fmt::format("could not resolve address '{}': {}", host, gai_strerror(rc)));
  std::memcpy(&a.sa, res->ai_addr, res->ai_addrlen);
  a.sa_len = res->ai_addrlen;
  freeaddrinfo(res);
  if (a.sa.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&a.sa)->sin_port = htons(a.port);
  else if (a.sa.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&a.sa)->sin6_port = htons(a.port);
  return {};
}

namespace {
bool is_literal_ip(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}
}  // namespace

Result<BindAddr> parse_bind_address_impl(std::string_view text, bool for_bind, bool resolve) {
  BindAddr out;
  Address& a = out.addr;
  a.text = std::string(text);
  std::string_view t = text;
  int family = AF_UNSPEC;
  if (t.empty()) return fail("empty address");
  auto strip = [&](std::string_view prefix) {
    if (t.starts_with(prefix)) {
      t.remove_prefix(prefix.size());
      return true;
    }
    return false;
  };
  if (strip("fd@")) {
    auto fd = parse_uint(t, INT32_MAX);
    if (!fd) return fail(fmt::format("invalid file descriptor in '{}'", text));
    a.kind = Address::Kind::Fd;
    a.fd = static_cast<int>(*fd);
    return out;
  }
  if (strip("unix@") || t.starts_with('/')) {
    if (t.empty()) return fail(fmt::format("missing path in '{}'", text));
    a.kind = Address::Kind::Unix;
    a.path = std::string(t);
    auto r = resolve_address(a, for_bind);
    if (!r) return unexpected(r.error());
    return out;
  }
  if (t.starts_with("abns@") || t.starts_with("sockpair@") || t.starts_with("quic"))
    return fail(fmt::format("address family of '{}' is not supported by sluice", text));
  if (strip("ipv4@") || strip("tcp4@")) family = AF_INET;
  else if (strip("ipv6@") || strip("tcp6@")) family = AF_INET6;
  else strip("tcp@");
  if (t.find('@') != std::string_view::npos)
    return fail(fmt::format("unknown address prefix in '{}'", text));

  std::string_view host, port;
  if (t.starts_with('[')) {
    size_t close = t.find(']');
    if (close == std::string_view::npos) return fail(fmt::format("missing ']' in '{}'", text));
    host = t.substr(1, close - 1);
    std::string_view rest = t.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return fail(fmt::format("unexpected '{}' after ']' in '{}'", rest, text));
      port = rest.substr(1);
    }
  } else {
    size_t colon = t.rfind(':');
    if (colon == std::string_view::npos) {
      host = t;
    } else {
      host = t.substr(0, colon);
      port = t.substr(colon + 1);
      // "::1" without port: the part after the last colon is hex, not a port, when the
      // whole text is a valid IPv6 literal.
      if (host.find(':') != std::string_view::npos && is_literal_ip(std::string(t))) {
        host = t;
        port = {};
      }
    }
  }
  a.host = std::string(host);
  if (a.host == "*") a.host.clear();
  // getaddrinfo() would read "10.1" or "127.1" as inet_aton() does (10.0.0.1, 127.0.0.1):
  // digits and dots that are not a dotted quad are a typo, not a host name.
  if (!a.host.empty() && a.host.find_first_not_of("0123456789.") == std::string::npos && !is_literal_ip(a.host))
    return fail(fmt::format("'{}' is not a valid IPv4 address in '{}'", a.host, text));
  if (!port.empty()) {
    if (!for_bind && (port[0] == '+' || port[0] == '-')) {
      auto d = parse_uint(port.substr(1), 65535);
      if (!d) return fail(fmt::format("invalid port offset in '{}'", text));
      a.port_offset = true;
      a.port_delta = port[0] == '-' ? -static_cast<int32_t>(*d) : static_cast<int32_t>(*d);
    } else {
      size_t dash = port.find('-');
      std::string_view first = port.substr(0, dash);
      auto p = parse_uint(first, 65535);
      if (!p)
        return fail(fmt::format("invalid port '{}' in '{}'", port, text));
      a.port = static_cast<uint16_t>(*p);
      out.last_port = a.port;
      if (dash != std::string_view::npos) {
        if (!for_bind) return fail(fmt::format("port ranges are only valid on 'bind': '{}'", text));
        auto last = parse_uint(port.substr(dash + 1), 65535);
        if (!last || *last < *p) return fail(fmt::format("invalid port range '{}' in '{}'", port, text));
        out.last_port = static_cast<uint16_t>(*last);
      }
      if (a.port == 0 && !for_bind) return fail(fmt::format("invalid port 0 in '{}'", text));
    }
  } else if (for_bind) {
    return fail(fmt::format("missing port in bind address '{}'", text));
  }
  if (a.port_offset == false && t.ends_with(':')) return fail(fmt::format("missing port after ':' in '{}'", text));
  a.sa.ss_family = static_cast<sa_family_t>(family);
  if (a.host.empty() || is_literal_ip(a.host) || resolve) {
    auto r = resolve_address(a, for_bind);
    if (!r) return unexpected(r.error());
  } else {
    a.sa = sockaddr_storage{};
    a.sa_len = 0;
  }
  return out;
}

Result<BindAddr> parse_bind_address(std::string_view text, bool resolve) {
  return parse_bind_address_impl(text, true, resolve);
}

}  // namespace detail

Result<Millis> parse_duration(std::string_view text) {
  if (text.empty()) return fail("expects a duration");
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) return fail(fmt::format("'{}' is not a valid duration", text));
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, v);
  if (ec != std::errc()) return fail(fmt::format("duration '{}' is too large", text));
  std::string_view unit = text.substr(i);
  uint64_t mult_us;
  if (unit.empty() || unit == "ms") mult_us = 1000;
  else if (unit == "us") mult_us = 1;
  else if (unit == "s") mult_us = 1000'000;
  else if (unit == "m") mult_us = 60'000'000;
  else if (unit == "h") mult_us = 3'600'000'000ULL;
  else if (unit == "d") mult_us = 86'400'000'000ULL;
  else return fail(fmt::format("unknown unit '{}' in duration '{}' (use us, ms, s, m, h or d)", unit, text));
  // HAProxy caps timers at 2^31-1 ms (~24.8 days).
  constexpr uint64_t kMaxMs = INT32_MAX;
  if (v > kMaxMs * 1000 / mult_us + 1) return fail(fmt::format("duration '{}' is too large (maximum 24d)", text));
  uint64_t ms = (v * mult_us + 999) / 1000;
  if (ms > kMaxMs) return fail(fmt::format("duration '{}' is too large (maximum 24d)", text));
  return Millis(ms);
}

Result<uint64_t> parse_size(std::string_view text) {
  if (text.empty()) return fail("expects a size");
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) return fail(fmt::format("'{}' is not a valid size", text));
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, v);
  if (ec != std::errc()) return fail(fmt::format("size '{}' is too large", text));
  std::string_view unit = text.substr(i);
  uint64_t mult = 1;
  if (unit.empty()) mult = 1;
  else if (unit == "k" || unit == "K") mult = 1024;
  else if (unit == "m" || unit == "M") mult = 1024 * 1024;
  else if (unit == "g" || unit == "G") mult = 1024ULL * 1024 * 1024;
  else return fail(fmt::format("unknown unit '{}' in size '{}' (use k, m or g)", unit, text));
  if (v > UINT64_MAX / mult) return fail(fmt::format("size '{}' is too large", text));
  return v * mult;
}

Result<Address> parse_address(std::string_view text, bool for_bind, bool resolve) {
  auto r = detail::parse_bind_address_impl(text, for_bind, resolve);
  if (!r) return unexpected(r.error());
  return r->addr;
}

Result<Cidr> parse_cidr(std::string_view text) {
  auto n = net::parse_cidr(text);
  if (!n) return unexpected(n.error());
  Cidr c;
  static_cast<net::Cidr&>(c) = *n;
  c.text = std::string(text);
  return c;
}

}  // namespace sluice::config
