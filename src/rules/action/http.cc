// HTTP actions of http-request, http-response and http-after-response: each row carries its
// parser, and the object it returns runs the action on the live message (rule order).
#include <fmt/format.h>

#include <algorithm>

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

class Deny final : public Action {
 public:
  explicit Deny(uint16_t status) : status_(status) {}
  Verdict run(Ctx& c) const override {
    c.reply = {};
    c.reply.kind = Reply::Kind::Error;
    // HAProxy's defaults: 403 for a request, 502 for a response.
    c.reply.status = status_ != 0 ? status_ : (c.phase & kHttpRes) != 0 ? 502 : 403;
    c.reply.log_reason = "denied by rule";
    return Verdict::Answered;
  }

 private:
  uint16_t status_;
};
Result<std::unique_ptr<Action>> parse_deny(ActionParse& p) {
  uint16_t status = 0;
  for (size_t i = 1; i < p.words.size(); i += 2) {
    const std::string& k = p.words[i];
    if (k != "deny_status" && k != "status")
      return fail(fmt::format("argument '{}' is not supported by sluice yet", k));
    if (i + 1 >= p.words.size()) return fail(fmt::format("'{}' expects a status code", k));
    auto n = parse_status(p.words[i + 1]);
    if (!n) return unexpected(n.error());
    if (!http::has_error_page(*n))
      return fail(fmt::format("status code '{}' has no default error page (HAProxy refuses it too)", *n));
    status = *n;
  }
  return std::unique_ptr<Action>(new Deny(status));
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

constexpr ActionDef kActions[] = {
    {"allow", kHttpAll, parse_allow, "stop evaluating this rule set and let the message through", false, true},
    {"deny", kHttpReq | kHttpRes, parse_deny,
     "answer with an error page ([deny_status N]); the message goes no further", false, true},
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
