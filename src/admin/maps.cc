#include "admin/maps.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>

namespace sluice::admin {

namespace {

using rules::MatchKind;
using rules::PatternRef;
using Verb = MapCommand::Verb;

std::string unknown(bool map) {
  return map ? "Unknown map identifier. Please use #<id> or <file>.\n"
             : "Unknown ACL identifier. Please use #<id> or <file>.\n";
}

// "@N" -> N; nullopt when not a number.
std::optional<uint32_t> parse_version(std::string_view w) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(w.data() + 1, w.data() + w.size(), v);
  if (w.size() < 2 || ec != std::errc() || p != w.data() + w.size()) return std::nullopt;
  return v;
}

// "#0x1f" (an element id as `show map` prints it) -> 0x1f.
std::optional<uint64_t> element_id(std::string_view w) {
  if (!w.starts_with("#0x") && !w.starts_with("#0X")) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(w.data() + 3, w.data() + w.size(), v, 16);
  if (w.size() < 4 || ec != std::errc() || p != w.data() + w.size()) return std::nullopt;
  return v;
}

std::string type_name(const rules::PatternOptions& o, const rules::Entry& e) {
  switch (o.values) {
    case rules::ValueKind::Int: return "sint";
    case rules::ValueKind::Ip: return e.value_is_v6 ? "ipv6" : "ipv4";
    default: return "str";
  }
}

// `get map|acl`: one line per compiled user of the reference, as HAProxy prints them.
std::string get_line(const rules::PatternHandle& h, std::string_view input, bool map) {
  const rules::PatternSet& s = *h.get();
  const auto& o = s.options();
  const rules::Entry* e = nullptr;
  switch (o.kind) {
    case MatchKind::Ip: {
      in_addr a4{};
      in6_addr a6{};
      std::string t(input);
      if (inet_pton(AF_INET, t.c_str(), &a4) == 1) e = s.match_ipv4(a4);
      else if (inet_pton(AF_INET6, t.c_str(), &a6) == 1) e = s.match_ipv6(a6);
      break;
    }
    case MatchKind::Int: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(input.data(), input.data() + input.size(), v);
      if (ec == std::errc() && p == input.data() + input.size()) e = s.match_int(v);
      break;
    }
    case MatchKind::Found:
    case MatchKind::Bool: break;
    default: e = s.match_str(input); break;
  }
  std::string out = fmt::format("type={}, case={}, {}=", to_string(o.kind), o.icase ? "insensitive" : "sensitive",
                                map ? "found" : "match");
  if (!e) return out + "no\n";
  out += fmt::format("yes, idx={}, ", s.indexed(*e) ? "tree" : "list");
  if (!map) return out + fmt::format("pattern=\"{}\"\n", e->pattern);
  return out + fmt::format("key=\"{}\", value=\"{}\", type=\"{}\"\n", e->pattern, e->value.value_or(""),
                           type_name(o, *e));
}

}  // namespace

Result<MapCommand> parse_map_command(const Words& w) {
  MapCommand c;
  const std::string& verb = w.at(0);
  c.map = w.size() > 1 && w[1] == "map";
  std::string_view what = c.map ? "map" : "ACL";
  if (verb == "show") c.verb = Verb::Show;
  else if (verb == "get") c.verb = Verb::Get;
  else if (verb == "add") c.verb = Verb::Add;
  else if (verb == "del") c.verb = Verb::Del;
  else if (verb == "set") c.verb = Verb::Set;
  else if (verb == "clear") c.verb = Verb::Clear;
  else if (verb == "prepare") c.verb = Verb::Prepare;
  else c.verb = Verb::Commit;
  size_t i = 2;
  if (i < w.size() && w[i].starts_with('@') &&
      (c.verb == Verb::Show || c.verb == Verb::Add || c.verb == Verb::Clear || c.verb == Verb::Commit)) {
    c.version = parse_version(w[i]);
    if (!c.version) {
      if (c.verb == Verb::Commit) return fail("Version number out of range.\n");
      return fail("Version number must be a number.\n");   // not measured: HAProxy reads @x as 0
    }
    ++i;
  }
  std::vector<std::string> rest(w.begin() + static_cast<ptrdiff_t>(std::min(i, w.size())), w.end());
  auto need = [&](size_t n) { return rest.size() == n; };
  switch (c.verb) {
    case Verb::Show:
      if (rest.size() > 1) return fail(fmt::format("'show {}' expects at most one {} identifier.\n",
                                                   c.map ? "map" : "acl", what));
      if (!rest.empty()) c.ref = rest[0];
      return c;
    case Verb::Get:
      if (!need(2)) return fail(fmt::format("Missing {} identifier and/or key.\n", what));
      c.ref = rest[0];
      c.key = rest[1];
      return c;
    case Verb::Add:
      if (c.map ? !need(3) : !need(2)) {
        // The one-argument form takes a payload (`<<`), which the sluice CLI does not read.
        if (rest.size() == 1)
          return fail(fmt::format("'add {}' with a payload is not supported by sluice: give the {} on the "
                                  "command line\n", c.map ? "map" : "acl", c.map ? "key and value" : "pattern"));
        return fail(c.map ? "'add map' expects three parameters (map identifier, key and value) or one parameter "
                            "(map identifier) and a payload\n"
                          : "'add acl' expects two parameters (ACL identifier and pattern) or one parameter "
                            "(ACL identifier) and a payload\n");
      }
      c.ref = rest[0];
      c.key = rest[1];
      if (c.map) c.value = rest[2];
      return c;
    case Verb::Del:
      if (!need(2)) return fail(fmt::format("This command expects two parameters: {} identifier and key.\n", what));
      c.ref = rest[0];
      c.key = rest[1];
      return c;
    case Verb::Set:
      if (!c.map) return fail("Unknown command.\n");
      if (!need(3)) return fail("'set map' expects three parameters: map identifier, key and value.\n");
      c.ref = rest[0];
      c.key = rest[1];
      c.value = rest[2];
      return c;
    case Verb::Clear:
      if (!need(1)) return fail(fmt::format("Missing {} identifier.\n", what));
      c.ref = rest[0];
      return c;
    case Verb::Prepare:
      if (!need(1)) return fail(unknown(c.map));
      c.ref = rest[0];
      return c;
    case Verb::Commit:
      if (!c.version) return fail("Missing version number.\n");
      if (!need(1)) return fail(fmt::format("Missing {} identifier.\n", what));
      c.ref = rest[0];
      return c;
  }
  return c;
}

