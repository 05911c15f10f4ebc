#include "config/lexer.h"

#include <fmt/format.h>

#include <cctype>

namespace sluice::config {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
// The value of a `${NAME[*]}` splits where C's isspace() says, as HAProxy's does.
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  Lexer(std::string_view line, const LexContext& ctx) : in_(line), ctx_(ctx) {}

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
        if (auto r = escape(); !r) return unexpected(r.error());
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
      if (c == '$' && quote_ == '"') {
        if (auto r = variable(); !r) return unexpected(r.error());
        continue;
      }
      cur_ += c;
      in_word_ = true;
      ++pos_;
    }
    if (quote_ != 0) return fail(fmt::format("unmatched {} quote", quote_ == '"' ? "double" : "single"));
    end_word();
    return finish();
  }

 private:
  void end_word() {
    if (in_word_) words_.push_back(std::move(cur_));
    cur_.clear();
    in_word_ = false;
  }

  LexedLine finish() {
    LexedLine out;
    size_t keep = 0;
    while (keep < words_.size() && !words_[keep].empty()) ++keep;
    for (size_t i = keep + 1; i < words_.size(); ++i)
      if (!words_[i].empty()) out.ignored.push_back(std::move(words_[i]));
    // Only a backslash that is still the last word is the caller's business; one that follows
    // an empty word is ignored with the rest.
    out.trailing_backslash = trailing_backslash_ && keep == words_.size();
    words_.resize(keep);
    out.words = std::move(words_);
    return out;
  }

  static auto error_at(size_t pos, std::string_view what) {
    return fail(fmt::format("{} at column {}", what, pos + 1));
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
      case ' ': case '\t': case '#': case '\\': case '"': case '\'':
        cur_ += n; pos_ += 2; return {};
      case '$':
        // Only meaningful where `$` is: inside double quotes. Elsewhere both characters stay.
        if (quote_ == '"') {
          cur_ += '$';
        } else {
          cur_ += "\\$";
        }
        pos_ += 2;
        return {};
      case 'r': cur_ += '\r'; pos_ += 2; return {};
      case 'n': cur_ += '\n'; pos_ += 2; return {};
      case 't': cur_ += '\t'; pos_ += 2; return {};
      case 'x': {
        if (pos_ + 3 >= in_.size() || hex_value(in_[pos_ + 2]) < 0 || hex_value(in_[pos_ + 3]) < 0)
          return error_at(pos_, "truncated or invalid hexadecimal sequence after '\\x'");
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

  std::optional<std::string> lookup(std::string_view name) const {
    if (name == ".FILE") return std::string(ctx_.file);
    if (name == ".LINE") return std::to_string(ctx_.line);
    if (name == ".SECTION") return std::string(ctx_.section);
    return ctx_.getenv ? ctx_.getenv(name) : std::nullopt;
  }

  // At a `$` inside double quotes.
  Result<void> variable() {
    const size_t dollar = pos_;
    size_t p = pos_ + 1;
    bool brace = p < in_.size() && in_[p] == '{';
    if (brace) ++p;
    size_t name_start = p;
    if (p >= in_.size() || !(is_alpha(in_[p]) || in_[p] == '_' || in_[p] == '.'))
      return error_at(dollar, "a variable name must start with a letter, '_' or '.' (write '\\$' for a literal '$')");
    if (in_[p] == '.') ++p;
    while (p < in_.size() && is_name_char(in_[p])) ++p;
    std::string_view name = in_.substr(name_start, p - name_start);
    if (name[0] == '.' && name != ".FILE" && name != ".LINE" && name != ".SECTION")
      return error_at(dollar, fmt::format("unknown pseudo-variable '{}' (.FILE, .LINE and .SECTION exist)", name));
    std::optional<std::string> value = lookup(name);
    bool split = false;
    if (brace) {
      if (p < in_.size() && in_[p] == '[') {
        if (in_.substr(p, 3) != "[*]")
          return error_at(p, "invalid word expansion: only '[*]' may follow a variable name");
        split = true;
        p += 3;
      }
      if (p < in_.size() && in_[p] == '-') {
        size_t close = in_.find('}', p);
        if (close == std::string_view::npos)
          return error_at(dollar, "missing closing '}' in '${' variable");
        if (!value) value = std::string(in_.substr(p + 1, close - p - 1));
        p = close;
      }
      if (p >= in_.size() || in_[p] != '}')
        return error_at(dollar, "missing closing '}' in '${' variable");
      ++p;
    }
    pos_ = p;
    if (!value) return {};   // unset: nothing, as in HAProxy
    if (!split) {
      cur_ += *value;
      return {};
    }
    // One word per run of blanks: each run ends the word being built (even an empty one, so
    // a leading blank yields an empty word, as in HAProxy) and starts the next.
    const std::string& v = *value;
    for (size_t i = 0; i < v.size();) {
      if (is_space(v[i])) {
        words_.push_back(std::move(cur_));
        cur_.clear();
        while (i < v.size() && is_space(v[i])) ++i;
      } else {
        cur_ += v[i++];
      }
    }
    return {};
  }

  std::string_view in_;
  const LexContext& ctx_;
  size_t pos_ = 0;
  char quote_ = 0;
  std::string cur_;
  bool in_word_ = false;
  bool trailing_backslash_ = false;
  std::vector<std::string> words_;
};

}  // namespace

Result<LexedLine> lex_line(std::string_view line, const LexContext& ctx) { return Lexer(line, ctx).run(); }

Result<LexedLine> lex_line(std::string_view line, const GetEnv& getenv) {
  LexContext ctx;
  ctx.getenv = getenv;
  return lex_line(line, ctx);
}

}  // namespace sluice::config
