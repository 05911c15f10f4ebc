#include "config/lexer.h"

#include <fmt/format.h>

namespace sluice::config {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_var_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

class Lexer {
 public:
  Lexer(std::string_view line, const GetEnv& getenv, bool expand_unquoted)
      : in_(line), getenv_(getenv), expand_unquoted_(expand_unquoted) {}

  Result<LexedLine> run() {
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (quote_ == 0 && is_blank(c)) {
        end_word();
        ++pos_;
        continue;
      }
      if (quote_ == 0 && (c == '#' || c == '\n' || c == '\r')) break;
      if (c == '\\' && quote_ != '\'') {
        auto r = escape();
        if (!r) return unexpected(r.error());
        continue;
      }
      if (c == '"' || c == '\'') {
        if (quote_ == 0) {
          quote_ = c;
          in_word_ = true;
          ++pos_;
          continue;
        }
        if (quote_ == c) {
          quote_ = 0;
          ++pos_;
          continue;
        }
      }
      if (c == '$' && quote_ != '\'' && (quote_ == '"' || expand_unquoted_)) {
        auto r = variable();
        if (!r) return unexpected(r.error());
        continue;
      }
      cur_ += c;
      in_word_ = true;
      ++pos_;
    }
    if (quote_ != 0) return fail(fmt::format("unmatched {} quote", quote_ == '"' ? "double" : "single"));
    end_word();
    LexedLine out;
    out.words = std::move(words_);
    out.trailing_backslash = trailing_backslash_;
    return out;
  }

 private:
  void end_word() {
    if (in_word_) words_.push_back(std::move(cur_));
    cur_.clear();
    in_word_ = false;
  }

  Result<void> escape() {
    in_word_ = true;
    if (pos_ + 1 >= in_.size() || in_[pos_ + 1] == '\n' || in_[pos_ + 1] == '\r') {
      // HAProxy has no continuation lines: the backslash stays a literal character.
      cur_ += '\\';
      ++pos_;
      if (quote_ == 0 && cur_ == "\\") trailing_backslash_ = true;
      return {};
    }
    char n = in_[pos_ + 1];
    switch (n) {
      case ' ': case '\t': case '#': case '\\': case '"': case '\'': case '$':
        cur_ += n; pos_ += 2; return {};
      case 'r': cur_ += '\r'; pos_ += 2; return {};
      case 'n': cur_ += '\n'; pos_ += 2; return {};
      case 't': cur_ += '\t'; pos_ += 2; return {};
      case 'x': {
        if (pos_ + 3 >= in_.size() || hex_value(in_[pos_ + 2]) < 0 ||
            hex_value(in_[pos_ + 3]) < 0)
          return fail("truncated or invalid hexadecimal sequence after '\\x'");
        cur_ += static_cast<char>(hex_value(in_[pos_ + 2]) * 16 + hex_value(in_[pos_ + 3]));
        pos_ += 4;
        return {};
      }
      default:
        cur_ += '\\';
        cur_ += n;
        pos_ += 2;
        return {};
    }
  }

  Result<void> variable() {
    size_t p = pos_ + 1;
    std::string name, def;
    bool has_def = false, brace = false, splat = false;
    if (p < in_.size() && in_[p] == '{') {
      brace = true;
      ++p;
      size_t close = in_.find('}', p);
      if (close == std::string_view::npos) return fail("missing closing '}' in '${' variable");
      std::string_view body = in_.substr(p, close - p);
      size_t i = 0;
      while (i < body.size() && is_var_char(body[i])) ++i;
      name = std::string(body.substr(0, i));
      std::string_view rest = body.substr(i);
      if (rest == "[*]") {
        splat = true;
      } else if (!rest.empty() && rest[0] == '-') {
        has_def = true;
        def = std::string(rest.substr(1));
      } else if (!rest.empty()) {
        return fail(fmt::format("invalid variable reference '${{{}}}'", body));
      }
      p = close + 1;
    } else {
      while (p < in_.size() && is_var_char(in_[p])) ++p;
      name = std::string(in_.substr(pos_ + 1, p - pos_ - 1));
    }
    if (name.empty()) {
      if (brace) return fail("empty variable name in '${}'");
      cur_ += '$';   // a lone '$' is literal
      in_word_ = true;
      ++pos_;
      return {};
    }
    std::optional<std::string> value = getenv_ ? getenv_(name) : std::nullopt;
    if (!value && has_def) value = def;
    std::string v = value.value_or("");
    pos_ = p;
    if (splat) {
      // One word per blank-separated part; the first joins the current word, the last
      // continues into whatever follows.
      size_t i = 0;
      bool first = true;
      while (i < v.size()) {
        while (i < v.size() && is_blank(v[i])) ++i;
        if (i >= v.size()) break;
        size_t j = i;
        while (j < v.size() && !is_blank(v[j])) ++j;
        if (!first) end_word();
        cur_ += v.substr(i, j - i);
        in_word_ = true;
        first = false;
        i = j;
      }
      return {};
    }
    cur_ += v;
    if (quote_ != 0) in_word_ = true;
    else if (!v.empty()) in_word_ = true;
    return {};
  }

  std::string_view in_;
  const GetEnv& getenv_;
  bool expand_unquoted_ = true;
  size_t pos_ = 0;
  char quote_ = 0;
  std::string cur_;
  bool in_word_ = false;
  bool trailing_backslash_ = false;
  std::vector<std::string> words_;
};

}  // namespace

Result<LexedLine> lex_line(std::string_view line, const GetEnv& getenv, bool expand_unquoted) {
  return Lexer(line, getenv, expand_unquoted).run();
}

}  // namespace sluice::config
