// ACL declarations and `if|unless` conditions.
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <fstream>

#include "config/parse_internal.h"

namespace sluice::config::detail {
namespace {

constexpr std::string_view kFetches[] = {
    "path", "path_beg", "path_dir", "path_dom", "path_end", "path_len", "path_reg", "path_sub",
    "path_found", "pathq", "url", "url_beg", "url_dir", "url_dom", "url_end", "url_len",
    "url_reg", "url_sub", "url_param", "urlp", "urlp_val", "url_ip", "url_port", "url32",
    "base", "base_beg", "base_dir", "base_dom", "base_end", "base_len", "base_reg", "base_sub",
    "base32", "query", "hdr", "hdr_beg", "hdr_cnt", "hdr_dir", "hdr_dom", "hdr_end", "hdr_ip",
    "hdr_len", "hdr_reg", "hdr_sub", "hdr_val", "hdr_found", "cook", "cook_beg", "cook_cnt",
    "cook_dom", "cook_end", "cook_len", "cook_reg", "cook_sub", "cook_val", "shdr", "scook",
    "status", "method", "src", "src_port", "dst", "dst_port", "dst_conn", "so_id", "fe_id",
    "be_id", "srv_id", "fe_name", "be_name", "nbsrv", "srv_is_up", "connslots", "queue",
    "avg_queue", "be_conn", "fe_conn", "http_auth", "http_auth_group", "http_first_req",
    "always_true", "always_false", "env", "int", "str", "bool", "ipv4", "ipv6", "var", "bin",
    "meth", "wait_end", "rand", "date", "hostname", "nbproc", "proc", "thread", "stopping",
    "req_len", "req_ssl_sni", "req_ssl_ver", "req_proto_http", "req_ver", "rdp_cookie",
    "payload", "payload_lv", "lat_ns_avg", "uuid", "cpu_calls", "be_sess_rate", "fe_sess_rate",
};
constexpr std::string_view kFetchPrefixes[] = {"req.", "res.", "ssl_", "sc", "src_", "table_",
                                               "capture.", "fc_", "bc_", "txn.", "http_",
                                               "url32", "base32", "be_", "fe_", "srv_"};
constexpr std::string_view kMatchMethods[] = {"found", "bool", "int", "ip", "bin", "len", "str",
                                              "sub", "reg", "beg", "end", "dir", "dom"};
constexpr std::string_view kPredefinedAcls[] = {
    "TRUE", "FALSE", "HTTP", "HTTP_1.0", "HTTP_1.1", "HTTP_2.0", "HTTP_CONTENT", "HTTP_URL_ABS",
    "HTTP_URL_SLASH", "HTTP_URL_STAR", "LOCALHOST", "METH_CONNECT", "METH_DELETE", "METH_GET",
    "METH_HEAD", "METH_OPTIONS", "METH_POST", "METH_PUT", "METH_TRACE", "RDP_COOKIE",
    "REQ_CONTENT", "WAIT_END"};

bool valid_name(std::string_view n) {
  if (n.empty()) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ':';
  });
}

Result<void> check_fetch(std::string_view fetch) {
  std::string_view base = fetch.substr(0, std::min(fetch.find('('), fetch.find(',')));
  if (base.empty()) return fail(fmt::format("missing fetch method in '{}'", fetch));
  if (fetch.find('(') != std::string_view::npos && fetch.find(')') == std::string_view::npos)
    return fail(fmt::format("missing closing ')' in fetch '{}'", fetch));
  for (auto f : kFetches)
    if (base == f) return {};
  for (auto p : kFetchPrefixes)
    if (base.starts_with(p)) return {};
  return fail(fmt::format("unknown fetch method '{}'{}", base, suggest(base, kFetches)));
}

}  // namespace

