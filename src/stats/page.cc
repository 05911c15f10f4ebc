#include "stats/page.h"

#include <fmt/format.h>

namespace sluice::stats {

namespace {

// Self-contained: no external fonts, scripts or images (the page must work air-gapped).
constexpr std::string_view kCss = R"(
:root{--bg:#f4f6f9;--card:#fff;--ink:#1d2733;--muted:#6b7785;--line:#e3e8ef;
--up:#1f9d55;--up-bg:#e7f6ed;--down:#d64545;--down-bg:#fdecec;--maint:#8a6d3b;--maint-bg:#f6efe2;
--drain:#2f6fdb;--drain-bg:#e8f0fd;--nolb:#d9822b;--nolb-bg:#fdf1e4;--none:#6b7785;--none-bg:#f0f2f5}
*{box-sizing:border-box}body{margin:0;font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:var(--bg);color:var(--ink)}
header{background:#16202c;color:#fff;padding:14px 24px;display:flex;align-items:baseline;gap:18px;flex-wrap:wrap}
header h1{margin:0;font-size:18px;font-weight:600;letter-spacing:.3px}
header .meta{color:#aab6c4;font-size:12px}header .meta b{color:#fff;font-weight:600}
main{padding:18px 24px;max-width:1600px}
.banner{padding:10px 14px;border-radius:6px;margin-bottom:14px;font-weight:500}
.banner.ok{background:var(--up-bg);color:var(--up)}.banner.err{background:var(--down-bg);color:var(--down)}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;margin-bottom:18px;overflow-x:auto;
box-shadow:0 1px 2px rgba(16,24,40,.04)}
.card h2{margin:0;padding:10px 14px;font-size:14px;border-bottom:1px solid var(--line);display:flex;gap:10px;align-items:center}
.card h2 .kind{font-size:11px;color:var(--muted);font-weight:500;text-transform:uppercase;letter-spacing:.6px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:5px 8px;text-align:right;white-space:nowrap;border-bottom:1px solid var(--line)}
th{font-size:11px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.4px;background:#fafbfc}
th.grp{text-align:center;border-left:1px solid var(--line)}td.l,th.l{text-align:left}
tr.total td{font-weight:600;background:#fafbfc}tr:last-child td{border-bottom:0}
.st{display:inline-block;min-width:64px;text-align:center;padding:2px 8px;border-radius:10px;font-size:11px;font-weight:600}
.st.UP,.st.OPEN{color:var(--up);background:var(--up-bg)}.st.DOWN,.st.STOP{color:var(--down);background:var(--down-bg)}
.st.MAINT{color:var(--maint);background:var(--maint-bg)}.st.DRAIN{color:var(--drain);background:var(--drain-bg)}
.st.NOLB{color:var(--nolb);background:var(--nolb-bg)}.st.nocheck{color:var(--none);background:var(--none-bg)}
tr.s-DOWN td:first-child{box-shadow:inset 3px 0 var(--down)}tr.s-MAINT td:first-child{box-shadow:inset 3px 0 var(--maint)}
tr.s-DRAIN td:first-child{box-shadow:inset 3px 0 var(--drain)}tr.s-UP td:first-child{box-shadow:inset 3px 0 var(--up)}
.chk{color:var(--muted);font-size:12px}
form.act{display:inline-flex;gap:4px;margin:0}
form.act button{font:inherit;font-size:11px;padding:2px 8px;border-radius:4px;border:1px solid var(--line);background:#fff;cursor:pointer}
form.act button:hover{border-color:#9aa8b8}form.act button.drain{color:var(--drain)}form.act button.maint{color:var(--maint)}
form.act button.ready{color:var(--up)}
footer{color:var(--muted);font-size:12px;padding:0 24px 24px}footer a{color:inherit}
)";

std::string human_bytes(std::string_view v) {
  if (v.empty()) return "";
  double b = std::stod(std::string(v));
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  return u == 0 ? fmt::format("{} B", v) : fmt::format("{:.1f} {}", b, units[u]);
}

std::string duration(std::string_view secs) {
  if (secs.empty()) return "";
  uint64_t s = std::stoull(std::string(secs));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
  return fmt::format("{}d{:02}h", s / 86400, s / 3600 % 24);
}

std::string status_cell(std::string_view st) {
  std::string cls = st == "no check" ? "nocheck" : std::string(st);
  return fmt::format("<span class=\"st {}\">{}</span>", cls, html_escape(st));
}

// One table cell carrying its CSV column name, so scripts and tests find values by name.
std::string td(std::string_view col, std::string_view text, bool left = false) {
  return fmt::format("<td data-col=\"{}\"{}>{}</td>", col, left ? " class=\"l\"" : "", text);
}

void row_html(std::string& out, const StatRow& r, const PageOptions& o, bool admin_col) {
  auto v = [&](std::string_view c) { return html_escape(r.get(c)); };
  std::string_view st = r.get("status");
  std::string name = r.type == 'F' ? "Frontend" : r.type == 'B' ? "Backend" : html_escape(r.get("svname"));
  out += fmt::format("<tr class=\"{} s-{}\" data-proxy=\"{}\" data-server=\"{}\">",
                     r.type == 'S' ? "srv" : "total", st == "no check" ? "nocheck" : std::string(st),
                     v("pxname"), v("svname"));
  out += td("svname", name, true);
  out += td("status", status_cell(st), true);
  out += td("weight", v("weight"));
  out += td("qcur", v("qcur")) + td("qmax", v("qmax"));
  out += td("scur", v("scur")) + td("smax", v("smax")) + td("slim", v("slim")) + td("stot", v("stot"));
  out += td("rate", v("rate"));
  out += td("bin", human_bytes(r.get("bin"))) + td("bout", human_bytes(r.get("bout")));
  out += td("dreq", v("dreq"));
  out += td("ereq", v("ereq")) + td("econ", v("econ")) + td("eresp", v("eresp"));
  out += td("wretr", v("wretr")) + td("wredis", v("wredis"));
  std::string chk;
  if (!r.get("check_status").empty()) {
    chk = fmt::format("{}", v("check_status"));
    if (!r.get("check_code").empty() && r.get("check_code") != "0") chk += fmt::format("/{}", v("check_code"));
    if (!r.get("check_duration").empty()) chk += fmt::format(" in {}ms", v("check_duration"));
  }
  out += td("check_status", "<span class=\"chk\">" + chk + "</span>", true);
  out += td("lastchg", duration(r.get("lastchg")));
  if (admin_col) {
    std::string act;
    if (r.type == 'S') {
      act = fmt::format("<form class=\"act\" method=\"post\" action=\"{}\">"
                        "<input type=\"hidden\" name=\"s\" value=\"{}\">"
                        "<input type=\"hidden\" name=\"b\" value=\"{}\">",
                        html_escape(o.uri), v("svname"), v("pxname"));
      for (std::string_view a : {"ready", "drain", "maint"})
        act += fmt::format("<button type=\"submit\" name=\"action\" value=\"{0}\" class=\"{0}\" "
                           "title=\"Set {1} to {0}\">{0}</button>", a, v("svname"));
      act += "</form>";
    }
    out += td("action", act, true);
  }
  out += "</tr>\n";
}

constexpr std::string_view kHead =
    "<tr><th class=\"l\">Name</th><th class=\"l\">Status</th><th>Weight</th><th>Queue</th><th>Max</th>"
    "<th>Sessions</th><th>Max</th><th>Limit</th><th>Total</th><th>Rate</th><th>Bytes in</th>"
    "<th>Bytes out</th><th>Denied</th><th>Req err</th><th>Conn err</th><th>Resp err</th>"
    "<th>Retries</th><th>Redisp</th><th class=\"l\">Last check</th><th>Last change</th>";

}  // namespace

std::string html_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string render_page(const std::vector<StatRow>& rows, const PageOptions& o) {
  std::string out;
  out.reserve(16384 + rows.size() * 900);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">";
  out += fmt::format("<title>Statistics Report{}</title>",
                     o.node.empty() ? "" : " for " + html_escape(o.node));
  out += fmt::format("<style>{}</style></head><body>\n", kCss);
  out += "<header><h1>sluice statistics</h1><span class=\"meta\">";
  if (!o.hide_version) out += fmt::format("version <b>{}</b> &middot; ", html_escape(o.version));
  out += fmt::format("pid <b>{}</b> &middot; uptime <b>{}</b> &middot; connections <b>{}</b>",
                     o.pid, duration(fmt::to_string(o.uptime_s)), o.cur_conns);
  if (o.max_conns) out += fmt::format(" / {}", o.max_conns);
  out += fmt::format(" &middot; dropped logs <b>{}</b>", o.dropped_logs);
  if (!o.node.empty()) out += fmt::format(" &middot; node <b>{}</b>", html_escape(o.node));
  if (o.refresh_s > 0) out += fmt::format(" &middot; refresh every {}s", o.refresh_s);
  out += "</span></header>\n<main>\n";
  if (!o.status.empty()) {
    bool ok = o.status == "DONE";
    std::string_view text = o.status == "DONE"   ? "Action processed successfully."
                            : o.status == "DENY" ? "Action denied: administration is not allowed."
                            : o.status == "NONE" ? "Nothing has changed."
                            : o.status == "ERRP" ? "Action not processed: invalid parameters."
                            : o.status == "EXCD" ? "Action not processed: the buffer could not hold the request."
                                                 : "Action not processed.";
    out += fmt::format("<div class=\"banner {}\" id=\"action-status\" data-status=\"{}\">{}</div>\n",
                       ok ? "ok" : "err", html_escape(o.status), text);
  }
  // Group rows by proxy, keeping haproxy's order: a card per pxname and type group.
  size_t i = 0;
  while (i < rows.size()) {
    size_t j = i;
    bool fe = rows[i].type == 'F';
    while (j < rows.size() && rows[j].get("pxname") == rows[i].get("pxname") &&
           (rows[j].type == 'F') == fe)
      ++j;
    bool admin_col = o.admin && !fe;
    out += fmt::format("<section class=\"card\" data-proxy=\"{}\"><h2>{}<span class=\"kind\">{}</span>"
                       "</h2><table><thead>{}{}</tr></thead><tbody>\n",
                       html_escape(rows[i].get("pxname")), html_escape(rows[i].get("pxname")),
                       fe ? "frontend" : "backend", kHead, admin_col ? "<th class=\"l\">Action</th>" : "");
    for (size_t k = i; k < j; ++k) row_html(out, rows[k], o, admin_col);
    out += "</tbody></table></section>\n";
    i = j;
  }
  out += fmt::format("</main><footer><a href=\"{};csv\">CSV export</a>{}</footer></body></html>\n",
                     html_escape(o.uri),
                     o.refresh_s > 0 ? fmt::format(" &middot; <a href=\"{};norefresh\">disable refresh</a>",
                                                   html_escape(o.uri))
                                     : "");
  return out;
}

}  // namespace sluice::stats
