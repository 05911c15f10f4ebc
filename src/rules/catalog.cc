#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "rules/domains.h"
#include "rules/registry.h"

namespace sluice::rules {

namespace {

template <class Def>
struct Table {
  std::vector<Def> rows;
  std::unordered_map<std::string_view, const Def*> by_name;
  explicit Table(std::initializer_list<std::span<const Def>> parts) {
    for (auto p : parts) rows.insert(rows.end(), p.begin(), p.end());
    std::stable_sort(rows.begin(), rows.end(), [](const Def& a, const Def& b) { return a.name < b.name; });
    // stable_sort keeps domain order among equal names: the first row of a name wins.
    for (const auto& r : rows) by_name.emplace(r.name, &r);
  }
  const Def* find(std::string_view n) const {
    auto it = by_name.find(n);
    return it == by_name.end() ? nullptr : it->second;
  }
};

const Table<FetchDef>& fetch_table() {
  static const Table<FetchDef> t{fetch_l4(), fetch_http_req(), fetch_http_res(), fetch_internal(), fetch_consts(),
                                  fetch_auth()};
  return t;
}
const Table<ConvDef>& conv_table() {
  static const Table<ConvDef> t{conv_string(), conv_encode(), conv_hash(), conv_arith(),
                                conv_time(),   conv_net(),    conv_vars(), conv_map()};
  return t;
}
const Table<ActionDef>& action_table() {
  static const Table<ActionDef> t{action_http(), action_common(), action_tcp(), action_maps()};
  return t;
}

constexpr RuleSetDef kRuleSets[] = {
    {"tcp-request connection", kConn}, {"tcp-request session", kSess},  {"tcp-request content", kReqContent},
    {"tcp-response content", kResContent}, {"http-request", kHttpReq}, {"http-response", kHttpRes},
    {"http-after-response", kAfterRes},
};

}  // namespace

std::span<const FetchDef> fetches() { return fetch_table().rows; }
std::span<const ConvDef> converters() { return conv_table().rows; }
std::span<const ActionDef> actions() { return action_table().rows; }
const FetchDef* find_fetch(std::string_view n) { return fetch_table().find(n); }
const ConvDef* find_converter(std::string_view n) { return conv_table().find(n); }
const ActionDef* find_action(std::string_view n) { return action_table().find(n); }
std::span<const RuleSetDef> rule_sets() { return kRuleSets; }

std::string phase_names(uint16_t phases) {
  static constexpr std::pair<uint16_t, std::string_view> kNames[] = {
      {kConn, "tcp-request connection"}, {kSess, "tcp-request session"}, {kReqContent, "tcp-request content"},
      {kHttpReq, "http-request"}, {kResContent, "tcp-response content"}, {kHttpRes, "http-response"},
      {kAfterRes, "http-after-response"}, {kCheck, "check"}, {kLog, "log"},
      {kCfg, "global"}};
  std::string out;
  for (auto [bit, name] : kNames) {
    if ((phases & bit) == 0) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

namespace {
// The reference's "valid in" column: the two common sets by name, others listed.
std::string phase_cell(uint16_t phases) {
  if (phases == kInternalPhases) return "everywhere, global `set-var` included";
  if (phases == kAnyPhase) return "every rule set, checks and logs";
  return phase_names(phases);
}
}  // namespace

void reference_markdown(std::string& out) {
  // A '|' inside a cell would end it.
  auto cell = [](std::string_view t) {
    std::string c;
    for (char ch : t) {
      if (ch == '|') c += '\\';
      c += ch;
    }
    return c;
  };
  auto args = [](std::string_view spec) {
    std::string a;
    for (char ch : spec) {
      bool opt = ch >= 'a' && ch <= 'z';
      char up = static_cast<char>(opt ? ch - 32 : ch);
      std::string_view n;
      switch (up) {
        case 'S': n = "str"; break;
        case 'I': n = "int"; break;
        case 'V': n = "var"; break;
        case 'B': n = "backend"; break;
        case 'F': n = "frontend"; break;
        case 'X': n = "server"; break;
        case 'R': n = "regex"; break;
        case 'T': n = "time"; break;
        case 'U': n = "userlist"; break;
        case 'M': n = "file"; break;
        default: n = "addr"; break;
      }
      if (!a.empty()) a += ",";
      a += opt ? fmt::format("[{}]", n) : std::string(n);
    }
    return a.empty() ? std::string() : "(" + a + ")";
  };
  out += "### Sample fetches\n\n| fetch | output | valid in | description |\n| --- | --- | --- | --- |\n";
  for (const auto& f : fetches()) {
    std::string acl;
    if (!f.acl_suffixes.empty()) acl = fmt::format(" ACL forms: `{}_` + {}.", f.name, f.acl_suffixes);
    out += fmt::format("| `{}{}` | {} | {} | {}{} |\n", f.name, args(f.args), to_string(f.out), phase_cell(f.phases),
                       cell(f.doc), acl);
  }
  out += "\n### Converters\n\n| converter | input | output | description |\n| --- | --- | --- | --- |\n";
  for (const auto& c : converters())
    out += fmt::format("| `{}{}` | {} | {} | {} |\n", c.name, args(c.args), to_string(c.in), to_string(c.out), cell(c.doc));
  out += "\n### Actions\n\n| action | rule sets | description |\n| --- | --- | --- |\n";
  for (const auto& a : actions())
    out += fmt::format("| `{}{}` | {} | {} |\n", a.name, a.paren ? "(...)" : "", phase_names(a.phases), cell(a.doc));
}

void dump_keywords(std::string& out, std::string_view which) {
  if (which == "md") return reference_markdown(out);
  auto want = [&](std::string_view w) { return which.empty() || which == "all" || which == w; };
  if (want("smp") || want("fetches")) {
    out += "# sample fetches: name(args) -> type  [phases]  description\n";
    for (const auto& f : fetches())
      out += fmt::format("{}{}{}{} -> {}  [{}]  {}\n", f.name, f.args.empty() ? "" : "(", f.args,
                         f.args.empty() ? "" : ")", to_string(f.out), phase_names(f.phases), f.doc);
  }
  if (want("cnv") || want("converters")) {
    out += "# converters: name(args) in -> out  description\n";
    for (const auto& c : converters())
      out += fmt::format("{}{}{}{} {} -> {}  {}\n", c.name, c.args.empty() ? "" : "(", c.args,
                         c.args.empty() ? "" : ")", to_string(c.in), to_string(c.out), c.doc);
  }
  if (want("act") || want("actions")) {
    out += "# actions: name  [rule sets]  description\n";
    for (const auto& a : actions())
      out += fmt::format("{}{}  [{}]  {}\n", a.name, a.paren ? "(...)" : "", phase_names(a.phases), a.doc);
  }
}

}  // namespace sluice::rules