std::string run_map_command(rules::PatternRefs& refs, const MapCommand& c) {
  auto use = c.map ? PatternRef::Use::Map : PatternRef::Use::Acl;
  if (c.verb == Verb::Show && c.ref.empty()) {
    std::string out = "# id (file) description\n";
    for (PatternRef* r : refs.all()) {
      if (!r->used_as(use)) continue;
      out += fmt::format("{} ({}) {}. curr_ver={} next_ver={} entry_cnt={}\n", r->unique_id(), r->name(),
                         r->description(), r->curr_gen(), r->next_gen(), r->entry_count());
    }
    return out;
  }
  PatternRef* r = refs.find(c.ref);
  if (!r || !r->used_as(use)) return unknown(c.map);
  auto err = [](const Error& e) { return e.message + "\n"; };
  switch (c.verb) {
    case Verb::Show: {
      std::string out;
      if (c.version && !r->gen_known(*c.version)) return out;
      for (auto& e : r->entries(c.version)) {
        out += fmt::format("{:#x} {}", e.id, e.pattern);
        if (c.map) out += " " + e.value.value_or("");
        out += "\n";
      }
      return out;
    }
    case Verb::Get: {
      std::string out;
      for (auto& h : r->handles()) out += get_line(*h, c.key, c.map);
      return out;
    }
    case Verb::Add: {
      auto res = r->add(c.key, c.value, c.version);
      return res ? std::string() : err(res.error());
    }
    case Verb::Del: {
      auto id = element_id(c.key);
      auto res = id ? r->del_id(*id) : r->del_key(c.key);
      return res ? std::string() : err(res.error());
    }
    case Verb::Set: {
      auto id = element_id(c.key);
      auto res = id ? r->set_id(*id, *c.value) : r->set_key(c.key, *c.value);
      return res ? std::string() : err(res.error());
    }
    case Verb::Clear:
      r->clear(c.version);
      return "";
    case Verb::Prepare: return fmt::format("New version created: {}\n", r->prepare());
    case Verb::Commit: {
      auto res = r->commit(*c.version);
      return res ? std::string() : err(res.error());
    }
  }
  return "";
}

void cmd_map(Context& ctx, Args a, Reply reply) {
  Words w(a.begin(), a.end());
  auto c = parse_map_command(w);
  if (!c) return reply(c.error().message);
  rules::PatternRefs& refs = ctx.rt.pattern_refs();
  std::string out;
  size_t retired = 0;
  uint64_t epoch = 0;
  {
    // The map/ACL actions of the rules change references from worker threads too.
    std::lock_guard lk(refs.writer());
    out = run_map_command(refs, *c);
    retired = refs.retired();
    epoch = refs.retire_epoch();
  }
  // Sets replaced by this change are freed once every worker went back to its event loop
  // (none is inside a lookup then): see rules/pattern_ref.h.
  if (retired == 0) return reply(std::move(out));
  reply(std::move(out));
  on_all_workers(ctx, [](proxy::Worker&) { return std::string(); },
                 [&refs, epoch](std::vector<std::string>) { refs.reclaim(epoch); });
}

}  // namespace sluice::admin
