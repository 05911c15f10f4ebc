#include "admin/parse.h"

#include <charconv>
#include <limits>

namespace sluice::admin {

std::string_view to_string(Level l) {
  switch (l) {
    case Level::User: return "user";
    case Level::Operator: return "operator";
    case Level::Admin: return "admin";
  }
  return "?";
}

Result<std::vector<Words>> tokenize(std::string_view line) {
  std::vector<Words> out;
  Words cur;
  std::string word;
  bool in_word = false;
  char quote = 0;
  auto end_word = [&] {
    if (in_word) cur.push_back(std::move(word));
    word.clear();
    in_word = false;
  };
  auto end_cmd = [&] {
    end_word();
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0;
      else word += c;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= line.size()) return fail("Trailing backslash in command.");
      word += line[++i];
      in_word = true;
      continue;
    }
    if (quote == '"') {
      if (c == '"') quote = 0;
      else word += c;
      continue;
    }
    switch (c) {
      case '\'':
      case '"':
        quote = c;
        in_word = true;
        break;
      case ' ':
      case '\t':
      case '\r':
        end_word();
        break;
      case ';':
        end_cmd();
        break;
      default:
        word += c;
        in_word = true;
    }
  }
  if (quote) return fail("Unterminated quote in command.");
  end_cmd();
  return out;
}

std::optional<std::pair<std::string, std::string>> split_server(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size()) return std::nullopt;
  if (s.find('/', slash + 1) != std::string_view::npos) return std::nullopt;
  return std::make_pair(std::string(s.substr(0, slash)), std::string(s.substr(slash + 1)));
}

std::optional<uint64_t> parse_uint(std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Result<uint32_t> parse_weight(std::string_view v, uint32_t initial) {
  bool rel = !v.empty() && v.back() == '%';
  if (rel) v.remove_suffix(1);
  auto n = parse_uint(v);
  if (!n) return fail(rel ? "Relative weight must be positive." : "Require <weight> or <weight%>.");
  if (rel) {
    uint64_t w = initial * std::min<uint64_t>(*n, 100000) / 100;
    return static_cast<uint32_t>(std::min<uint64_t>(w, 256));
  }
  if (*n > 256) return fail("Absolute weight can only be between 0 and 256 inclusive.");
  return static_cast<uint32_t>(*n);
}

std::optional<uint64_t> parse_delay_ms(std::string_view s) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  auto n = parse_uint(s.substr(0, digits));
  if (!n) return std::nullopt;
  std::string_view unit = s.substr(digits);
  if (unit.empty() || unit == "ms") return *n;
  if (unit == "us") return (*n + 999) / 1000;
  if (unit == "s") return *n * 1000;
  if (unit == "m") return *n * 60'000;
  if (unit == "h") return *n * 3'600'000;
  if (unit == "d") return *n * 86'400'000;
  return std::nullopt;
}

}  // namespace sluice::admin
