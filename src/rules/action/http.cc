// HTTP actions of http-request, http-response and http-after-response: each row carries its
// parser, and the object it returns runs the action on the live message (rule order).
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "http/errors.h"
#include "http/status.h"
#include "rules/action/helpers.h"
#include "rules/domains.h"
#include "rules/expr.h"

namespace sluice::rules {

namespace {

constexpr uint16_t kHttpAll = kHttpReq | kHttpRes | kAfterRes;

// ---- allow / deny / use-service ----------------------------------------------------------

class Allow final : public Action {
 public:
  Verdict run(Ctx&) const override { return Verdict::Stop; }
};
Result<std::unique_ptr<Action>> parse_allow(ActionParse& p) {
  if (p.words.size() > 1) return fail(fmt::format("unexpected '{}'", p.words[1]));
  return std::unique_ptr<Action>(new Allow);
}

class UseService final : public Action {
 public:
  explicit UseService(std::string name) : name_(std::move(name)) {}
  Verdict run(Ctx& c) const override {
    c.service = name_;
    return Verdict::Stop;
  }

 private:
  std::string name_;
};
Result<std::unique_ptr<Action>> parse_use_service(ActionParse& p) {
  if (p.words.size() != 2) return fail("expects a service name");
  if (p.words[1] != "prometheus-exporter")
    return fail(fmt::format("service '{}' is not supported by sluice (only prometheus-exporter)", p.words[1]));
  return std::unique_ptr<Action>(new UseService(p.words[1]));
}

// ---- headers -----------------------------------------------------------------------------

class SetHeader final : public Action {
 public:
  SetHeader(std::string name, Format value, bool replace) : name_(std::move(name)), value_(std::move(value)), replace_(replace) {}
  Verdict run(Ctx& c) const override {
    auto* hs = message_headers(c);
    if (hs == nullptr) return Verdict::Continue;
    // The value is computed before the old header goes: set-header X %[hdr(X)],lower works.
    std::string_view v = value_.render(c);
    if (replace_) remove_headers(*hs, [&](std::string_view n) { return ieq(n, name_); });
    hs->push_back({name_, v});
    return Verdict::Continue;
  }

 private:
  std::string name_;
  Format value_;
  bool replace_;
};
Result<std::unique_ptr<Action>> parse_set_header(ActionParse& p) {
  if (p.words.size() != 3) return fail("expects <name> <format>");
  if (auto r = check_header_name(p.words[1]); !r) return unexpected(r.error());
  auto f = Format::compile(p.words[2], p.cc);
  if (!f) return unexpected(f.error());
  return std::unique_ptr<Action>(new SetHeader(p.words[1], std::move(*f), p.words[0] == "set-header"));
}

class DelHeader final : public Action {
 public:
  enum class How : uint8_t { Str, Beg, End, Sub, Reg };
  DelHeader(std::string name, How how, std::optional<core::Regex> re) : name_(std::move(name)), how_(how), re_(std::move(re)) {}
  Verdict run(Ctx& c) const override {
    auto* hs = message_headers(c);
    if (hs == nullptr) return Verdict::Continue;
    remove_headers(*hs, [&](std::string_view n) {
      switch (how_) {
        case How::Str: return ieq(n, name_);
        case How::Beg: return n.size() >= name_.size() && ieq(n.substr(0, name_.size()), name_);
        case How::End: return n.size() >= name_.size() && ieq(n.substr(n.size() - name_.size()), name_);
        case How::Sub: return icontains(n, name_);
        case How::Reg: return re_->search(n);
      }
      return false;
    });
    return Verdict::Continue;
  }