Result<Acl> parse_acl(Words words, bool named, const SourceLoc& loc) {
  Acl acl;
  acl.loc = loc;
  size_t i = 0;
  if (named) {
    if (words.empty()) return fail("'acl' expects a name and a fetch method");
    acl.name = words[0];
    if (!valid_name(acl.name))
      return fail(fmt::format("invalid ACL name '{}' (letters, digits, '-', '_', '.' and ':' only)", acl.name));
    i = 1;
  }
  if (i >= words.size()) return fail(fmt::format("ACL '{}' has no fetch method", acl.name));
  acl.fetch = words[i++];
  if (auto r = check_fetch(acl.fetch); !r) return unexpected(r.error());
  while (i < words.size() && words[i].size() > 1 && words[i][0] == '-') {
    const std::string& f = words[i];
    if (f == "--") {
      ++i;
      break;
    }
    if (f == "-i" || f == "-n" || f == "-u") {
      acl.flags.push_back(f);
      ++i;
    } else if (f == "-m" || f == "-f" || f == "-M" || f == "-r") {
      if (i + 1 >= words.size()) return fail(fmt::format("ACL flag '{}' expects an argument", f));
      const std::string& arg = words[i + 1];
      if (f == "-m" && std::find(std::begin(kMatchMethods), std::end(kMatchMethods), arg) ==
                           std::end(kMatchMethods))
        return fail(fmt::format("unknown match method '{}' after '-m'{}", arg, suggest(arg, kMatchMethods)));
      if (f == "-f") {
        std::ifstream in(arg);
        if (!in) return fail(fmt::format("cannot open pattern file '{}'", arg));
        std::string line;
        while (std::getline(in, line)) {
          size_t b = line.find_first_not_of(" \t"), e = line.find_last_not_of(" \t\r");
          if (b == std::string::npos || line[b] == '#') continue;
          acl.patterns.push_back(line.substr(b, e - b + 1));
        }
      }
      acl.flags.push_back(f);
      acl.flags.push_back(arg);
      i += 2;
    } else {
      // HAProxy treats other dash words as patterns only after `--`; be strict.
      return fail(fmt::format("unknown ACL flag '{}' (use '--' before a pattern starting with '-')", f));
    }
  }
  for (; i < words.size(); ++i) acl.patterns.push_back(words[i]);
  return acl;
}

size_t find_condition(Words words) {
  for (size_t i = 0; i < words.size(); ++i)
    if (words[i] == "if" || words[i] == "unless") return i;
  return words.size();
}

Result<Condition> parse_condition(Words words, const ProxyConfig& p, const SourceLoc& loc) {
  Condition c;
  c.loc = loc;
  c.unless = words[0] == "unless";
  c.any_of.emplace_back();
  bool negate = false;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "||" || w == "or") {
      if (negate || c.any_of.back().empty())
        return fail(fmt::format("'{}' without a term before it in condition", w));
      c.any_of.emplace_back();
      continue;
    }
    if (w == "!") {
      negate = !negate;
      continue;
    }
    CondTerm term;
    if (w == "{") {
      size_t close = i + 1;
      while (close < words.size() && words[close] != "}") ++close;
      if (close >= words.size()) return fail("missing '}' after anonymous ACL '{'");
      auto acl = parse_acl(words.subspan(i + 1, close - i - 1), false, loc);
      if (!acl) return unexpected(acl.error());
      term.anonymous = std::move(*acl);
      i = close;
    } else {
      std::string_view name = w;
      while (name.starts_with('!')) {
        negate = !negate;
        name.remove_prefix(1);
      }
      if (name.empty()) continue;
      bool known = std::any_of(p.acls.begin(), p.acls.end(), [&](const Acl& a) { return a.name == name; }) ||
                   std::find(std::begin(kPredefinedAcls), std::end(kPredefinedAcls), name) !=
                       std::end(kPredefinedAcls);
      if (!known) {
        std::vector<std::string_view> names(std::begin(kPredefinedAcls), std::end(kPredefinedAcls));
        for (const auto& a : p.acls) names.push_back(a.name);
        return fail(fmt::format("no such ACL: '{}'{}", name, suggest(name, names)));
      }
      term.acl_name = std::string(name);
    }
    term.negate = negate;
    negate = false;
    c.any_of.back().push_back(std::move(term));
  }
  if (negate) return fail("'!' at the end of a condition");
  if (c.any_of.back().empty())
    return fail(c.any_of.size() == 1 ? fmt::format("missing condition after '{}'", words[0])
                                     : std::string("condition ends with '||'"));
  return c;
}

}  // namespace sluice::config::detail
