// Health checks, agent checks, slowstart and the on-marked-* / observe actions.
//
// One ServerChecks per server that has `check`, `agent-check` or `slowstart`. It lives on one
// worker's event loop (servers are dealt round-robin over the workers) and everything in it
// runs on that loop: probes are non-blocking connects driven by epoll and core::Timer, never a
// blocking thread. Results feed a Health (rise/fall) and are committed through backend/state.h,
// which logs the transition and notifies the balancing algorithms.
//
// Lifetime: ServerChecks objects are created by start() / attach_server() and live until the
// process exits (the worker loops they run on are torn down first), except those of a server
// removed with `del server`: detach_server() retires them on their loop and frees them there.
#pragma once

#include "backend/server.h"
#include "core/event_loop.h"

namespace sluice::proxy {
class Runtime;
}

namespace sluice::check {

// Creates the checks of every server of `rt` and schedules their first probes, spread over
// one interval. Call once, from the main thread, after rt.workers is filled and before the
// worker threads run (the probes start when each worker's loop runs).
void start(proxy::Runtime& rt);

// Same for one server added at runtime (`add server`). Any thread.
void attach_server(proxy::Runtime& rt, backend::Server& s);

// The loop that runs s's checks, or null when it has none. Call under s.backend().mutex().
core::EventLoop* check_loop(const backend::Server& s);

// `del server`: stops s's checks for good and forgets them (s.checks becomes null), so that
// s can be destroyed. Call on check_loop(s). The check object itself is freed on that loop
// once every task already posted to it has run. No-op for a server without checks.
void detach_server(backend::Server& s);

// Passive health (`observe layer4|layer7` + `error-limit` + `on-error`). The proxy calls
// report_observed_error() when a connect to `s` fails (layer7 = false) or when `s` answers
// with an invalid response or a 5xx (layer7 = true), and report_observed_success() after a
// good exchange. Any worker thread; cheap (one relaxed atomic) when `observe` is off.
void report_observed_error(backend::Server& s, bool layer7);
void report_observed_success(backend::Server& s);

}  // namespace sluice::check
