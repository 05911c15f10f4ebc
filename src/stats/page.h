// The HTML stats page: one card per frontend / backend with a row per server, colour-coded
// states, and (when `stats admin` allows it) per-server drain / maint / ready buttons that
// POST `s=SERVER&action=ACTION&b=BACKEND` back to the stats URI, as haproxy's page does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stats/stat_rows.h"

namespace sluice::stats {

struct PageOptions {
  std::string uri;                // the stats URI (form target, links)
  bool admin = false;             // show the action buttons
  bool hide_version = false;
  int refresh_s = 0;              // 0: no auto refresh
  std::string_view status;        // ";st=" result of the last action: DONE, NONE, DENY, ...
  std::string version, node;
  int pid = 0;
  uint64_t uptime_s = 0;
  uint32_t cur_conns = 0, max_conns = 0;
  uint64_t dropped_logs = 0;
};

std::string render_page(const std::vector<StatRow>& rows, const PageOptions& opts);
// HTML-escapes text for element content and attribute values.
std::string html_escape(std::string_view s);

}  // namespace sluice::stats
