// systemd readiness notification (Type=notify). A no-op when sluice was built without
// libsystemd or when not started by systemd (no $NOTIFY_SOCKET).
#pragma once

namespace sluice::app {

void notify_ready();       // READY=1
void notify_reloading();   // RELOADING=1 with MONOTONIC_USEC (Type=notify-reload too)
void notify_stopping();    // STOPPING=1
void notify_status(const char* text);

}  // namespace sluice::app
