#include "rules/sample.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

#include "rules/arena.h"

namespace sluice::rules {

std::string_view to_string(Type t) {
  switch (t) {
    case Type::Bool: return "bool";
    case Type::Sint: return "sint";
    case Type::Ipv4: return "ipv4";
    case Type::Ipv6: return "ipv6";
    case Type::Str: return "str";
    case Type::Bin: return "bin";
    case Type::Meth: return "meth";
    case Type::Addr: return "addr";
    case Type::Any: return "any";
  }
  return "?";
}

bool Sample::of_sockaddr(const void* p, Sample& out) {
  if (p == nullptr) return false;
  const auto* ss = static_cast<const sockaddr_storage*>(p);
  if (ss->ss_family == AF_INET) {
    out = of_v4(reinterpret_cast<const sockaddr_in*>(ss)->sin_addr);
    return true;
  }
  if (ss->ss_family == AF_INET6) {
    out = of_v6(reinterpret_cast<const sockaddr_in6*>(ss)->sin6_addr);
    return true;
  }
  return false;
}

bool parse_leading_int(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  size_t i = 0;
  bool neg = s[0] == '-';
  if (neg || s[0] == '+') ++i;
  const uint64_t limit = neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  uint64_t v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    auto d = static_cast<uint64_t>(s[i] - '0');
    v = v > (limit - d) / 10 ? limit : v * 10 + d;
  }
  out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

bool can_cast(Type from, Type to) {
  if (from == to || to == Type::Any || from == Type::Any) return true;   // Any: decided per value
  if (to == Type::Addr) return from == Type::Ipv4 || from == Type::Ipv6 || from == Type::Str ||
                               from == Type::Sint || from == Type::Bin;
  switch (from) {
    case Type::Bool:
    case Type::Sint: return to == Type::Bool || to == Type::Sint || to == Type::Ipv4 || to == Type::Ipv6 ||
                            to == Type::Str || to == Type::Bin;
    case Type::Ipv4:
    case Type::Ipv6:
    case Type::Addr: return to == Type::Ipv4 || to == Type::Ipv6 || to == Type::Str || to == Type::Bin;
    case Type::Str:
    case Type::Bin: return true;
    case Type::Meth: return to == Type::Str || to == Type::Bin;
    default: return false;
  }
}

namespace {

bool v6_to_v4(const in6_addr& a, in_addr& out) {
  // v4-mapped (::ffff:a.b.c.d) and v4-compatible (::a.b.c.d) addresses, as HAProxy's v6tov4().
  static constexpr uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr uint8_t compat[12] = {};
  if (std::memcmp(a.s6_addr, mapped, 12) != 0 && std::memcmp(a.s6_addr, compat, 12) != 0) return false;
  std::memcpy(&out.s_addr, a.s6_addr + 12, 4);
  return true;
}

void v4_to_v6(const in_addr& a, in6_addr& out) {
  std::memset(&out, 0, sizeof out);
  out.s6_addr[10] = out.s6_addr[11] = 0xff;
  std::memcpy(out.s6_addr + 12, &a.s_addr, 4);
}

std::string_view print_int(int64_t v, Arena& a) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return a.copy({buf, static_cast<size_t>(r.ptr - buf)});
}

}  // namespace

