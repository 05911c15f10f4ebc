// sluice: an HTTP/TCP load balancer that speaks HAProxy's configuration language.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/cli.h"
#include "rules/registry.h"
#include "app/process.h"
#include "config/cond.h"
#include "core/version.h"

namespace {

int print_version(int level) {
  std::printf("sluice version %s - HAProxy-compatible load balancer\n", SLUICE_VERSION);
  std::printf("HAProxy-compatible version: %.*s\n", static_cast<int>(sluice::kHaproxyCompatVersion.size()),
              sluice::kHaproxyCompatVersion.data());
  if (level < 2) return 0;
  std::printf("Build options :\n  TARGET  = linux-glibc\n  CXX     = g++ (C++23)\n"
              "  Poller  : epoll (edge-triggered)\n  Threads : yes (nbthread)\n"
#ifdef SLUICE_HAVE_SYSTEMD
              "  systemd : yes (sd_notify)\n"
#else
              "  systemd : no\n"
#endif
  );
  // The same layout as HAProxy's, which scripts (and its regression-test runner) parse:
  // "+NAME" for what this build has, "-NAME" for what it lacks.
  std::string line = "\nFeature list :";
  for (auto f : sluice::build_features()) line += " +" + std::string(f);
  for (auto f : sluice::missing_features()) line += " -" + std::string(f);
  std::printf("%s\n\nAvailable services :", line.c_str());
  for (auto s : sluice::available_services()) std::printf(" %.*s", static_cast<int>(s.size()), s.data());
  std::printf("\n");
  return 0;
}

int check_condition(const std::string& expr) {
  auto r = sluice::config::eval_condition(std::string_view(expr), sluice::config::process_cond_context());
  if (!r) {
    std::fprintf(stderr, "[ALERT] Failed to evaluate condition: %s\n", r.error().message.c_str());
    return 2;
  }
  return *r ? 0 : 1;
}

// The variables HAProxy sets before it reads its configuration, so that `"${HAPROXY_LOCALPEER}"`
// expands as it does there: the -L name, else the host name.
void export_startup_variables(const sluice::app::Options& opt) {
  std::string peer = opt.localpeer;
  if (peer.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) peer = host;
  }
  ::setenv("HAPROXY_LOCALPEER", peer.c_str(), 1);
  ::setenv("HAPROXY_STARTUP_VERSION", SLUICE_VERSION, 1);
}

}  // namespace

int main(int argc, char** argv) {
  auto opt = sluice::app::parse_cli(argc, argv);
  if (!opt) {
    std::fprintf(stderr, "[ALERT] %s\n%s", opt.error().message.c_str(), sluice::app::usage(argv[0]).c_str());
    return 1;
  }
  if (opt->help) {
    std::fputs(sluice::app::usage(argv[0]).c_str(), stdout);
    return 0;
  }
  export_startup_variables(*opt);
  if (opt->condition) return check_condition(*opt->condition);
  if (opt->version) return print_version(opt->version);
  if (opt->dump_keywords) {
    // -dK / -dKall: every table; -dKsmp,cnv,act: those classes; -dKhelp: the classes.
    std::string out, classes = *opt->dump_keywords;
    if (classes == "help") {
      std::fputs("-dK classes: all, smp (sample fetches), cnv (converters), act (actions), md (Markdown reference)\n", stdout);
      return 0;
    }
    if (classes.empty()) classes = "all";
    size_t start = 0;
    while (start <= classes.size()) {
      size_t comma = classes.find(',', start);
      std::string c = classes.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (c != "all" && c != "smp" && c != "cnv" && c != "act" && c != "md") {
        std::fprintf(stderr, "-dK: unknown class '%s' (use -dKhelp)\n", c.c_str());
        return 1;
      }
      sluice::rules::dump_keywords(out, c);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  sluice::app::Process p(std::move(*opt));
  return p.run();
}
