// Section structure, `defaults` inheritance and the public load_* entry points.
//
// Inheritance follows HAProxy: a proxy starts as a copy of the last `defaults` section before
// it (or of the one named with `from NAME`), then its own lines overwrite or append. `no
// option X` therefore simply records an explicit false.
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config/cond_blocks.h"
#include "config/lexer.h"
#include "config/parse_internal.h"

namespace sluice::config {
namespace {

using detail::Diags;
using detail::Env;
using detail::Line;
using Kind = ProxyConfig::Kind;

constexpr std::string_view kProxySections[] = {"defaults", "frontend", "backend", "listen"};
constexpr std::string_view kUnsupportedSections[] = {"peers", "resolvers", "program",
    "mailers", "cache", "ring", "log-forward", "crt-store", "traces", "dynamic-update",
    "fcgi-app", "acme"};

bool valid_proxy_name(std::string_view n) {
  return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ':';
  });
}

bool looks_like_address(std::string_view s) {
  // `listen 127.0.0.1:80`, `listen :80`, `listen *:80`, `listen 0.0.0.0:81`
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= s.size()) return false;
  std::string_view port = s.substr(colon + 1);
  if (!std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '-'; }))
    return false;
  std::string_view host = s.substr(0, colon);
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '*' || c == ':' || c == '[' || c == ']';
  });
}

class Parser {
 public:
  explicit Parser(const LoadOptions& opts)
      : opts_(opts), environment_(opts_.getenv), env_{diags_, opts_, environment_} {
    opts_.getenv = environment_.lookup();   // every lookup sees `setenv` & co. of the lines before
    last_defaults_.kind = Kind::Defaults;
  }

  void add_file_error(const std::string& file, std::string msg) { diags_.error({file, 0}, std::move(msg)); }

  void parse_text(std::string_view text, const std::string& file) {
    files_.push_back(file);
    int lineno = 0;
    size_t pos = 0;
    std::string joined;
    int first_line = 0;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      ++lineno;
      // sluice extension: a line ending with a lone `\` continues on the next line, so that
      // configurations written that way (as in some published articles) load. HAProxy has no
      // continuation lines; a warning says so, to keep such files portable.
      std::string_view trimmed = raw;
      while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t' || trimmed.back() == '\r'))
        trimmed.remove_suffix(1);
      bool continues = trimmed.size() >= 2 && trimmed.back() == '\\' &&
                       (trimmed[trimmed.size() - 2] == ' ' || trimmed[trimmed.size() - 2] == '\t') &&
                       trimmed.find('#') == std::string_view::npos && nl != std::string_view::npos;
      if (continues) {
        if (joined.empty()) first_line = lineno;
        joined.append(trimmed.substr(0, trimmed.size() - 1));
        joined.push_back(' ');
      } else if (!joined.empty()) {
        joined.append(raw);
        diags_.warning({file, first_line}, "line continued with '\\' (a sluice extension: HAProxy has no continuation lines)");
        parse_line(joined, {file, first_line});
        joined.clear();
      } else {
        parse_line(raw, {file, lineno});
      }
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
    close_section();   // a section never spans two files
    cond_.end_of_file(diags_);
  }

  LoadResult finish() {
    close_section();
    Config c;
    c.global = std::move(global_);
    c.proxies = std::move(proxies_);
    c.files = files_;
    c.userlists = std::move(userlists_);
    c.http_errors = std::move(http_errors_);
    detail::validate(c, env_);
    detail::validate_userlists(c, env_);
    detail::validate_errors(c, env_);
    LoadResult out;
    // Diagnostics in file order: stable-sort by (file position in the load order, line).
    auto file_index = [&](const std::string& f) {
      auto it = std::find(files_.begin(), files_.end(), f);
      return it == files_.end() ? files_.size() : static_cast<size_t>(it - files_.begin());
    };
    auto& list = diags_.list();
    std::stable_sort(list.begin(), list.end(), [&](const Diagnostic& a, const Diagnostic& b) {
      auto fa = file_index(a.loc.file), fb = file_index(b.loc.file);
      if (fa != fb) return fa < fb;
      return a.loc.line < b.loc.line;
    });
    out.diagnostics = std::move(list);
    if (!diags_.has_errors()) out.config = std::move(c);
    return out;
  }

 private:
  enum class Section { None, Global, Proxy, Defaults, Userlist, HttpErrors, Skipped };