bool cast(Sample& s, Type to, Arena& arena) {
  if (s.type == to || to == Type::Any) return true;
  if (to == Type::Addr) {
    if (s.type == Type::Ipv4 || s.type == Type::Ipv6) return true;
    // A string becomes whichever address family it spells.
    if (s.type == Type::Str || s.type == Type::Bin) return cast(s, Type::Ipv4, arena) || cast(s, Type::Ipv6, arena);
    return cast(s, Type::Ipv4, arena);
  }
  switch (s.type) {
    case Type::Bool:
    case Type::Sint:
      switch (to) {
        case Type::Bool: s.sint = s.sint != 0; s.type = Type::Bool; return true;
        case Type::Sint: s.type = Type::Sint; return true;
        case Type::Ipv4: s.v4.s_addr = htonl(static_cast<uint32_t>(s.sint)); s.type = Type::Ipv4; return true;
        case Type::Ipv6: {
          in_addr a;
          a.s_addr = htonl(static_cast<uint32_t>(s.sint));
          v4_to_v6(a, s.v6);
          s.type = Type::Ipv6;
          return true;
        }
        case Type::Str: s.str = print_int(s.sint, arena); s.type = to; return true;
        case Type::Bin: {   // as HAProxy's: the 8 bytes, big-endian (int(5),hex is 0000000000000005)
          char b[8];
          auto u = static_cast<uint64_t>(s.sint);
          for (int i = 7; i >= 0; --i, u >>= 8) b[i] = static_cast<char>(u & 0xff);
          s.str = arena.copy({b, 8});
          s.type = Type::Bin;
          return true;
        }
        default: return false;
      }
    case Type::Ipv4:
      switch (to) {
        case Type::Ipv6: v4_to_v6(s.v4, s.v6); s.type = Type::Ipv6; return true;
        case Type::Str: {
          char buf[INET_ADDRSTRLEN];
          if (inet_ntop(AF_INET, &s.v4, buf, sizeof buf) == nullptr) return false;
          s.str = arena.copy(buf);
          s.type = Type::Str;
          return true;
        }
        case Type::Bin: {
          s.str = arena.copy({reinterpret_cast<const char*>(&s.v4.s_addr), 4});
          s.type = Type::Bin;
          return true;
        }
        default: return false;
      }
    case Type::Ipv6:
      switch (to) {
        case Type::Ipv4: {
          in_addr a;
          if (!v6_to_v4(s.v6, a)) return false;
          s.v4 = a;
          s.type = Type::Ipv4;
          return true;
        }
        case Type::Str: {
          char buf[INET6_ADDRSTRLEN];
          if (inet_ntop(AF_INET6, &s.v6, buf, sizeof buf) == nullptr) return false;
          s.str = arena.copy(buf);
          s.type = Type::Str;
          return true;
        }
        case Type::Bin: {
          s.str = arena.copy({reinterpret_cast<const char*>(s.v6.s6_addr), 16});
          s.type = Type::Bin;
          return true;
        }
        default: return false;
      }
    case Type::Str:
    case Type::Bin:
      switch (to) {
        case Type::Str:
          // As HAProxy's: bytes become a string up to their first NUL ("\0ab" is "").
          if (s.type == Type::Bin) s.str = s.str.substr(0, s.str.find('\0'));
          s.type = to;
          return true;
        case Type::Bin: s.type = to; return true;
        case Type::Bool:
        case Type::Sint: {
          int64_t v = 0;
          if (!parse_leading_int(s.str, v)) return false;
          s.sint = to == Type::Bool ? v != 0 : v;
          s.type = to;
          return true;
        }
        case Type::Ipv4: {
          // inet_pton needs a terminated string; addresses are short.
          char buf[INET6_ADDRSTRLEN + 1];
          if (s.str.size() >= sizeof buf) return false;
          std::memcpy(buf, s.str.data(), s.str.size());
          buf[s.str.size()] = 0;
          if (inet_pton(AF_INET, buf, &s.v4) != 1) return false;
          s.type = Type::Ipv4;
          return true;
        }
        case Type::Ipv6: {
          char buf[INET6_ADDRSTRLEN + 1];
          if (s.str.size() >= sizeof buf) return false;
          std::memcpy(buf, s.str.data(), s.str.size());
          buf[s.str.size()] = 0;
          if (inet_pton(AF_INET6, buf, &s.v6) != 1) {
            in_addr a;
            if (inet_pton(AF_INET, buf, &a) != 1) return false;
            v4_to_v6(a, s.v6);
          }
          s.type = Type::Ipv6;
          return true;
        }
        case Type::Meth:
          s.meth = http::method_from(s.str);
          s.type = Type::Meth;
          return true;
        default: return false;
      }
    case Type::Meth:
      if (to == Type::Str || to == Type::Bin) {
        s.type = to;
        return true;
      }
      return false;
    default: return false;
  }
}

}  // namespace sluice::rules
