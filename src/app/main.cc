// sluice: an HTTP/TCP load balancer that speaks HAProxy's configuration language.
#include <cstdio>

#include "app/cli.h"
#include "app/process.h"

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
  if (opt->version) {
    std::printf("sluice version %s - HAProxy-compatible load balancer\n", SLUICE_VERSION);
    if (opt->version > 1) {
      std::printf("Build options :\n  TARGET  = linux-glibc\n  CXX     = g++ (C++23)\n"
                  "  Poller  : epoll (edge-triggered)\n  Threads : yes (nbthread)\n"
#ifdef SLUICE_HAVE_SYSTEMD
                  "  systemd : yes (sd_notify)\n"
#else
                  "  systemd : no\n"
#endif
      );
    }
    return 0;
  }
  sluice::app::Process p(std::move(*opt));
  return p.run();
}