 private:
  std::string name_;
  How how_;
  std::optional<core::Regex> re_;
};
Result<std::unique_ptr<Action>> parse_del_header(ActionParse& p) {
  if (p.words.size() != 2 && !(p.words.size() == 4 && p.words[2] == "-m"))
    return fail("expects <name> [-m <method>]");
  DelHeader::How how = DelHeader::How::Str;
  std::optional<core::Regex> re;
  if (p.words.size() == 4) {
    const std::string& m = p.words[3];
    if (m == "str") how = DelHeader::How::Str;
    else if (m == "beg") how = DelHeader::How::Beg;
    else if (m == "end") how = DelHeader::How::End;
    else if (m == "sub") how = DelHeader::How::Sub;
    else if (m == "reg") {
      how = DelHeader::How::Reg;
      auto r = core::Regex::compile(p.words[1], {.icase = true});
      if (!r) return unexpected(r.error());
      re = std::move(*r);
    } else {
      return fail(fmt::format("-m {}: unknown matching method (str, beg, end, sub or reg)", m));
    }
  }
  // Other methods may catch Content-Length or Transfer-Encoding: build_*_head re-derives
  // the framing from what was parsed, so that is harmless.
  if (how == DelHeader::How::Str) {
    if (auto r = check_header_name(p.words[1]); !r) return unexpected(r.error());
  }
  return std::unique_ptr<Action>(new DelHeader(p.words[1], how, std::move(re)));
}

// ---- set-status -------------------------------------------------------------------------

class SetStatus final : public Action {
 public:
  SetStatus(uint16_t status, std::string reason) : status_(status), reason_(std::move(reason)) {}
  Verdict run(Ctx& c) const override {
    if (c.rsp == nullptr) return Verdict::Continue;
    c.rsp->status = status_;
    c.rsp->reason = reason_;
    return Verdict::Continue;
  }

