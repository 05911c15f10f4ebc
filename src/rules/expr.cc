#include "rules/expr.h"

#include <arpa/inet.h>

#include <fmt/format.h>

#include <charconv>

#include "config/parse_internal.h"

namespace sluice::rules {

namespace {

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Splits an argument list on commas outside quotes; unquotes each part. As in HAProxy 2.6,
// outside single quotes a backslash escapes only a backslash, a quote or a space; any other
// backslash is kept, so that `regsub("(a)","\1")` and `regsub('\d+',x)` reach the converter.
Result<std::vector<std::string>> split_args(std::string_view text) {
  std::vector<std::string> out;
  if (trim(text).empty()) return out;
  std::string cur;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '\\' && i + 1 < text.size() && quote != '\'' &&
        std::string_view("\\\"' ").find(text[i + 1]) != std::string_view::npos) {
      cur.push_back(text[++i]);
    } else if (quote != 0) {
      if (ch == quote) quote = 0;
      else cur.push_back(ch);
    } else if (ch == '"' || ch == '\'') {
      quote = ch;
    } else if (ch == ',') {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(ch);
    }
  }
  if (quote != 0) return fail(fmt::format("unterminated quote in '{}'", text));
  out.push_back(std::move(cur));
  return out;
}

}  // namespace

Result<Call> split_call(std::string_view text) {
  Call c;
  size_t i = 0;
  while (i < text.size() && text[i] != '(' && text[i] != ',') ++i;
  c.name = text.substr(0, i);
  if (i < text.size() && text[i] == '(') {
    c.has_parens = true;
    size_t j = find_close(text, i + 1, ')');
    if (j == std::string_view::npos) return fail(fmt::format("missing closing parenthesis in '{}'", text));
    c.args = text.substr(i + 1, j - i - 1);
    c.rest = text.substr(j + 1);
  } else {
    c.rest = text.substr(i);
  }
  return c;
}

size_t find_close(std::string_view text, size_t from, char close) {
  int depth = 0;
  char quote = 0;
  for (size_t j = from; j < text.size(); ++j) {
    char ch = text[j];
    if (ch == '\\' && quote != '\'') { ++j; continue; }
    if (quote != 0) { if (ch == quote) quote = 0; continue; }
    if (ch == '"' || ch == '\'') quote = ch;
    else if (ch == close && depth == 0) return j;
    else if (ch == '(') ++depth;
    else if (ch == ')') --depth;
  }
  return std::string_view::npos;
}

