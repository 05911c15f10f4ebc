#include "config/cond.h"

#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "core/version.h"

namespace sluice::config {
namespace {

// One version as comparable integers: up to three numbers, then the stage of a
// pre-release (-dev < -pre < -rc < release) and its number.
struct Version {
  std::array<long, 3> num{};
  int stage = 3;   // 0 dev, 1 pre, 2 rc, 3 release
  long stage_num = 0;
  auto operator<=>(const Version&) const = default;
};

std::optional<Version> parse_version(std::string_view s) {
  Version v;
  size_t i = 0;
  auto number = [&](long& out) {
    size_t start = i;
    out = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 9) out = out * 10 + (s[i++] - '0');
    return i > start;
  };
  for (size_t n = 0; n < 3; ++n) {
    if (!number(v.num[n])) return std::nullopt;
    if (i >= s.size() || s[i] != '.') break;
    ++i;
  }
  if (i == s.size()) return v;
  if (s[i] != '-') return std::nullopt;
  std::string_view rest = s.substr(i + 1);
  constexpr std::pair<std::string_view, int> kStages[] = {{"dev", 0}, {"pre", 1}, {"rc", 2}};
  for (auto [name, stage] : kStages) {
    if (rest.starts_with(name)) {
      v.stage = stage;
      i += 1 + name.size();
      if (i < s.size() && !number(v.stage_num)) return std::nullopt;
      return i == s.size() ? std::optional(v) : std::nullopt;
    }
  }
  return std::nullopt;
}

class Evaluator {
 public:
  Evaluator(std::string_view text, const CondContext& ctx) : s_(text), ctx_(ctx) {}

  Result<bool> run() {
    skip_blanks();
    if (pos_ == s_.size()) return false;   // an empty condition is false
    auto v = expr();
    if (!v) return v;
    skip_blanks();
    if (pos_ != s_.size()) return error("unexpected text");
    return v;
  }

 private:
  Result<bool> error(std::string_view what) const {
    return fail(fmt::format("{} at position {} in condition '{}'", what, pos_ + 1, s_));
  }
  void skip_blanks() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  bool eat(std::string_view tok) {
    skip_blanks();
    if (s_.substr(pos_).starts_with(tok)) {
      pos_ += tok.size();
      return true;
    }
    return false;
  }

  // Both operands are always parsed, so a syntax error on the side not evaluated is still
  // reported (HAProxy also parses the whole expression).
  Result<bool> expr() {
    auto v = conj();
    if (!v) return v;
    bool r = *v;
    while (eat("||")) {
      auto w = conj();
      if (!w) return w;
      r = r || *w;
    }
    return r;
  }
  Result<bool> conj() {
    auto v = unary();
    if (!v) return v;
    bool r = *v;
    while (eat("&&")) {
      auto w = unary();
      if (!w) return w;
      r = r && *w;
    }
    return r;
  }
  Result<bool> unary() {
    if (eat("!")) {
      auto v = unary();
      if (!v) return v;
      return !*v;
    }
    if (eat("(")) {
      auto v = expr();
      if (!v) return v;
      if (!eat(")")) return error("missing ')'");
      return v;
    }
    skip_blanks();
    if (pos_ < s_.size() && ((s_[pos_] >= '0' && s_[pos_] <= '9') || s_[pos_] == '-')) return integer();
    return predicate();
  }
  Result<bool> integer() {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    std::string_view digits = s_.substr(start, pos_ - start);
    if (digits == "-" ) return error("invalid integer");
    return digits.find_first_not_of("-0") != std::string_view::npos;
  }

  Result<bool> predicate() {
    size_t start = pos_;
    while (pos_ < s_.size() && ((s_[pos_] >= 'a' && s_[pos_] <= 'z') || (s_[pos_] >= 'A' && s_[pos_] <= 'Z') ||
                                (s_[pos_] >= '0' && s_[pos_] <= '9') || s_[pos_] == '_'))
      ++pos_;
    std::string_view name = s_.substr(start, pos_ - start);
    if (name.empty()) return error("expected a predicate, an integer, '!' or '('");
    std::vector<std::string> args;
    if (pos_ < s_.size() && s_[pos_] == '(') {
      ++pos_;
      auto a = arguments();
      if (!a) return unexpected(a.error());
      args = std::move(*a);
    }
    return call(name, args);
  }

