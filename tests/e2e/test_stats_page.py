"""Stats page: HTML, `;csv` in haproxy's format, Basic auth + realm, refresh, admin actions
(POST s=SERVER&action=...&b=BACKEND, as haproxy's page sends), and the Prometheus exporter."""
from __future__ import annotations

import base64
import csv
import io
import re

import pytest

from harness import HttpConn, against_haproxy, http_get, http_request, wait_until

CFG = """
global
    stats socket {dir}/admin.sock level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:{port}
    stats enable
    stats uri /lb-stats
    stats refresh 7s
    {stats}
    acl metrics path /metrics
    http-request use-service prometheus-exporter if metrics
    default_backend app
backend app
    server s1 127.0.0.1:{a}
    server s2 127.0.0.1:{b}
"""


def start(sluice, farm, stats="stats admin if TRUE"):
    a, b = farm(2)
    return sluice(CFG, a=a.port, b=b.port, stats=stats)


def basic(user: str, pw: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}


def rows(text: str) -> list[dict]:
    assert text.startswith("# pxname,svname,"), text[:80]
    return list(csv.DictReader(io.StringIO(text[2:])))


def test_csv_export_has_haproxys_columns_and_rows(sluice, farm):
    lb = start(sluice, farm)
    for _ in range(4):
        assert http_get(lb.port, "/").status == 200
    r = http_get(lb.port, "/lb-stats;csv")
    assert r.status == 200 and r.header("Content-Type").startswith("text/plain")
    header = r.text.splitlines()[0]
    assert header.startswith("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,"
                             "ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,"
                             "lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,")
    table = {(row["pxname"], row["svname"]): row for row in rows(r.text)}
    assert set(table) >= {("web", "FRONTEND"), ("app", "s1"), ("app", "s2"), ("app", "BACKEND")}
    assert table[("web", "FRONTEND")]["status"] == "OPEN"
    assert int(table[("app", "s1")]["stot"]) + int(table[("app", "s2")]["stot"]) == 4
    assert table[("app", "BACKEND")]["type"] == "1" and table[("app", "s1")]["type"] == "2"
    assert int(table[("app", "BACKEND")]["hrsp_2xx"]) == 4


def test_html_page_lists_every_object(sluice, farm):
    if against_haproxy():
        pytest.skip("checks sluice's own page markup")
    lb = start(sluice, farm)
    r = http_get(lb.port, "/lb-stats")
    assert r.status == 200 and "text/html" in r.header("Content-Type")
    assert r.header("Refresh") == "7"
    html = r.text
    for needle in ('data-proxy="web"', 'data-proxy="app"', 'data-server="s1"', 'data-server="s2"',
                   'data-server="BACKEND"', 'data-server="FRONTEND"'):
        assert needle in html
    assert "<script" not in html and "http://" not in html and "https://" not in html  # self-contained
    assert 'value="drain"' in html                          # admin allowed: action buttons
    assert http_get(lb.port, "/lb-stats;norefresh").header("Refresh") is None