Result<void> parse_args(std::string_view spec, std::string_view text, Args& out, CompileCtx& cc,
                        std::string_view owner) {
  auto parts = split_args(text);
  if (!parts) return fail(fmt::format("{}: {}", owner, parts.error().message));
  size_t mandatory = 0;
  while (mandatory < spec.size() && spec[mandatory] >= 'A' && spec[mandatory] <= 'Z') ++mandatory;
  if (parts->size() > spec.size())
    return fail(fmt::format("{}: takes at most {} argument{} ({} given)", owner, spec.size(),
                            spec.size() == 1 ? "" : "s", parts->size()));
  // An explicitly empty optional argument ("url_param(x,)") is absent.
  if (parts->size() < mandatory)
    return fail(fmt::format("{}: expects {} argument{} ({} given)", owner, mandatory, mandatory == 1 ? "" : "s",
                            parts->size()));
  out.v.assign(spec.size(), Arg{});
  for (size_t i = 0; i < spec.size(); ++i) {
    Arg& a = out.v[i];
    char letter = static_cast<char>(spec[i] & ~0x20);   // upper case
    switch (letter) {
      case 'S': a.type = ArgType::Str; break;
      case 'I': a.type = ArgType::Sint; break;
      case 'V': a.type = ArgType::Var; break;
      case 'B': a.type = ArgType::Backend; break;
      case 'F': a.type = ArgType::Frontend; break;
      case 'X': a.type = ArgType::Server; break;
      case 'R': a.type = ArgType::Regex; break;
      case 'T': a.type = ArgType::Time; break;
      case 'U': a.type = ArgType::Userlist; break;
      case 'M': a.type = ArgType::File; break;
      case 'A': a.type = ArgType::Addr; break;
      default: return fail(fmt::format("{}: internal error: bad argument spec '{}'", owner, spec));
    }
    if (i >= parts->size()) continue;
    std::string& w = (*parts)[i];
    a.given = true;
    if (w.empty() && i >= mandatory) continue;
    if (w.empty()) return fail(fmt::format("{}: argument {} must not be empty", owner, i + 1));
    a.present = true;
    a.str = w;
    switch (a.type) {
      case ArgType::Sint: {
        std::string_view t = trim(w);
        const char* b = t.data();
        if (!t.empty() && *b == '+') ++b;
        auto r = std::from_chars(b, t.data() + t.size(), a.sint);
        if (r.ec != std::errc() || r.ptr != t.data() + t.size())
          return fail(fmt::format("{}: argument {} '{}' is not an integer", owner, i + 1, w));
        break;
      }
      case ArgType::Var: {
        auto v = parse_var_name(w);
        if (!v) return fail(fmt::format("{}: {}", owner, v.error().message));
        a.var = std::move(*v);
        break;
      }
      case ArgType::Time: {
        auto d = config::parse_duration(w);
        if (!d) return fail(fmt::format("{}: argument {}: {}", owner, i + 1, d.error().message));
        a.sint = d->count();
        break;
      }
      case ArgType::Regex: {
        auto re = core::Regex::compile(w);
        if (!re) return fail(fmt::format("{}: {}", owner, re.error().message));
        a.re = std::make_shared<const core::Regex>(std::move(*re));
        break;
      }
      case ArgType::Backend:
        a.be = cc.resolver != nullptr ? cc.resolver->backend(w) : nullptr;
        if (a.be == nullptr) return fail(fmt::format("{}: no such backend '{}'", owner, w));
        break;
      case ArgType::Frontend:
        a.fe = cc.resolver != nullptr ? cc.resolver->frontend(w) : nullptr;
        if (a.fe == nullptr) return fail(fmt::format("{}: no such frontend '{}'", owner, w));
        break;
      case ArgType::Server: {
        // "backend/server", or "server" in the current backend.
        std::string_view be = cc.proxy_name(), srv = w;
        if (auto slash = srv.find('/'); slash != std::string_view::npos) {
          be = srv.substr(0, slash);
          srv = srv.substr(slash + 1);
        }
        a.be = cc.resolver != nullptr ? cc.resolver->backend(be) : nullptr;
        a.srv = cc.resolver != nullptr ? cc.resolver->server(be, srv) : nullptr;
        if (a.srv == nullptr) return fail(fmt::format("{}: no such server '{}/{}'", owner, be, srv));
        break;
      }
      case ArgType::Userlist:
        a.obj = cc.resolver != nullptr ? cc.resolver->userlist(w) : nullptr;
        if (a.obj == nullptr) return fail(fmt::format("{}: no such userlist '{}'", owner, w));
        break;
      default: break;
    }
  }
  return {};
}