  // Arguments up to the closing ')': separated by ',', each may be quoted.
  Result<std::vector<std::string>> arguments() {
    std::vector<std::string> out(1);
    char quote = 0;
    for (; pos_ < s_.size(); ++pos_) {
      char c = s_[pos_];
      if (quote != 0) {
        if (c == quote) quote = 0; else out.back() += c;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == ',') {
        out.emplace_back();
      } else if (c == ')') {
        ++pos_;
        if (out.size() == 1 && out[0].empty()) out.clear();
        return out;
      } else {
        out.back() += c;
      }
    }
    return unexpected(error("missing ')' after the arguments").error());
  }

  Result<bool> call(std::string_view name, const std::vector<std::string>& a) {
    auto want = [&](size_t n) -> Result<void> {
      if (a.size() != n) return fail(fmt::format("'{}' takes {} argument{} in condition '{}'", name, n, n == 1 ? "" : "s", s_));
      return {};
    };
    auto version_cmp = [&](std::string_view mine, bool atleast) -> Result<bool> {
      if (auto w = want(1); !w) return unexpected(w.error());
      if (mine.empty()) return false;
      auto c = compare_versions(mine, a[0]);
      if (!c) return fail(fmt::format("invalid version '{}' in condition '{}'", a[0], s_));
      return atleast ? *c >= 0 : *c < 0;
    };
    if (name == "defined") {
      if (auto w = want(1); !w) return unexpected(w.error());
      return ctx_.getenv && ctx_.getenv(a[0]).has_value();
    }
    if (name == "feature") {
      if (auto w = want(1); !w) return unexpected(w.error());
      return std::find(ctx_.features.begin(), ctx_.features.end(), a[0]) != ctx_.features.end();
    }
    if (name == "streq" || name == "strneq") {
      if (auto w = want(2); !w) return unexpected(w.error());
      return (a[0] == a[1]) == (name == "streq");
    }
    if (name == "version_atleast") return version_cmp(ctx_.version, true);
    if (name == "version_before") return version_cmp(ctx_.version, false);
    if (name == "openssl_version_atleast") return version_cmp(ctx_.ssl_lib_version, true);
    if (name == "openssl_version_before") return version_cmp(ctx_.ssl_lib_version, false);
    if (name == "ssllib_name_startswith") {
      if (auto w = want(1); !w) return unexpected(w.error());
      return !ctx_.ssl_lib_name.empty() && ctx_.ssl_lib_name.starts_with(a[0]);
    }
    return fail(fmt::format("unknown predicate '{}' in condition '{}'", name, s_));
  }

  std::string_view s_;
  const CondContext& ctx_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<int> compare_versions(std::string_view a, std::string_view b) {
  auto va = parse_version(a);
  auto vb = parse_version(b);
  if (!va || !vb) return std::nullopt;
  auto c = *va <=> *vb;
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

Result<bool> eval_condition(std::string_view text, const CondContext& ctx) { return Evaluator(text, ctx).run(); }

Result<bool> eval_condition(std::span<const std::string> words, const CondContext& ctx) {
  std::string text;
  for (const auto& w : words) {
    if (!text.empty()) text += ' ';
    text += w;
  }
  return eval_condition(text, ctx);
}

const CondContext& process_cond_context() {
  static const std::string ssl_version = [] {
    // "OpenSSL 3.0.19 27 Jan 2026" -> "3.0.19"
    std::string_view v = OpenSSL_version(OPENSSL_VERSION);
    if (v.starts_with("OpenSSL ")) v.remove_prefix(8);
    return std::string(v.substr(0, v.find(' ')));
  }();
  static const CondContext ctx{
      .getenv = [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
      },
      .features = build_features(),
      .version = kHaproxyCompatVersion,
      // No TLS yet: the library is linked for hashing only, so conditions asking for an
      // SSL library must see none (a config guarded by feature(OPENSSL) takes the other branch).
      .ssl_lib_name = has_feature("OPENSSL") ? std::string_view("OpenSSL") : std::string_view(),
      .ssl_lib_version = has_feature("OPENSSL") ? std::string_view(ssl_version) : std::string_view(),
  };
  return ctx;
}

}  // namespace sluice::config