 private:
  uint16_t status_;
  std::string reason_;
};
Result<std::unique_ptr<Action>> parse_set_status(ActionParse& p) {
  if (p.words.size() != 2 && !(p.words.size() == 4 && p.words[2] == "reason"))
    return fail("expects <status> [reason <text>]");
  auto n = parse_status(p.words[1]);
  if (!n) return unexpected(n.error());
  // The response was framed by its own status; a 1xx, 204 or 304 has no body, so setting one
  // would let the client read the body as the next response.
  if (*n < 200 || *n == 204 || *n == 304)
    return fail(fmt::format("status {} is not supported by sluice: it changes how the response is framed", *n));
  std::string reason = p.words.size() == 4 ? p.words[3] : std::string(http::status_reason(*n));
  for (char ch : reason)
    if (ch == '\r' || ch == '\n' || ch == '\0') return fail("the reason contains a line break or NUL");
  return std::unique_ptr<Action>(new SetStatus(*n, std::move(reason)));
}

// ---- deny / return / tarpit: a reply ---------------------------------------------------
// The reply arguments HAProxy shares between deny, return and tarpit (and http-error):
// [status N] [content-type T] [default-errorfiles | errorfile F | errorfiles NAME | file F |
// lf-file F | string S | lf-string FMT] [hdr NAME FMT]*.

Result<std::string> read_file(std::string_view kw, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(fmt::format("'{}': cannot open file '{}'", kw, path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The status of a full HTTP/1 response as written in an errorfile ("HTTP/1.x NNN ...").
uint16_t page_status(std::string_view page) {
  if (page.size() < 12) return 0;
  uint16_t v = 0;
  for (char ch : page.substr(9, 3)) {
    if (ch < '0' || ch > '9') return 0;
    v = static_cast<uint16_t>(v * 10 + (ch - '0'));
  }
  return v;
}

// A failed rewrite (a value with CR, LF, space or NUL): HAProxy's strict mode, on by default,
// turns it into an internal error.
Verdict rewrite_failed(Ctx& c) {
  if ((c.phase & kAfterRes) != 0) return Verdict::Continue;   // it cannot answer any more
  c.reply = {};
  c.reply.kind = Reply::Kind::Error;
  c.reply.status = 500;
  c.reply.log_reason = "rewrite failed";
  return Verdict::Answered;
}

bool valid_value(std::string_view v) {
  for (char ch : v)
    if (ch == '\r' || ch == '\n' || ch == '\0') return false;
  return true;
}

class ReplyAction final : public Action {
 public:
  enum class What : uint8_t { Deny, Return, Tarpit };
  enum class Payload : uint8_t { ErrorPage, Empty, Text, Fmt, Page };
  What what = What::Return;
  Payload payload = Payload::Empty;
  uint16_t status = 0;          // 0: the default for the phase
  std::string content_type, text, page;
  std::optional<Format> body_fmt;
  std::vector<std::pair<std::string, Format>> hdrs;
  const std::string* ext_page = nullptr;   // errorfiles NAME: the section's page (the runtime owns it)

  Verdict run(Ctx& c) const override {
    c.reply = {};
    Reply& r = c.reply;
    r.status = status;
    if (r.status == 0)
      r.status = what == What::Return ? 200 : what == What::Tarpit ? 500 : (c.phase & kHttpRes) != 0 ? 502 : 403;
    r.log_reason = what == What::Return ? "return" : what == What::Tarpit ? "tarpit" : "denied by rule";
    switch (payload) {
      case Payload::ErrorPage: r.kind = Reply::Kind::Error; break;
      case Payload::Page:
        r.kind = Reply::Kind::Error;
        r.raw_page = ext_page != nullptr ? ext_page : &page;
        break;
      case Payload::Empty: r.kind = Reply::Kind::Full; break;
      case Payload::Text:
        r.kind = Reply::Kind::Full;
        r.body = text;
        break;
      case Payload::Fmt:
        r.kind = Reply::Kind::Full;
        r.body = body_fmt->render(c);
        break;
    }
    if (r.kind == Reply::Kind::Full && !r.body.empty()) r.content_type = content_type;
    for (const auto& [n, f] : hdrs) {
      std::string_view v = f.render(c);
      if (valid_value(v)) r.headers.emplace_back(n, v);
    }
    r.tarpit = what == What::Tarpit;
    return Verdict::Answered;
  }
};

Result<std::unique_ptr<Action>> parse_reply(ActionParse& p) {
  auto a = std::make_unique<ReplyAction>();
  const std::string& kw = p.words[0];
  a->what = kw == "deny" ? ReplyAction::What::Deny : kw == "tarpit" ? ReplyAction::What::Tarpit : ReplyAction::What::Return;
  a->payload = a->what == ReplyAction::What::Return ? ReplyAction::Payload::Empty : ReplyAction::Payload::ErrorPage;
  std::string payload_kw, section;
  for (size_t i = 1; i < p.words.size(); ++i) {
    const std::string& k = p.words[i];
    auto value = [&]() -> Result<std::string> {
      if (i + 1 >= p.words.size()) return fail(fmt::format("'{}' expects an argument", k));
      return p.words[++i];
    };
    if (k == "status" || (k == "deny_status" && a->what != ReplyAction::What::Return)) {
      auto v = value();
      if (!v) return unexpected(v.error());
      auto n = parse_status(*v);
      if (!n) return unexpected(n.error());
      if (*n < 200) return fail(fmt::format("status code '{}' is not a final status (200 to 599)", *n));
      a->status = *n;
    } else if (k == "content-type") {
      auto v = value();
      if (!v) return unexpected(v.error());
      if (!valid_value(*v)) return fail("the content type contains a line break or NUL");
      a->content_type = *v;
    } else if (k == "default-errorfiles" || k == "errorfile" || k == "errorfiles" || k == "file" || k == "lf-file" ||
               k == "string" || k == "lf-string") {
      if (!payload_kw.empty()) return fail(fmt::format("unexpected '{}' argument, '{}' already defined", k, payload_kw));
      payload_kw = k;
      if (k == "default-errorfiles") {
        a->payload = ReplyAction::Payload::ErrorPage;
        continue;
      }
      auto v = value();
      if (!v) return unexpected(v.error());
      if (k == "errorfiles") {
        section = *v;
        continue;
      }
      if (k == "errorfile") {
        auto pg = http::load_errorfile(*v);
        if (!pg) return unexpected(pg.error());
        a->page = std::move(*pg);
        a->payload = ReplyAction::Payload::Page;
        if (a->page.empty()) return fail(fmt::format("errorfile '{}' is empty", *v));
        continue;
      }
      std::string body = *v;
      if (k == "file" || k == "lf-file") {
        auto f = read_file(k, *v);
        if (!f) return unexpected(f.error());
        body = std::move(*f);
      }
      if (k == "lf-file" || k == "lf-string") {
        auto f = Format::compile(body, p.cc);
        if (!f) return unexpected(f.error());
        a->body_fmt = std::move(*f);
        a->payload = ReplyAction::Payload::Fmt;
      } else {
        a->text = std::move(body);
        a->payload = a->text.empty() ? ReplyAction::Payload::Empty : ReplyAction::Payload::Text;
      }
    } else if (k == "hdr") {
      if (i + 2 >= p.words.size()) return fail("'hdr' expects <name> and <fmt> as arguments");
      std::string name = p.words[i + 1];
      std::string_view val = p.words[i + 2];
      i += 2;
      // HAProxy ignores these three (the reply frames itself and has its content-type).
      if (ieq(name, "content-length") || ieq(name, "transfer-encoding") || ieq(name, "content-type")) {
        if (p.cc.warnings != nullptr)
          p.cc.warnings->push_back(fmt::format("header '{}' always ignored by the http reply", name));
        continue;
      }
      if (auto r = check_header_name(name); !r) return unexpected(r.error());
      auto f = Format::compile(val, p.cc);
      if (!f) return unexpected(f.error());
      a->hdrs.emplace_back(std::move(name), std::move(*f));
    } else {
      return fail(fmt::format("argument '{}' is not supported by sluice (status, content-type, default-errorfiles, "
                              "errorfile, file, lf-file, string, lf-string, hdr)", k));
    }
  }
  bool has_body = a->payload == ReplyAction::Payload::Text || a->payload == ReplyAction::Payload::Fmt;
  if (has_body && a->content_type.empty())
    return fail("a content type must be defined when a non-empty payload is configured");
  if (!section.empty()) {
    // errorfiles NAME: the section's page for the status; HAProxy answers a status the
    // section lacks with an empty reply (and warns).
    const auto* pages = p.cc.resolver != nullptr ? p.cc.resolver->http_errors(section) : nullptr;
    if (pages == nullptr) return fail(fmt::format("unknown http-errors section '{}'", section));
    uint16_t st = a->status != 0 ? a->status : a->what == ReplyAction::What::Return ? 200
                  : a->what == ReplyAction::What::Tarpit ? 500 : (p.cc.phases & kHttpRes) != 0 ? 502 : 403;
    a->status = st;
    if (auto it = pages->find(st); it != pages->end() && !it->second.empty()) {
      a->ext_page = &it->second;
      a->payload = ReplyAction::Payload::Page;
    } else {
      a->payload = ReplyAction::Payload::Empty;
      if (p.cc.warnings != nullptr)
        p.cc.warnings->push_back(fmt::format("status '{}' is not declared in http-errors section '{}': the reply is "
                                             "empty", st, section));
    }
    if (!a->hdrs.empty()) return fail("'hdr' cannot be used with 'errorfiles' (HAProxy ignores it): remove it");
  }
  if (a->payload == ReplyAction::Payload::Page && a->ext_page == nullptr) {
    a->status = page_status(a->page);
    if (!a->hdrs.empty()) return fail("'hdr' cannot be used with 'errorfile' (HAProxy ignores it): remove it");
  }
  if (a->payload == ReplyAction::Payload::ErrorPage) {
    if (!a->hdrs.empty()) return fail("'hdr' cannot be used with the error pages (HAProxy ignores it): remove it");
    uint16_t st = a->status != 0 ? a->status : a->what == ReplyAction::What::Tarpit ? 500 : 403;
    if (!http::has_error_page(st) && a->status != 0)
      return fail(fmt::format("status code '{}' has no default error page (HAProxy refuses it too)", st));
  }
  if ((a->status == 204 || a->status == 304) && has_body)
    return fail(fmt::format("a {} response cannot have a body", a->status));
  return std::unique_ptr<Action>(std::move(a));
}

// ---- redirect ----------------------------------------------------------------------------

class Redirect final : public Action {
 public:
  enum class Type : uint8_t { Location, Prefix, Scheme };
  Type type = Type::Location;
  Format target;
  uint16_t code = 302;
  bool drop_query = false, append_slash = false;
  std::string cookie;   // the whole Set-Cookie value, empty = none

  Verdict run(Ctx& c) const override {
    std::string_view t = target.render(c);
    std::string loc;
    if (type == Type::Location) {
      if (t.empty()) return Verdict::Continue;   // HAProxy does not redirect to nothing
      loc.assign(t);
    } else {
      if (c.req == nullptr) return Verdict::Continue;
      std::string_view path = c.req->path;
      if (path == "*") path = "/";
      if (drop_query) path = path.substr(0, path.find('?'));
      if (type == Type::Prefix) {
        if (t != "/") loc.assign(t);   // a prefix of "/" keeps the path alone
      } else {
        int h = c.req->find("host");
        std::string_view host = h >= 0 ? c.req->headers[static_cast<size_t>(h)].value : c.req->authority;
        loc.assign(t).append("://").append(host);
      }
      loc.append(path);
      if (append_slash && !loc.ends_with('/')) loc.push_back('/');
    }
    if (!valid_value(loc)) return rewrite_failed(c);
    c.reply = {};
    c.reply.kind = Reply::Kind::Full;
    c.reply.status = code;
    c.reply.log_reason = "redirect";
    c.reply.headers.emplace_back("location", c.mem().copy(loc));
    // Temporary redirects are not to be cached (HAProxy's answer; 301/308 may be).
    if (code == 302 || code == 303 || code == 307) c.reply.headers.emplace_back("cache-control", "no-cache");
    if (!cookie.empty()) c.reply.headers.emplace_back("set-cookie", cookie);
    return Verdict::Answered;
  }
};

Result<std::unique_ptr<Action>> parse_redirect(ActionParse& p) {
  auto a = std::make_unique<Redirect>();
  if (p.words.size() < 3) return fail("expects location|prefix|scheme <value> [options]");
  const std::string& type = p.words[1];
  if (type == "location") a->type = Redirect::Type::Location;
  else if (type == "prefix") a->type = Redirect::Type::Prefix;
  else if (type == "scheme") a->type = Redirect::Type::Scheme;
  else return fail(fmt::format("expects 'location', 'prefix' or 'scheme' (got '{}')", type));
  if (a->type != Redirect::Type::Location && (p.cc.phases & kHttpRes) != 0)
    return fail(fmt::format("'redirect {}' is not supported by sluice in http-response rules: the request's path is "
                            "gone (use 'location')", type));
  auto f = Format::compile(p.words[2], p.cc);
  if (!f) return unexpected(f.error());
  a->target = std::move(*f);
  for (size_t i = 3; i < p.words.size(); ++i) {
    const std::string& k = p.words[i];
    if (k == "drop-query") a->drop_query = true;
    else if (k == "append-slash") a->append_slash = true;
    else if (k == "code" || k == "set-cookie" || k == "clear-cookie") {
      if (i + 1 >= p.words.size()) return fail(fmt::format("'{}' expects an argument", k));
      const std::string& v = p.words[++i];
      if (k == "code") {
        if (v != "301" && v != "302" && v != "303" && v != "307" && v != "308")
          return fail(fmt::format("'code' expects 301, 302, 303, 307 or 308 (got '{}')", v));
        a->code = static_cast<uint16_t>(std::stoi(v));
      } else {
        if (v.empty() || !valid_value(v) || v.find(';') != std::string::npos || v.find(' ') != std::string::npos)
          return fail(fmt::format("'{}': invalid cookie '{}'", k, v));
        a->cookie = k == "set-cookie" ? v + "; path=/;" : v + "; path=/; Max-Age=0;";
      }
    } else {
      return fail(fmt::format("argument '{}' is not supported by sluice (code, drop-query, append-slash, set-cookie, "
                              "clear-cookie)", k));
    }
  }
  return std::unique_ptr<Action>(std::move(a));
}

// ---- auth --------------------------------------------------------------------------------

class Auth final : public Action {
 public:
  explicit Auth(std::string challenge) : challenge_(std::move(challenge)) {}
  Verdict run(Ctx& c) const override {
    c.reply = {};
    // HAProxy 2.6 answers 401 (its 407 is for a proxy mode sluice has not: an absolute-form
    // request gets 401 from it too).
    c.reply.kind = Reply::Kind::Error;
    c.reply.status = 401;
    c.reply.log_reason = "authentication required";
    c.reply.headers.emplace_back("www-authenticate", challenge_);
    return Verdict::Answered;
  }

 private:
  std::string challenge_;
};

Result<std::unique_ptr<Action>> parse_auth(ActionParse& p) {
  std::string realm(p.cc.proxy_name());
  if (p.words.size() == 3 && p.words[1] == "realm") realm = p.words[2];
  else if (p.words.size() != 1) return fail("expects [realm <realm>]");
  if (!valid_value(realm) || realm.find('"') != std::string::npos || realm.find('\\') != std::string::npos)
    return fail(fmt::format("invalid realm '{}' (no quote, backslash, line break)", realm));
  return std::unique_ptr<Action>(new Auth(fmt::format("Basic realm=\"{}\"", realm)));
}

// ---- replace-header / replace-value --------------------------------------------------------

// `fmt` with \0..\9 replaced by the groups of the match in `subject` (HAProxy's exp_replace).
void expand_groups(std::string_view fmt, std::string_view subject, const core::Regex::Captures& caps,
                   std::string& out) {
  for (size_t i = 0; i < fmt.size(); ++i) {
    char ch = fmt[i];
    if (ch == '\\' && i + 1 < fmt.size()) {
      char n = fmt[i + 1];
      if (n >= '0' && n <= '9') {
        size_t g = static_cast<size_t>(n - '0');
        if (g < caps.count && caps.group[g].first != std::string_view::npos)
          out.append(subject.substr(caps.group[g].first, caps.group[g].second - caps.group[g].first));
        ++i;
        continue;
      }
      if (n == '\\') {
        out.push_back('\\');
        ++i;
        continue;
      }
    }
    out.push_back(ch);
  }
}

// On a match of `re` in `subject`, the whole subject becomes fmt with its groups. False: no match.
bool regex_replace(const core::Regex& re, std::string_view fmt, std::string_view subject, std::string& out) {
  core::Regex::Captures caps;
  if (!re.search(subject, caps)) return false;
  expand_groups(fmt, subject, caps, out);
  return true;
}

class ReplaceHeader final : public Action {
 public:
  ReplaceHeader(std::string name, core::Regex re, Format f, bool each)
      : name_(std::move(name)), re_(std::move(re)), fmt_(std::move(f)), each_(each) {}
  Verdict run(Ctx& c) const override {
    auto* hs = message_headers(c);
    if (hs == nullptr) return Verdict::Continue;
    std::string_view f = fmt_.render(c);
    std::string out;
    for (auto& h : *hs) {
      if (!ieq(h.name, name_)) continue;
      out.clear();
      bool changed = false;
      if (!each_) {
        changed = regex_replace(re_, f, h.value, out);
      } else {
        // Each comma-separated value, its surrounding blanks left out of the match.
        std::string_view v = h.value;
        for (size_t pos = 0;;) {
          size_t comma = v.find(',', pos);
          std::string_view part = v.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
          size_t b = part.find_first_not_of(" \t");
          size_t e = part.find_last_not_of(" \t");
          std::string_view lead = b == std::string_view::npos ? part : part.substr(0, b);
          std::string_view core = b == std::string_view::npos ? std::string_view{} : part.substr(b, e - b + 1);
          // A replaced value loses the blanks before it (HAProxy rewrites value and blanks).
          if (regex_replace(re_, f, core, out)) changed = true;
          else out.append(lead).append(core);
          if (e != std::string_view::npos) out.append(part.substr(e + 1));
          if (comma == std::string_view::npos) break;
          out.push_back(',');
          pos = comma + 1;
        }
      }
      if (!changed) continue;
      if (!valid_value(out)) return rewrite_failed(c);
      h.value = c.mem().copy(out);
    }
    return Verdict::Continue;
  }

 private:
  std::string name_;
  core::Regex re_;
  Format fmt_;
  bool each_;
};

Result<std::unique_ptr<Action>> parse_replace_header(ActionParse& p) {
  if (p.words.size() != 4) return fail("expects <name> <regex> <replace-fmt>");
  if (auto r = check_header_name(p.words[1]); !r) return unexpected(r.error());
  auto re = core::Regex::compile(p.words[2]);
  if (!re) return unexpected(re.error());
  auto f = Format::compile(p.words[3], p.cc);
  if (!f) return unexpected(f.error());
  return std::unique_ptr<Action>(new ReplaceHeader(p.words[1], std::move(*re), std::move(*f), p.words[0] == "replace-value"));
}

// ---- request target and method ---------------------------------------------------------------

// A request target: a byte of CR, LF, space, NUL (or another control) would change the
// request line the server reads.
bool valid_target_bytes(std::string_view v) {
  if (v.empty()) return false;
  for (unsigned char ch : v)
    if (ch <= 0x20 || ch == 0x7f) return false;
  return true;
}

// The parts of a request target: scheme://authority (absolute form, kept by the path
// rewrites), path, '?' query.
struct TargetParts {
  std::string_view origin;   // "http://host" or empty
  std::string_view authority;
  std::string_view path;     // up to '?'
  std::string_view query;    // from '?' on (with it), or empty
};
TargetParts split_target(std::string_view t) {
  TargetParts p;
  if (!t.empty() && t.front() != '/' && t != "*") {
    if (auto s = t.find("://"); s != std::string_view::npos) {
      size_t a = s + 3;
      size_t end = t.find_first_of("/?", a);
      if (end == std::string_view::npos) end = t.size();
      p.origin = t.substr(0, end);
      p.authority = t.substr(a, end - a);
      t.remove_prefix(end);
    }
  }
  size_t q = t.find('?');
  p.path = t.substr(0, q);
  if (q != std::string_view::npos) p.query = t.substr(q);
  return p;
}

// Installs a new target: keeps RequestHead::path ("/" when empty) and authority consistent.
bool install_target(Ctx& c, std::string_view t) {
  if (!valid_target_bytes(t)) return false;
  if (t.front() != '/' && t != "*" && t.find("://") == std::string_view::npos) return false;
  http::RequestHead& r = *c.req;
  r.target = c.mem().copy(t);
  TargetParts p = split_target(r.target);
  if (!p.origin.empty()) r.authority = p.authority;
  std::string_view pq = r.target.substr(p.origin.size());
  r.path = pq.empty() ? std::string_view("/") : pq;
  return true;
}

class SetTarget final : public Action {
 public:
  enum class What : uint8_t { Method, Path, PathQ, Query, Uri, ReplacePath, ReplacePathQ, ReplaceUri };
  SetTarget(What w, Format f, std::optional<core::Regex> re) : what_(w), fmt_(std::move(f)), re_(std::move(re)) {}
  Verdict run(Ctx& c) const override {
    if (c.req == nullptr) return Verdict::Continue;
    http::RequestHead& r = *c.req;
    std::string_view v = fmt_.render(c);
    TargetParts p = split_target(r.target);
    std::string t;
    switch (what_) {
      case What::Method: {
        if (!valid_target_bytes(v)) return rewrite_failed(c);
        http::Method m = http::method_from(v);
        // CONNECT turns the exchange into a tunnel the request was not parsed for.
        if (m == http::Method::Connect || r.method == http::Method::Connect) return rewrite_failed(c);
        // The request line changes; the `method` fetch keeps the method as received, as in
        // HAProxy.
        r.method_name = c.mem().copy(v);
        r.method = m;
        return Verdict::Continue;
      }
      case What::Path:
        if (v.find('?') != std::string_view::npos) return rewrite_failed(c);
        t.append(p.origin).append(v).append(p.query);
        break;
      case What::PathQ: t.append(p.origin).append(v); break;
      case What::Query:
        if (v.empty() && p.query.empty()) return Verdict::Continue;
        t.append(p.origin).append(p.path).append("?").append(v);
        break;
      case What::Uri: t.assign(v); break;
      case What::ReplacePath:
      case What::ReplacePathQ:
      case What::ReplaceUri: {
        std::string_view subject = what_ == What::ReplacePath ? p.path
                                   : what_ == What::ReplacePathQ ? r.target.substr(p.origin.size())
                                                                 : r.target;
        std::string out;
        if (!regex_replace(*re_, v, subject, out)) return Verdict::Continue;
        if (what_ == What::ReplacePath) {
          if (out.find('?') != std::string::npos) return rewrite_failed(c);
          t.append(p.origin).append(out).append(p.query);
        } else if (what_ == What::ReplacePathQ) {
          t.append(p.origin).append(out);
        } else {
          t = std::move(out);
        }
        break;
      }
    }
    if (t.empty() || (what_ != What::Uri && what_ != What::ReplaceUri && t.size() == p.origin.size()))
      t.push_back('/');
    if (!install_target(c, t)) return rewrite_failed(c);
    return Verdict::Continue;
  }

 private:
  What what_;
  Format fmt_;
  std::optional<core::Regex> re_;
};

Result<std::unique_ptr<Action>> parse_set_target(ActionParse& p) {
  static constexpr std::pair<std::string_view, SetTarget::What> k[] = {
      {"set-method", SetTarget::What::Method}, {"set-path", SetTarget::What::Path},
      {"set-pathq", SetTarget::What::PathQ}, {"set-query", SetTarget::What::Query},
      {"set-uri", SetTarget::What::Uri}, {"replace-path", SetTarget::What::ReplacePath},
      {"replace-pathq", SetTarget::What::ReplacePathQ}, {"replace-uri", SetTarget::What::ReplaceUri}};
  SetTarget::What what = SetTarget::What::Uri;
  for (auto [n, w] : k)
    if (n == p.words[0]) what = w;
  bool replace = p.words[0].starts_with("replace-");
  if (p.words.size() != (replace ? 3u : 2u)) return fail(replace ? "expects <regex> <replace-fmt>" : "expects <fmt>");
  std::optional<core::Regex> re;
  if (replace) {
    auto r = core::Regex::compile(p.words[1]);
    if (!r) return unexpected(r.error());
    re = std::move(*r);
  }
  auto f = Format::compile(p.words.back(), p.cc);
  if (!f) return unexpected(f.error());
  return std::unique_ptr<Action>(new SetTarget(what, std::move(*f), std::move(re)));
}

constexpr ActionDef kActions[] = {
    {"allow", kHttpAll, parse_allow, "stop evaluating this rule set and let the message through", false, true},
    {"deny", kHttpReq | kHttpRes, parse_reply,
     "answer with an error page or a reply ([deny_status N] and the arguments of return); the message goes no further",
     false, true},
    {"return", kHttpReq | kHttpRes, parse_reply,
     "answer with [status N] [content-type T] [default-errorfiles|errorfile F|errorfiles NAME|file F|lf-file F|string S|"
     "lf-string FMT] "
     "[hdr NAME FMT]*", false, true},
    {"tarpit", kHttpReq, parse_reply,
     "hold the connection for timeout tarpit, then answer as deny would (default 500)", false, true},
    {"redirect", kHttpReq | kHttpRes, parse_redirect,
     "answer with a redirect: location|prefix|scheme X [code 301|302|303|307|308] [drop-query] [append-slash] "
     "[set-cookie N[=V]] [clear-cookie N]", false, true},
    {"auth", kHttpReq, parse_auth, "answer 401 asking for Basic credentials ([realm R]; default: the proxy's name)",
     false, true},
    {"replace-header", kHttpAll, parse_replace_header,
     "on a match of REGEX, replace the whole value of each header NAME by FMT (\\1..\\9: groups)"},
    {"replace-value", kHttpAll, parse_replace_header,
     "the same on each comma-separated value of the headers NAME"},
    {"set-method", kHttpReq, parse_set_target, "replace the request's method by FMT"},
    {"set-path", kHttpReq, parse_set_target, "replace the request's path by FMT (the query is kept)"},
    {"set-pathq", kHttpReq, parse_set_target, "replace the request's path and query by FMT"},
    {"set-query", kHttpReq, parse_set_target, "replace the request's query string (after '?') by FMT"},
    {"set-uri", kHttpReq, parse_set_target, "replace the request's target by FMT"},
    {"replace-path", kHttpReq, parse_set_target, "on a match of REGEX on the path, replace it by FMT (groups: \\1)"},
    {"replace-pathq", kHttpReq, parse_set_target, "the same on the path and query"},
    {"replace-uri", kHttpReq, parse_set_target, "the same on the whole request target"},
    {"use-service", kHttpReq, parse_use_service, "hand the request to a built-in service (prometheus-exporter)",
     false, true},
    {"set-header", kHttpAll, parse_set_header, "replace every header NAME by one with the value FMT"},
    {"add-header", kHttpAll, parse_set_header, "append a header NAME with the value FMT"},
    {"del-header", kHttpAll, parse_del_header, "remove the headers NAME [-m str|beg|end|sub|reg]"},
    {"set-status", kHttpRes | kAfterRes, parse_set_status, "replace the response's status (and reason: [reason TEXT])"},
};

}  // namespace

std::span<const ActionDef> action_http() { return kActions; }

}  // namespace sluice::rules
