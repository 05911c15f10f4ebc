// Command line, as haproxy takes it: -f FILE|DIR (repeatable), -c, -D, -p PIDFILE, -d, -q,
// -v, -vv, -cc EXPR, -sf PID..., -st PID..., -W, -S SOCKET, -x SOCKET, -n MAXCONN (global),
// -N MAXCONN (per proxy), -L NAME (peers name: exported as HAPROXY_LOCALPEER; sluice has no peers), -- FILES...
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace sluice::app {

struct Options {
  std::vector<std::string> files;
  bool check_only = false;
  bool daemon = false;
  bool debug = false;
  bool quiet = false;
  bool master_worker = false;
  int version = 0;               // 1 = -v, 2 = -vv
  std::optional<std::string> dump_keywords;   // -dK[CLASS[,CLASS...]]: list the rule tables
  std::optional<std::string> condition;  // -cc EXPR: evaluate and exit 0 (true), 1 (false), 2 (error)
  std::string pidfile;
  std::vector<pid_t> finish_pids;   // -sf
  std::vector<pid_t> terminate_pids;  // -st
  std::string master_socket;     // -S
  std::string fd_socket;         // -x
  std::optional<uint32_t> maxconn;          // -n: the global maxconn, over the config's
  std::optional<uint32_t> default_maxconn;  // -N: maxconn of frontends/listens that set none
  std::string localpeer;         // -L: only exported as HAPROXY_LOCALPEER (sluice has no peers)
  bool help = false;
};

Result<Options> parse_cli(int argc, const char* const* argv);
std::string usage(const char* prog);

}  // namespace sluice::app