Result<Expr> Expr::compile(std::string_view text, CompileCtx& cc) {
  Expr e;
  e.text_ = std::string(trim(text));
  auto call = split_call(e.text_);
  if (!call) return fail(call.error().message);
  std::string fname(call->name);
  e.fetch_ = find_fetch(fname);
  if (e.fetch_ == nullptr)
    return fail(fmt::format("unknown fetch method '{}' in '{}' (not supported by sluice)", fname, e.text_));
  if (call->has_parens && e.fetch_->args.empty() && !trim(call->args).empty())
    return fail(fmt::format("fetch method '{}' takes no argument", fname));
  if (auto r = parse_args(e.fetch_->args, call->args, e.args_, cc, fmt::format("fetch method '{}'", fname)); !r)
    return fail(r.error().message);
  if (e.fetch_->check != nullptr) {
    if (auto r = e.fetch_->check(e.args_, cc); !r)
      return fail(fmt::format("fetch method '{}': {}", fname, r.error().message));
  }
  if ((e.fetch_->phases & cc.phases) != cc.phases) {
    uint16_t missing = static_cast<uint16_t>(cc.phases & ~e.fetch_->phases);
    return fail(fmt::format("fetch method '{}' extracts information from {}, which is not available in {}",
                            fname, phase_names(e.fetch_->phases), phase_names(missing)));
  }
  e.phases_ = e.fetch_->phases;
  e.out_ = e.fetch_->out;
  std::string_view rest = call->rest;
  while (!rest.empty()) {
    if (rest.front() != ',')
      return fail(fmt::format("unexpected '{}' after '{}' in '{}'", rest, fname, e.text_));
    rest.remove_prefix(1);
    auto cv = split_call(rest);
    if (!cv) return fail(cv.error().message);
    std::string cname(trim(cv->name));
    const ConvDef* def = find_converter(cname);
    if (def == nullptr)
      return fail(fmt::format("unknown converter '{}' in '{}' (not supported by sluice)", cname, e.text_));
    Step st{def, {}};
    if (auto r = parse_args(def->args, cv->args, st.args, cc, fmt::format("converter '{}'", cname)); !r)
      return fail(r.error().message);
    if (def->check != nullptr) {
      if (auto r = def->check(st.args, cc); !r) return fail(fmt::format("converter '{}': {}", cname, r.error().message));
    }
    if (!can_cast(e.out_, def->in))
      return fail(fmt::format("converter '{}' cannot be applied to a {} ('{}' takes {})", cname, to_string(e.out_),
                              cname, to_string(def->in)));
    if ((def->phases & cc.phases) != cc.phases)
      return fail(fmt::format("converter '{}' cannot be used in {}", cname, phase_names(cc.phases)));
    e.out_ = def->out == Type::Any ? e.out_ : def->out;
    e.steps_.push_back(std::move(st));
    rest = cv->rest;
  }
  return e;
}

bool Expr::convert(Ctx& c, Sample& s) const {
  for (const Step& st : steps_) {
    if (!cast(s, st.def->in, c.mem())) return false;
    if (!st.def->fn(st.args, c, s)) return false;
  }
  return true;
}

bool Expr::run(Ctx& c, bool every, const Emit& e) const {
  if (fetch_->one != nullptr) {
    Sample s;
    if (!fetch_->one(args_, c, s)) return false;
    return e(s);
  }
  bool stopped = false;
  auto wrap = [&](Sample& s) { return stopped = e(s); };
  fetch_->each(args_, c, every, Emit(wrap));
  return stopped;
}

bool Expr::value(Ctx& c, Sample& out) const {
  bool got = false;
  auto take = [&](Sample& s) {
    if (!convert(c, s)) return false;
    out = s;
    got = true;
    return true;
  };
  run(c, false, Emit(take));
  return got;
}

void append_sample(const Sample& s, std::string& out) {
  switch (s.type) {
    case Type::Str:
    case Type::Bin:
    case Type::Meth: out.append(s.str); return;
    case Type::Bool:
    case Type::Sint: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, s.sint);
      out.append(buf, r.ptr);
      return;
    }
    case Type::Ipv4: {
      // Dotted quad by hand: inet_ntop goes through sprintf, and this runs per request
      // (set-header X-Client %[src]).
      const auto* b = reinterpret_cast<const unsigned char*>(&s.v4.s_addr);
      char buf[16];
      char* p = buf;
      for (int i = 0; i < 4; ++i) {
        if (i) *p++ = '.';
        p = std::to_chars(p, buf + sizeof buf, static_cast<unsigned>(b[i])).ptr;
      }
      out.append(buf, p);
      return;
    }
    case Type::Ipv6: {
      char buf[INET6_ADDRSTRLEN];
      if (inet_ntop(AF_INET6, &s.v6, buf, sizeof buf) != nullptr) out.append(buf);
      return;
    }
    default: {
      Arena a;
      Sample t = s;
      if (cast(t, Type::Str, a)) out.append(t.str);
      return;
    }
  }
}

}  // namespace sluice::rules
