#include "app/sd_notify.h"

#include <time.h>

#include <string>

#include <fmt/format.h>

#ifdef SLUICE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace sluice::app {

namespace {
void send(const std::string& text) {
#ifdef SLUICE_HAVE_SYSTEMD
  sd_notify(0, text.c_str());
#else
  (void)text;
#endif
}
}  // namespace

void notify_ready() { send("READY=1\nSTATUS=Ready."); }

void notify_reloading() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t usec = static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
  send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=Reloading configuration.", usec));
}

void notify_stopping() { send("STOPPING=1"); }

void notify_status(const char* text) { send(fmt::format("STATUS={}", text)); }

}  // namespace sluice::app