def test_no_action_buttons_without_admin(sluice, farm):
    lb = start(sluice, farm, stats="")
    assert 'value="drain"' not in http_get(lb.port, "/lb-stats").text
    r = http_request(lb.port, "POST", "/lb-stats", body=b"s=s1&action=maint&b=app",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 303 and r.header("Location") == "/lb-stats;st=DENY"
    assert "MAINT" not in lb.cli("show stat")


def test_admin_actions_change_server_state(sluice, farm):
    lb = start(sluice, farm)
    for action, state, admin_flag in (("drain", "DRAIN", "8"), ("maint", "MAINT", "1"), ("ready", "no check", "0")):
        r = http_request(lb.port, "POST", "/lb-stats", body=f"s=s2&action={action}&b=app".encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status == 303 and r.header("Location") == "/lb-stats;st=DONE"
        table = {(x["pxname"], x["svname"]): x for x in rows(http_get(lb.port, "/lb-stats;csv").text)}
        assert table[("app", "s2")]["status"] == state
        line = next(l for l in lb.cli("show servers state app").splitlines() if " s2 " in l)
        assert line.split()[6] == admin_flag, line
    # The page shows the outcome of the last action.
    assert against_haproxy() or 'data-status="DONE"' in http_get(lb.port, "/lb-stats;st=DONE").text
    # Unknown server / bad action: haproxy's ERRP.
    r = http_request(lb.port, "POST", "/lb-stats", body=b"s=nope&action=drain&b=app")
    assert r.header("Location") == "/lb-stats;st=ERRP"


def test_basic_auth(sluice, farm):
    lb = start(sluice, farm, stats='stats auth admin:s3cret\n    stats realm Sluice\\ Stats')
    r = http_get(lb.port, "/lb-stats")
    assert r.status == 401
    assert r.header("WWW-Authenticate") == 'Basic realm="Sluice Stats"'
    assert http_get(lb.port, "/lb-stats", headers=basic("admin", "wrong")).status == 401
    assert http_get(lb.port, "/lb-stats", headers=basic("admin", "s3cret")).status == 200
    assert http_get(lb.port, "/lb-stats;csv", headers=basic("admin", "s3cret")).text.startswith("# pxname")
    assert http_get(lb.port, "/").status == 200             # other paths are not protected


def test_basic_auth_is_decoded_strictly(sluice, farm):
    lb = start(sluice, farm, stats="stats auth admin:s3cret")
    good = base64.b64encode(b"admin:s3cret").decode()

    def status(*values: str) -> int:
        return http_get(lb.port, "/lb-stats", headers=[("Authorization", v) for v in values]).status

    assert status(f"Basic {good}") == 200
    assert status(f"basic {good}") == 200 and status(f"BASIC {good}") == 200   # scheme: any case
    for bad in (f"Basic {good}x", f"Basic {good.rstrip('=')}A", f"Basic {good} junk", f"Basic{good}",
                f"Basic {good[:8]} {good[8:]}", f"Bearer {good}",
                "Basic " + base64.b64encode(b"admins3cret").decode(),         # no colon
                "Basic " + base64.b64encode(b"admin:s3cre").decode(),         # a prefix of it
                "Basic " + base64.b64encode(b"admin:s3cret\n").decode(),      # a control character
                "Basic " + base64.b64encode(b"admin:s3cretX").decode()):
        assert status(bad) == 401, bad
    assert status(f"Basic {good}", f"Basic {good}") == 401   # a singleton field, given twice


PROM_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$')


def parse_prometheus(text: str) -> dict:
    """name -> list of (labels dict, value); checks every line is valid exposition format."""
    out: dict = {}
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge"), line
            types[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        m = PROM_LINE.match(line)
        assert m, f"bad exposition line: {line!r}"
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        assert m.group(1) in types, f"sample before its # TYPE: {line!r}"
        out.setdefault(m.group(1), []).append((labels, float(m.group(4))))
    return out


def test_prometheus_scrape(sluice, farm):
    lb = start(sluice, farm)
    for _ in range(3):
        assert http_get(lb.port, "/").status == 200
    with HttpConn(lb.port) as c:
        r = c.request("GET", "/metrics")
    assert r.status == 200 and r.header("Content-Type").startswith("text/plain")
    m = parse_prometheus(r.text)
    for name in ("haproxy_process_uptime_seconds", "haproxy_process_current_connections",
                 "haproxy_process_dropped_logs_total", "haproxy_frontend_sessions_total",
                 "haproxy_frontend_http_requests_total", "haproxy_backend_active_servers",
                 "haproxy_server_current_sessions", "haproxy_server_sessions_total",
                 "haproxy_server_weight", "haproxy_server_status", "haproxy_backend_status"):
        assert name in m, name
    up = {(l["server"], l["state"]): v for l, v in m["haproxy_server_status"]}
    assert up[("s1", "UP")] == 1 and up[("s1", "DOWN")] == 0
    by_code = {(l["proxy"], l["code"]): v for l, v in m["haproxy_backend_http_responses_total"]}
    assert by_code[("app", "2xx")] >= 3
    active = {l["proxy"]: v for l, v in m["haproxy_backend_active_servers"]}
    assert active["app"] == 2
    # Draining a server shows in the next scrape.
    lb.cli("set server app/s1 state maint")
    m = parse_prometheus(http_get(lb.port, "/metrics").text)
    up = {(l["server"], l["state"]): v for l, v in m["haproxy_server_status"]}
    assert up[("s1", "MAINT")] == 1 and up[("s1", "UP")] == 0


def test_time_averages_in_csv_and_prometheus(sluice, farm):
    """qtime/ctime/rtime/ttime (averages of the last 1024 exchanges, ms), their maxima and
    lastsess, per server and backend, in `show stat` and the exporter."""
    lb = start(sluice, farm)
    before = {r["svname"]: r for r in rows(lb.cli("show stat")) if r["pxname"] == "app"}
    assert before["s1"]["lastsess"] == "-1" and before["s1"]["rtime"] == "0"
    for _ in range(4):
        assert http_get(lb.port, "/slow?ms=200").status == 200
    stat = {r["svname"]: r for r in rows(lb.cli("show stat")) if r["pxname"] == "app"}
    for sv in ("s1", "s2", "BACKEND"):
        r = stat[sv]
        assert 180 <= int(r["rtime"]) < 2000, (sv, r["rtime"])
        assert int(r["ttime"]) >= int(r["rtime"]), (sv, r)
        assert int(r["rtime_max"]) >= int(r["rtime"]), (sv, r)
        assert int(r["qtime"]) == 0 and int(r["lastsess"]) >= 0, (sv, r)
    m = parse_prometheus(http_get(lb.port, "/metrics").text)
    rt = {l["server"]: v for l, v in m["haproxy_server_response_time_average_seconds"]}
    assert 0.18 <= rt["s1"] < 2.0, rt
