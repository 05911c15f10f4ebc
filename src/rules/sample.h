// Typed samples: the values fetches produce, converters transform, ACLs match and formats
// print. Types and casts follow HAProxy 2.6 (configuration manual 7.3): bool, sint, ipv4,
// ipv6, str, bin and meth, with `addr` (ipv4 or ipv6) and `any` used only in signatures.
//
// A Sample is a small trivially-copyable value. Its bytes (str, bin, meth) are borrowed:
// they point into the message being processed, into static storage, or into the Arena of
// the evaluation (rules/arena.h), and stay valid until that arena is reset (the end of the
// transaction). Nothing here allocates except through an Arena.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string_view>

#include "http/message.h"

namespace sluice::rules {

class Arena;

enum class Type : uint8_t { Bool, Sint, Ipv4, Ipv6, Str, Bin, Meth, Addr, Any };
std::string_view to_string(Type t);

struct Sample {
  Type type = Type::Str;
  int64_t sint = 0;              // Bool (0 or 1), Sint
  in_addr v4{};                  // Ipv4
  in6_addr v6{};                 // Ipv6
  std::string_view str;          // Str, Bin; Meth: the method's name
  http::Method meth = http::Method::Other;   // Meth

  static Sample of_bool(bool b) { Sample s; s.type = Type::Bool; s.sint = b ? 1 : 0; return s; }
  static Sample of_int(int64_t v) { Sample s; s.type = Type::Sint; s.sint = v; return s; }
  static Sample of_str(std::string_view v) { Sample s; s.type = Type::Str; s.str = v; return s; }
  static Sample of_bin(std::string_view v) { Sample s; s.type = Type::Bin; s.str = v; return s; }
  static Sample of_v4(const in_addr& a) { Sample s; s.type = Type::Ipv4; s.v4 = a; return s; }
  static Sample of_v6(const in6_addr& a) { Sample s; s.type = Type::Ipv6; s.v6 = a; return s; }
  static Sample of_meth(http::Method m, std::string_view name) {
    Sample s; s.type = Type::Meth; s.meth = m; s.str = name; return s;
  }
  // An inet address (AF_INET or AF_INET6; v4-mapped v6 stays v6, as HAProxy's fetches do).
  static bool of_sockaddr(const void* sockaddr_storage_ptr, Sample& out);
};

// Whether a value of type `from` can become `to` (the cast matrix of HAProxy's sample.c:
// everything casts to str; str casts to everything; bool/sint interconvert; sint -> ipv4;
// ipv4 <-> ipv6 (v6 -> v4 only for v4-mapped/compat addresses, at run time); bin <-> str).
// `Any` accepts everything; `Addr` accepts ipv4 and ipv6 (and what casts to them).
bool can_cast(Type from, Type to);
// Converts `s` in place. False when this value cannot be converted ("abc" to ipv4, a v6
// address that has no v4 form): the expression then has no value.
bool cast(Sample& s, Type to, Arena& arena);

// HAProxy's string -> integer cast: optional sign, decimal digits, stops at the first other
// character ("12x" is 12, "x" and "-x" are 0), saturates at the int64 limits; only an empty
// string fails.
bool parse_leading_int(std::string_view s, int64_t& out);

}  // namespace sluice::rules
