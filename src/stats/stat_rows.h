// The rows of haproxy's `show stat` (one per frontend, backend and server) with its 103
// columns, computed once from the live counters and shared by every export: the runtime
// API (`show stat` CSV / typed / json), the stats page and its `;csv`, and Prometheus.
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::proxy {
class Runtime;
}
namespace sluice::backend {
class Server;
}

namespace sluice::stats {

extern const std::array<std::string_view, 103> kStatColumns;

using Row = std::map<std::string_view, std::string>;
struct StatRow {
  char type;   // F, B, S
  int iid, sid;
  Row f;
  std::string_view get(std::string_view col) const {
    auto it = f.find(col);
    return it == f.end() ? std::string_view() : std::string_view(it->second);
  }
};

// Frontends and backends in id order (a backend's servers before its BACKEND row), as
// haproxy prints them. `hide_private`: no server addresses nor cookies (level user).
// Takes each backend's lock briefly; any thread.
std::vector<StatRow> stat_rows(proxy::Runtime& rt, bool hide_private);
// The `show stat` CSV: "# pxname,svname,...\n" then one line per row.
std::string stat_csv(const std::vector<StatRow>& rows);
// "UP", "DOWN", "MAINT", "DRAIN", "NOLB", "no check".
std::string server_status(const backend::Server& s);

}  // namespace sluice::stats
