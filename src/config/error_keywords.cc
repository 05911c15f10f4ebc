// Custom error answers: `http-errors` sections and the proxy keywords errorfile, errorfiles,
// errorloc, errorloc302, errorloc303 and http-error (HAProxy manual 3.8 and 4.2).
//
// Files are read and checked while the line is parsed, so that a bad file is reported at the
// line naming it (as `haproxy -c` does), and their bytes are kept in the model: what -c
// checked is what is served. References to `http-errors` sections are resolved once every
// section is read (a section may come after the proxy using it).
#include <algorithm>
#include <fstream>
#include <sstream>

#include "config/parse_internal.h"
#include "http/errors.h"

namespace sluice::config::detail {
namespace {

using W = const std::vector<std::string>&;

Result<uint16_t> error_code(std::string_view kw, std::string_view text) {
  auto n = parse_uint(text, 999);
  if (!n || !http::has_error_page(static_cast<uint16_t>(*n)))
    return fail(fmt::format("{}: status code '{}' not handled (codes: 200, 400, 401, 403, 404, 405, 407, 408, 410, "
                            "413, 421, 422, 425, 429, 500, 501, 502, 503, 504)", kw, text));
  return static_cast<uint16_t>(*n);
}

// load_errorfile's messages already start with "errorfile '<path>'".
Result<std::string> read_errorfile(std::string_view kw, const std::string& path) {
  auto page = http::load_errorfile(path);
  if (!page) return fail(kw == "errorfile" ? page.error().message : fmt::format("{}: {}", kw, page.error().message));
  return std::move(*page);
}

// A header or body value that HAProxy would evaluate as a log-format: sluice serves literal
// text only until `%[...]` formats exist, so a '%' refuses the line rather than sending it
// verbatim where HAProxy would substitute.
bool has_format(std::string_view s) { return s.find('%') != std::string_view::npos; }

}  // namespace

Result<void> kw_errorfile(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (w.size() != 3) return fail("'errorfile' expects <status_code> and <file> as arguments");
  auto code = error_code("errorfile", w[1]);
  if (!code) return unexpected(code.error());
  auto page = read_errorfile("errorfile", w[2]);
  if (!page) return unexpected(page.error());
  p.errors.push_back({ErrorReply::Kind::Page, *code, {}, {}, std::move(*page), l.loc});
  return {};
}

Result<void> kw_errorfiles(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (w.size() < 2) return fail("'errorfiles' expects <name> as argument");
  ErrorReply e{ErrorReply::Kind::Section, 0, {}, w[1], {}, l.loc};
  for (size_t i = 2; i < w.size(); ++i) {
    auto code = error_code("errorfiles", w[i]);
    if (!code) return unexpected(code.error());
    e.codes.push_back(*code);
  }
  p.errors.push_back(std::move(e));
  return {};
}

Result<void> kw_errorloc(ProxyConfig& p, const Line& l, Env&) {
  W w = l.words;
  if (w.size() < 3) return fail(fmt::format("'{}' expects <status_code> and <url> as arguments", w[0]));
  if (w.size() > 3) return fail(fmt::format("'{}': unexpected argument '{}'", w[0], w[3]));
  auto code = error_code(w[0], w[1]);
  if (!code) return unexpected(code.error());
  if (w[2].find_first_of("\r\n") != std::string::npos) return fail(fmt::format("'{}': invalid URL", w[0]));
  p.errors.push_back({ErrorReply::Kind::Page, *code, {}, {},
                      http::redirect_reply(w[0] == "errorloc303" ? 303 : 302, w[2]), l.loc});
  return {};
}

// http-error status <code> [content-type <type>]
//   [ default-errorfiles | errorfile <file> | errorfiles <name> | file <file> | lf-file <file>
//     | string <str> | lf-string <fmt> ] [ hdr <name> <fmt> ]*
Result<void> kw_http_error(ProxyConfig& p, const Line& l, Env& env) {
  W w = l.words;
  if (w.size() < 3 || w[1] != "status") return fail("'http-error' expects at least a <status> as arguments");
  auto code = error_code("http-error", w[2]);
  if (!code) return unexpected(code.error());
  std::string content_type, payload_kw, payload, errorfile, section;
  std::vector<std::pair<std::string, std::string>> headers;
  bool payload_set = false, reset = false;
  for (size_t i = 3; i < w.size(); ++i) {
    const std::string& k = w[i];
    auto value = [&]() -> Result<std::string> {
      if (i + 1 >= w.size()) return fail(fmt::format("http-error: '{}' expects an argument", k));
      return w[++i];
    };
    if (k == "content-type") {
      auto v = value();
      if (!v) return unexpected(v.error());
      content_type = *v;
    } else if (k == "default-errorfiles" || k == "errorfile" || k == "errorfiles" || k == "file" || k == "lf-file" ||
               k == "string" || k == "lf-string") {
      if (payload_set)
        return fail(fmt::format("http-error: unexpected '{}' argument, '{}' already defined", k, payload_kw));
      payload_set = true;
      payload_kw = k;
      if (k == "default-errorfiles") {
        reset = true;
        continue;
      }
      auto v = value();
      if (!v) return unexpected(v.error());
      if (k == "lf-file" || (k == "lf-string" && has_format(*v)))
        return fail(fmt::format("http-error: '{}' (a log-format payload) is not supported by sluice yet", k));
      if (k == "errorfile") {
        auto page = read_errorfile("http-error", *v);
        if (!page) return unexpected(page.error());
        errorfile = std::move(*page);
      } else if (k == "errorfiles") {
        section = *v;
      } else if (k == "file") {
        std::ifstream in(*v, std::ios::binary);
        if (!in) return fail(fmt::format("http-error: error opening file '{}'", *v));
        std::stringstream ss;
        ss << in.rdbuf();
        payload = ss.str();
      } else {
        payload = *v;   // string, or an lf-string without any '%' (the same text)
      }
    } else if (k == "hdr") {
      if (i + 2 >= w.size()) return fail("http-error: 'hdr' expects <name> and <value> as arguments");
      std::string name = w[i + 1], val = w[i + 2];
      i += 2;
      if (has_format(val))
        return fail(fmt::format("http-error: 'hdr {}' with a log-format value ('{}') is not supported by sluice yet",
                                name, val));
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      if (lower == "content-length" || lower == "transfer-encoding" || lower == "content-type") {
        env.diags.warning(l.loc, fmt::format("header '{}' always ignored by the http reply", name));
        continue;
      }
      headers.emplace_back(std::move(lower), std::move(val));
    } else {
      return fail(fmt::format("http-error: unknown keyword '{}'", k));
    }
  }
  ErrorReply e{ErrorReply::Kind::Page, *code, {}, {}, {}, l.loc};
  if (reset) {
    e.kind = ErrorReply::Kind::Default;
  } else if (!section.empty()) {
    e.kind = ErrorReply::Kind::Section;
    e.section = section;
    e.codes = {*code};
  } else if (payload_kw == "errorfile") {
    e.page = std::move(errorfile);
  } else {
    if (!payload.empty() && content_type.empty())
      return fail("http-error: a content type must be defined when non-empty payload is configured");
    if (payload.empty() && !content_type.empty()) {
      env.diags.warning(l.loc, fmt::format("content-type '{}' ignored by the http reply {}", content_type,
                                           payload_set ? "when used with an empty payload"
                                                       : "because neither errorfile nor payload defined"));
      content_type.clear();
    }
    auto reply = http::build_reply(*code, content_type, payload, headers);
    if (!reply) return fail(fmt::format("http-error: {}", reply.error().message));
    e.page = std::move(*reply);
  }
  if (e.kind != ErrorReply::Kind::Page && (!headers.empty() || !content_type.empty()))
    env.diags.warning(l.loc, fmt::format("http-error: content-type and hdr are ignored with '{}'", payload_kw));
  p.errors.push_back(std::move(e));
  return {};
}

HttpErrorsSection* open_http_errors(std::vector<HttpErrorsSection>& sections, const Line& l, Env& env) {
  if (l.words.size() < 2 || l.words[1].empty()) {
    env.diags.error(l.loc, "missing name for http-errors section");
    return nullptr;
  }
  if (l.words.size() > 2) {
    env.diags.error(l.loc, fmt::format("'http-errors': unexpected argument '{}'", l.words[2]));
    return nullptr;
  }
  for (const auto& s : sections) {
    if (s.name == l.words[1]) {
      env.diags.error(l.loc, fmt::format("http-errors section '{}' already exists (declared at {}:{})", s.name,
                                         s.loc.file, s.loc.line));
      return nullptr;
    }
  }
  sections.push_back({l.words[1], {}, l.loc});
  return &sections.back();
}

void parse_http_errors_line(HttpErrorsSection& s, const Line& l, Env& env) {
  W w = l.words;
  Result<void> r;
  if (w[0] != "errorfile") {
    static constexpr std::string_view kKeywords[] = {"errorfile"};
    r = fail(fmt::format("unknown keyword '{}' in 'http-errors' section{}", w[0], suggest(w[0], kKeywords)));
  } else if (w.size() != 3) {
    r = fail("'errorfile' expects <status_code> and <file> as arguments");
  } else if (auto code = error_code("errorfile", w[1]); !code) {
    r = unexpected(code.error());
  } else if (auto page = read_errorfile("errorfile", w[2]); !page) {
    r = unexpected(page.error());
  } else {
    s.pages[*code] = std::move(*page);
  }
  if (!r) env.diags.error(l.loc, r.error().message);
}

// Each proxy's `errorfiles` references: an unknown section is an error, a listed code the
// section does not define a warning (HAProxy's severities). Checked on the proxies that
// inherit a `defaults` line, not on the defaults section itself, as HAProxy does.
void validate_errors(const Config& c, Env& env) {
  for (const auto& p : c.proxies) {
    for (const auto& e : p.errors) {
      if (e.kind != ErrorReply::Kind::Section) continue;
      const HttpErrorsSection* s = c.find_http_errors(e.section);
      if (s == nullptr) {
        std::vector<std::string_view> names;
        for (const auto& h : c.http_errors) names.push_back(h.name);
        env.diags.error(e.loc, fmt::format("proxy '{}': unknown http-errors section '{}'{}", p.name, e.section,
                                           suggest(e.section, names)));
        continue;
      }
      for (uint16_t code : e.codes)
        if (!s->pages.contains(code))
          env.diags.warning(e.loc, fmt::format("proxy '{}': status '{}' not declared in http-errors section '{}'",
                                               p.name, code, e.section));
    }
  }
}

}  // namespace sluice::config::detail

namespace sluice::config {

const HttpErrorsSection* Config::find_http_errors(std::string_view name) const {
  for (const auto& s : http_errors)
    if (s.name == name) return &s;
  return nullptr;
}

const UserlistConfig* Config::find_userlist(std::string_view name) const {
  for (const auto& u : userlists)
    if (u.name == name) return &u;
  return nullptr;
}

std::map<uint16_t, std::string> Config::error_pages(const ProxyConfig& p) const {
  std::map<uint16_t, std::string> out;
  for (const auto& e : p.errors) {
    switch (e.kind) {
      case ErrorReply::Kind::Page: out[e.status] = e.page; break;
      case ErrorReply::Kind::Default: out.erase(e.status); break;
      case ErrorReply::Kind::Section: {
        const HttpErrorsSection* s = find_http_errors(e.section);
        if (s == nullptr) break;   // an error at load time
        if (e.codes.empty()) {
          for (const auto& [code, page] : s->pages) out[code] = page;
        } else {
          for (uint16_t code : e.codes)
            if (auto it = s->pages.find(code); it != s->pages.end()) out[code] = it->second;
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace sluice::config
