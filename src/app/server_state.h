// Server state carried across a reload: the version-1 format of `show servers state`
// (haproxy's server-state-file format), read from the files named by `server-state-file` /
// `load-server-state-from-file`, or taken from the previous process automatically.
//
// What is restored, per server matched by backend and server name: the administrative state
// (forced maintenance, drain), the weight set at run time (only if the configured weight did
// not change), the address and port set at run time, and the health: a server that was DOWN
// starts DOWN (its checks must see `rise` successes first), so a new process never sends a
// request to a server the old one knew to be down.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/model.h"
#include "core/result.h"
#include "proxy/runtime.h"

namespace sluice::app {

struct ServerStateLine {
  std::string backend, server;
  std::string addr;        // "-" when none
  int op = 2;              // 0 stopped, 2 running, 3 stopping
  int admin = 0;           // bit 0x01 forced maintenance, 0x08 forced drain
  uint32_t uweight = 1, iweight = 1;
  uint32_t health = 0;
  uint16_t port = 0;
};

// Parses version-1 text; malformed lines are skipped (counted in `skipped`).
std::vector<ServerStateLine> parse_server_state(std::string_view text, size_t* skipped = nullptr);

// The state lines the configuration asks to load from files (`load-server-state-from-file
// global|local`), or an error naming the unreadable file. Backends without the keyword get none.
Result<std::vector<ServerStateLine>> read_state_files(const config::Config& cfg);

// Before Runtime::build: a server with checks that was DOWN starts DOWN.
void apply_state_to_config(config::Config& cfg, const std::vector<ServerStateLine>& lines);
// After Runtime::build, before workers and checks run: admin state, weight, address.
// Returns the number of servers whose state was restored.
size_t apply_state_to_runtime(proxy::Runtime& rt, const std::vector<ServerStateLine>& lines);

// Stick-table entries handed over on reload: the output of the old process's `_dumptables`.
// Tables are matched by name; entries of tables the new configuration lacks are dropped.
size_t apply_tables(proxy::Runtime& rt, std::string_view dump);
// Splits a "show servers state;_dumptables" answer into its two parts.
std::pair<std::string, std::string> split_state_and_tables(const std::string& text);

}  // namespace sluice::app
