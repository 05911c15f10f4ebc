#include "app/cli.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace sluice::app {

namespace {
bool is_pid(const char* s) {
  if (*s == '\0') return false;
  for (const char* p = s; *p; ++p)
    if (*p < '0' || *p > '9') return false;
  return true;
}

// A connection limit: decimal digits only, 1..UINT32_MAX (strtoul took "12abc", "-1" or "").
Result<uint32_t> parse_limit(std::string_view opt, const std::string& v) {
  uint64_t n = 0;
  bool ok = !v.empty() && v.size() <= 10;
  for (char c : v) {
    if (c < '0' || c > '9') ok = false;
    else n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || n == 0 || n > UINT32_MAX)
    return fail(fmt::format("option '{}' expects a connection limit (1 to {}), not '{}'", opt, UINT32_MAX, v));
  return static_cast<uint32_t>(n);
}
}  // namespace

Result<Options> parse_cli(int argc, const char* const* argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto need = [&](const char* what) -> Result<std::string> {
      if (i + 1 >= argc) return fail(fmt::format("option '{}' requires {}", a, what));
      return std::string(argv[++i]);
    };
    if (a == "-f") {
      auto v = need("a file or directory");
      if (!v) return unexpected(v.error());
      o.files.push_back(*v);
    } else if (a == "--") {
      for (++i; i < argc; ++i) o.files.emplace_back(argv[i]);
    } else if (a == "-c") {
      o.check_only = true;
    } else if (a == "-D") {
      o.daemon = true;
    } else if (a == "-d" || a == "-dV" || a == "-db") {
      o.debug = a == "-d";
      if (a == "-db") o.daemon = false;
    } else if (a == "-q") {
      o.quiet = true;
    } else if (a == "-v") {
      o.version = 1;
    } else if (a == "-vv") {
      o.version = 2;
    } else if (a.starts_with("-dK")) {
      o.dump_keywords = std::string(a.substr(3));
    } else if (a == "-cc") {
      auto v = need("a condition");
      if (!v) return unexpected(v.error());
      o.condition = std::move(*v);
    } else if (a == "-W" || a == "-Ws") {
      o.master_worker = true;
    } else if (a == "-p") {
      auto v = need("a pid file");
      if (!v) return unexpected(v.error());
      o.pidfile = *v;
    } else if (a == "-S") {
      auto v = need("a socket path");
      if (!v) return unexpected(v.error());
      o.master_socket = *v;
      o.master_worker = true;
    } else if (a == "-x") {
      auto v = need("a socket path");
      if (!v) return unexpected(v.error());
      o.fd_socket = *v;
    } else if (a == "-n" || a == "-N") {
      auto v = need("a number");
      if (!v) return unexpected(v.error());
      auto n = parse_limit(a, *v);
      if (!n) return unexpected(n.error());
      (a == "-n" ? o.maxconn : o.default_maxconn) = *n;
    } else if (a == "-L") {   // the local peers name: sluice has no peers, only ${HAPROXY_LOCALPEER} uses it
      auto v = need("a peer name");
      if (!v) return unexpected(v.error());
      o.localpeer = *v;
    } else if (a == "-sf" || a == "-st") {
      auto& list = a == "-sf" ? o.finish_pids : o.terminate_pids;
      // Like haproxy, every following numeric argument is a pid; an empty list (as from
      // `$(cat missing.pid)`) is accepted.
      while (i + 1 < argc && is_pid(argv[i + 1])) list.push_back(static_cast<pid_t>(std::atoi(argv[++i])));
    } else if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (!a.empty() && a[0] != '-') {
      o.files.emplace_back(a);   // haproxy accepts bare file names after the options too
    } else {
      return fail(fmt::format("unknown option '{}'", a));
    }
  }
  if (o.files.empty() && o.version == 0 && !o.help && !o.condition && !o.dump_keywords) return fail("no configuration file given (use -f FILE)");
  return o;
}

std::string usage(const char* prog) {
  return fmt::format(
      "Usage : {} [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]\n"
      "        [ -p <pidfile> ] [ -sf|-st <pid>* ] [ -x <unix_socket> ] [ -S <master-socket> ]\n"
      "        -v displays version ; -vv shows build options.\n"
      "        -cc <expr> evaluates a condition (as `.if`): exit 0 if true, 1 if false, 2 on error.\n"
      "        -d enters debug mode (foreground, traces on stderr).\n"
      "        -D goes daemon ; -W master-worker mode ; -S master CLI socket.\n"
      "        -q quiet mode : don't display messages\n"
      "        -c check mode : only check the configuration and exit (0 = valid, 1 = invalid)\n"
      "        -n sets the global maxconn (over the config's) ; -N the maxconn of proxies that set none.\n"
      "        -p writes pids of all children to this file\n"
      "        -sf/-st [pid ]* finishes/terminates old pids after a successful start.\n"
      "        -x <unix_socket> gets listening sockets from a running sluice or haproxy.\n",
      prog);
}

}  // namespace sluice::app