  void parse_line(std::string_view raw, const SourceLoc& loc) {
    auto lexed = lex_line(raw, LexContext{opts_.getenv, loc.file, loc.line, section_label_});
    if (!lexed) {
      diags_.error(loc, lexed.error().message);
      return;
    }
    if (!lexed->ignored.empty())
      diags_.warning(loc, fmt::format("'{}' ignored: an empty argument ends the line's arguments, as in HAProxy",
                                      detail::join(lexed->ignored)));
    Line l{loc, std::move(lexed->words)};
    if (lexed->trailing_backslash) {
      diags_.error(loc, "line ends with '\\': HAProxy has no line continuation, write the statement on one line");
      l.words.pop_back();
    }
    if (l.words.empty()) return;
    if (cond_.handle(l, diags_) || !cond_.active()) return;
    const std::string& k = l.words[0];
    if (k == "global") return open_global(l);
    if (std::find(std::begin(kProxySections), std::end(kProxySections), k) != std::end(kProxySections))
      return open_proxy(l);
    if (k == "userlist") {
      close_section();
      UserlistConfig* ul = detail::open_userlist(userlists_, l, env_);
      section_ = Section::Skipped;
      if (ul != nullptr) section_ = Section::Userlist, cur_userlist_ = static_cast<size_t>(ul - userlists_.data());
      return;
    }
    if (k == "http-errors") {
      close_section();
      HttpErrorsSection* he = detail::open_http_errors(http_errors_, l, env_);
      section_ = Section::Skipped;
      if (he != nullptr) section_ = Section::HttpErrors, cur_http_errors_ = http_errors_.size() - 1;
      return;
    }
    if (std::find(std::begin(kUnsupportedSections), std::end(kUnsupportedSections), k) !=
        std::end(kUnsupportedSections)) {
      close_section();
      section_ = Section::Skipped;
      section_label_ = l.words.size() > 1 ? l.words[1] : k;
      diags_.error(loc, fmt::format("section '{}' is not supported by sluice yet", k));
      return;
    }
    switch (section_) {
      case Section::None: {
        std::vector<std::string_view> names(std::begin(kProxySections), std::end(kProxySections));
        names.push_back("global");
        names.push_back("userlist");
        names.push_back("http-errors");
        diags_.error(loc, fmt::format("unknown keyword '{}' out of section{}", k, detail::suggest(k, names)));
        return;
      }
      case Section::Global: return detail::parse_global_line(global_, l, env_);
      case Section::Defaults: return detail::parse_proxy_line(cur_defaults_, l, env_);
      case Section::Proxy: return detail::parse_proxy_line(proxies_.back(), l, env_);
      case Section::Userlist: return detail::parse_userlist_line(userlists_[cur_userlist_], l, env_);
      case Section::HttpErrors: return detail::parse_http_errors_line(http_errors_[cur_http_errors_], l, env_);
      case Section::Skipped: return;
    }
  }

  void close_section() {
    if (section_ == Section::Defaults) {
      last_defaults_ = cur_defaults_;
      if (!cur_defaults_.name.empty()) named_defaults_[cur_defaults_.name] = cur_defaults_;
    }
    section_ = Section::None;
    section_label_.clear();
  }

  void open_global(const Line& l) {
    close_section();
    if (l.words.size() > 1) diags_.error(l.loc, "'global' takes no argument");
    if (global_.loc.line == 0) global_.loc = l.loc;
    section_ = Section::Global;
    section_label_ = "global";
  }

  // Returns the defaults to copy for `from NAME` (or the last one).
  const ProxyConfig* lookup_defaults(const std::string& name, const SourceLoc& loc) {
    if (name.empty()) return &last_defaults_;
    auto it = named_defaults_.find(name);
    if (it != named_defaults_.end()) return &it->second;
    std::vector<std::string_view> names;
    for (const auto& [n, _] : named_defaults_) names.push_back(n);
    diags_.error(loc, fmt::format("no 'defaults' section named '{}' before this point{}", name, detail::suggest(name, names)));
    return nullptr;
  }

  void open_proxy(const Line& l) {
    close_section();
    const auto& w = l.words;
    const std::string& k = w[0];
    Kind kind = k == "defaults" ? Kind::Defaults : k == "frontend" ? Kind::Frontend : k == "backend" ? Kind::Backend : Kind::Listen;
    std::string name, from, inline_bind;
    size_t i = 1;
    if (i < w.size() && w[i] != "from") name = w[i++];
    if (i < w.size() && w[i] != "from" && kind != Kind::Defaults && kind != Kind::Backend) inline_bind = w[i++];
    if (i < w.size() && w[i] == "from") {
      if (i + 1 >= w.size()) diags_.error(l.loc, "'from' expects the name of a 'defaults' section");
      else from = w[i + 1];
      i += 2;
    }
    if (i < w.size()) diags_.error(l.loc, fmt::format("'{}': unexpected argument '{}'", k, w[i]));
    bool nameless = false;
    if (kind != Kind::Defaults && inline_bind.empty() && looks_like_address(name) &&
        (kind == Kind::Listen || kind == Kind::Frontend)) {
      // HAProxy 1.x: `listen ADDR:PORT` without a name.
      inline_bind = name;
      nameless = true;
      diags_.warning(l.loc, fmt::format("'{} {}' has no name (HAProxy 1.x form); it is named '{}'. HAProxy 2.x "
                                        "requires '{} <name>' and a 'bind' line", k, name, name, k));
    } else if (!inline_bind.empty()) {
      diags_.warning(l.loc, fmt::format("address on the '{}' line is a HAProxy 1.x form; use 'bind {}'", k, inline_bind));
    }
    if (kind != Kind::Defaults && name.empty()) {
      diags_.error(l.loc, fmt::format("'{}' expects a name", k));
      name = fmt::format("<unnamed:{}>", l.loc.line);
    } else if (!name.empty() && !nameless && !valid_proxy_name(name)) {
      diags_.error(l.loc, fmt::format("invalid proxy name '{}' (letters, digits, '-', '_', '.' and ':' only)", name));
    }
    if (kind == Kind::Defaults) {
      ProxyConfig d;
      if (!from.empty()) {
        if (const auto* base = lookup_defaults(from, l.loc)) d = *base;
      }
      d.kind = Kind::Defaults;
      d.name = name;
      d.from = from;
      d.loc = l.loc;
      cur_defaults_ = std::move(d);
      section_ = Section::Defaults;
      section_label_ = name.empty() ? "defaults" : name;
      return;
    }
    const ProxyConfig* base = lookup_defaults(from, l.loc);
    ProxyConfig p = base ? *base : ProxyConfig{};
    p.from = base ? base->name : from;
    p.kind = kind;
    p.name = name;
    p.loc = l.loc;
    proxies_.push_back(std::move(p));
    section_ = Section::Proxy;
    section_label_ = name;
    if (!inline_bind.empty()) {
      detail::parse_proxy_line(proxies_.back(), Line{l.loc, {"bind", inline_bind}}, env_);
    }
  }

  LoadOptions opts_;
  Environment environment_;
  Diags diags_;
  Env env_;
  Section section_ = Section::None;
  std::string section_label_;   // ${.SECTION}
  GlobalConfig global_;
  std::vector<ProxyConfig> proxies_;
  ProxyConfig cur_defaults_, last_defaults_;
  std::map<std::string, ProxyConfig, std::less<>> named_defaults_;
  std::vector<std::string> files_;
  std::vector<UserlistConfig> userlists_;
  std::vector<HttpErrorsSection> http_errors_;
  size_t cur_userlist_ = 0, cur_http_errors_ = 0;   // indices: the vectors grow
  detail::CondBlocks cond_{cond_context()};

  CondContext cond_context() const {
    CondContext c = process_cond_context();
    c.getenv = environment_.lookup();   // injected by tests, changed by `setenv` & co.
    return c;
  }
};

}  // namespace

LoadResult load_string(std::string_view text, std::string_view file_name, const LoadOptions& opts) {
  Parser p(opts);
  p.parse_text(text, std::string(file_name));
  return p.finish();
}

LoadResult load_files(const std::vector<std::string>& paths, const LoadOptions& opts) {
  Parser p(opts);
  auto read_one = [&](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      p.add_file_error(path, fmt::format("cannot open configuration file '{}'", path));
      return;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    p.parse_text(ss.str(), path);
  };
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (std::filesystem::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".cfg" && it->is_regular_file(ec)) files.push_back(it->path().string());
      }
      if (ec) p.add_file_error(path, fmt::format("cannot read directory '{}': {}", path, ec.message()));
      std::sort(files.begin(), files.end());
      for (const auto& f : files) read_one(f);
    } else {
      read_one(path);
    }
  }
  return p.finish();
}

}  // namespace sluice::config
