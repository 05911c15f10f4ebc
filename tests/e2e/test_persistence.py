"""Session persistence, backups and queues: the "Flows" of seed 001 sections 1, 2 and 3,
header for header, plus drain/maintenance with many cookie clients and server queues.

Each flow test sends the seed's exact HTTP/1.0 requests on raw sockets and asserts both
what the client receives and what the server received (the demo app's /echo returns the
request head it got).
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from harness import HttpConn, http_request, wait_until

DEFAULTS = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
"""


def farm_cfg(apps, body: str, server_opts: str = "", cookies: bool = True) -> str:
    servers = "\n".join(
        f"    server {a.name} 127.0.0.1:{a.port}" + (f" cookie {a.name[-1]}" if cookies else "")
        + (f" {server_opts}" if server_opts else "") for a in apps)
    extra = "".join(f"    {line.strip()}\n" for line in body.strip().splitlines())
    return f"""{DEFAULTS}
global
    stats socket {{dir}}/admin.sock level admin

listen webfarm 127.0.0.1:{{bind}}
{extra}{servers}
"""


def raw(port: int, request: bytes) -> tuple:
    """Sends one HTTP/1.0 request on a fresh connection; returns the response."""
    with HttpConn(port) as c:
        c.send(request)
        return c.read_response()


def op_state(lb, backend: str, server: str) -> int:
    """srv_op_state of `show servers state` (0 = DOWN, 2 = UP, 3 = NOLB...)."""
    lines = lb.cli(f"show servers state {backend}").splitlines()
    header = lines[1].lstrip("# ").split()
    for line in lines[2:]:
        f = line.split()
        if len(f) > 3 and f[3] == server:
            return int(f[header.index("srv_op_state")])
    raise AssertionError(f"no server {server} in {lines}")


def echoed_head(resp) -> list[str]:
    return resp.text.split("\r\n")


# ---- seed 001 section 1: cookie insert indirect --------------------------------------

SECTION1 = """
    mode http
    balance roundrobin
    cookie SERVERID insert indirect
    option httpchk HEAD /index.html HTTP/1.0
"""


def test_flow_section1_cookie_insert_indirect(farm, sluice):
    apps = farm(4)
    lb = sluice(farm_cfg(apps, SECTION1, server_opts="check"))
    # >-- GET /URI1 HTTP/1.0 (no cookie): load-balanced; the response gets SERVERID=<server>
    r1 = raw(lb.port, b"GET /echo?URI1 HTTP/1.0\r\n\r\n")
    assert r1.status == 200
    server = r1.served_by
    assert r1.header_all("Set-Cookie")[-1] == f"SERVERID={server[-1]}; path=/"
    # the server saw the request unchanged (no cookie, no added header but Connection)
    head = echoed_head(r1)
    assert head[0] == "GET /echo?URI1 HTTP/1.0"
    assert not any(h.lower().startswith("cookie:") for h in head)
    # >-- GET /URI2 HTTP/1.0 with Cookie: SERVERID=A -> same server, cookie deleted, and the
    # proxy does not add the cookie again because the client knows it.
    for _ in range(5):
        r2 = raw(lb.port, f"GET /echo?URI2 HTTP/1.0\r\nCookie: SERVERID={server[-1]}\r\n\r\n".encode())
        assert r2.served_by == server
        assert not any(v.startswith("SERVERID=") for v in r2.header_all("Set-Cookie"))
        head = echoed_head(r2)
        assert head[0] == "GET /echo?URI2 HTTP/1.0"
        assert not any(h.lower().startswith("cookie:") for h in head), head
    # other cookies of the client are kept, only ours is removed
    r3 = raw(lb.port, f"GET /echo HTTP/1.0\r\nCookie: a=1; SERVERID={server[-1]}; b=2\r\n\r\n".encode())
    assert "Cookie: a=1; b=2" in echoed_head(r3)


def test_flow_section1_dead_server_reassigns_cookie(farm, sluice):
    apps = farm(2)
    lb = sluice(farm_cfg(apps, SECTION1 + "\ntimeout check 500ms",
                         server_opts="check inter 100 fall 1 rise 1"))
    apps[0].stop()   # webA dies
    wait_until(lambda: op_state(lb, "webfarm", "webA") == 0, 5, "webA to be seen down")
    r = raw(lb.port, b"GET / HTTP/1.0\r\nCookie: SERVERID=A\r\n\r\n")
    assert r.status == 200 and r.served_by == "webB"
    assert "SERVERID=B; path=/" in r.header_all("Set-Cookie")


# ---- seed 001 section 2: cookie prefix + httpclose + forwardfor -------------------------

SECTION2 = """
    mode http
    balance roundrobin
    cookie JSESSIONID prefix
    option httpclose
    option forwardfor
"""


def test_flow_section2_cookie_prefix(farm, sluice):
    apps = farm(4)
    lb = sluice(farm_cfg(apps, SECTION2))
    # no cookie: forwarded with X-Forwarded-For, response unchanged
    r1 = raw(lb.port, b"GET /echo?URI1 HTTP/1.0\r\n\r\n")
    head = echoed_head(r1)
    assert "X-Forwarded-For: 127.0.0.1" in head
    assert not r1.header_all("Set-Cookie")
    assert r1.header("Connection") == "close"
    # the application sets JSESSIONID=123: the proxy prefixes it with the server's cookie
    r2 = raw(lb.port, b"GET /setcookie?name=JSESSIONID&value=123 HTTP/1.0\r\n\r\n")
    server = r2.served_by
    assert f"JSESSIONID={server[-1]}~123" in [v.split(";")[0] for v in r2.header_all("Set-Cookie")]
    # the client comes back with the prefixed cookie: same server, which sees its own cookie
    for _ in range(4):
        r3 = raw(lb.port, f"GET /echo?URI3 HTTP/1.0\r\nCookie: JSESSIONID={server[-1]}~123\r\n\r\n".encode())
        assert r3.served_by == server
        head = echoed_head(r3)
        assert "Cookie: JSESSIONID=123" in head, head
        assert "X-Forwarded-For: 127.0.0.1" in head
        assert not r3.header_all("Set-Cookie")


# ---- seed 001 section 3: insert indirect nocache behind a TLS front -------------------

SECTION3 = """
    mode http
    balance roundrobin
    cookie SERVERID insert indirect nocache
"""


def test_flow_section3_nocache(farm, sluice):
    apps = farm(4)
    lb = sluice(farm_cfg(apps, SECTION3))
    r1 = raw(lb.port, b"GET /URI1 HTTP/1.0\r\n\r\n")
    server = r1.served_by
    assert f"SERVERID={server[-1]}; path=/" in r1.header_all("Set-Cookie")
    assert r1.header("Cache-Control") == "private"
    r2 = raw(lb.port, f"GET /URI2 HTTP/1.0\r\nCookie: SERVERID={server[-1]}\r\n\r\n".encode())
    assert r2.served_by == server
    assert r2.header("Cache-Control") is None   # no cookie inserted, nothing to protect


def test_postonly_inserts_only_on_post(farm, sluice):
    apps = farm(2)
    lb = sluice(farm_cfg(apps, "mode http\ncookie HAPROXY_SESSION insert indirect nocache postonly"))
    assert not any(v.startswith("HAPROXY_SESSION") for v in http_request(lb.port, "GET", "/").header_all("Set-Cookie"))
    r = http_request(lb.port, "POST", "/", body=b"x=1")
    assert any(v.startswith("HAPROXY_SESSION=") for v in r.header_all("Set-Cookie"))


def test_rewrite_replaces_application_cookie(farm, sluice):
    apps = farm(2)
    lb = sluice(farm_cfg(apps, "mode http\ncookie JSESSIONID rewrite"))
    r = http_request(lb.port, "GET", "/setcookie?name=JSESSIONID&value=123")
    assert f"JSESSIONID={r.served_by[-1]}" in [v.split(";")[0] for v in r.header_all("Set-Cookie")]
    r2 = http_request(lb.port, "GET", "/", headers={"Cookie": f"JSESSIONID={r.served_by[-1]}"})
    assert r2.served_by == r.served_by


def test_keepalive_every_request_is_analysed(farm, sluice):
    # The 1.2 limit "only the first request of each session is analysed" does not exist.
    apps = farm(2)
    lb = sluice(farm_cfg(apps, "mode http\nbalance roundrobin\ncookie SERVERID insert indirect"))
    with HttpConn(lb.port) as c:
        seen = [c.request("GET", "/echo", headers={"Cookie": "SERVERID=B"}) for _ in range(4)]
        assert {r.served_by for r in seen} == {"webB"}
        assert all("Cookie:" not in r.text for r in seen)
        other = c.request("GET", "/echo", headers={"Cookie": "SERVERID=A"})
        assert other.served_by == "webA" and "Cookie:" not in other.text


def test_balance_source_with_cookie_precedence(farm, sluice):
    apps = farm(4)
    lb = sluice(farm_cfg(apps, "mode http\nbalance source\ncookie SERVERID insert indirect"))
    first = http_request(lb.port).served_by
    assert {http_request(lb.port).served_by for _ in range(6)} == {first}   # same client IP
    other = next(a.name for a in apps if a.name != first)
    assert http_request(lb.port, headers={"Cookie": f"SERVERID={other[-1]}"}).served_by == other


# ---- drain and maintenance with many clients ------------------------------------------

def test_thousand_clients_drain_and_maint(farm, sluice):
    """1,000 cookie clients; webA is drained and webB put into maintenance meanwhile. No
    client loses its server while that server is up, and no new client reaches a drained
    server."""
    apps = farm(4)
    lb = sluice(farm_cfg(apps, "mode http\nbalance roundrobin\ncookie SERVERID insert indirect nocache"))
    clients = {}
    for i in range(1000):
        r = http_request(lb.port, path=f"/c{i}")
        clients[i] = r.served_by
    assert set(Counter(clients.values())) == {a.name for a in apps}
    assert lb.cli("set server webfarm/webA state drain").strip() == ""
    assert lb.cli("set server webfarm/webB state maint").strip() == ""
    moved_from_a = 0
    for i, srv in clients.items():
        r = http_request(lb.port, path=f"/c{i}", headers={"Cookie": f"SERVERID={srv[-1]}"})
        if srv == "webB":
            assert r.served_by != "webB"          # in maintenance: clients are moved
        else:
            assert r.served_by == srv, (i, srv, r.served_by)   # drained or ready: kept
            if srv == "webA":
                moved_from_a += 0
    new_clients = Counter(http_request(lb.port).served_by for _ in range(200))
    assert "webA" not in new_clients and "webB" not in new_clients, new_clients
    assert moved_from_a == 0


# ---- queues -----------------------------------------------------------------------------

QUEUE = """
    mode http
    balance roundrobin
    timeout queue 10s
"""


def _slow_clients(port: int, n: int, ms: int, results: list, path: str = "/slow?ms={ms}") -> list:
    threads = []
    for i in range(n):
        def run(i=i):
            try:
                r = http_request(port, path=path.format(ms=ms), timeout=30)
                results.append((i, r.status, r.served_by, time.monotonic()))
            except Exception as exc:  # noqa: BLE001 - recorded as a failure
                results.append((i, repr(exc), None, time.monotonic()))
        t = threading.Thread(target=run, daemon=True)
        t.start()
        threads.append(t)
    return threads


def test_server_maxconn_queues_in_order(demo_app, sluice):
    app = demo_app("webA")
    lb = sluice(f"""{DEFAULTS}
global
    stats socket {{dir}}/admin.sock level admin
listen webfarm 127.0.0.1:{{bind}}
{QUEUE}
    server webA 127.0.0.1:{app.port} maxconn 2
""")
    results: list = []
    threads = _slow_clients(lb.port, 8, 300, results)
    # the queue fills: 2 on the server, 6 waiting
    # non-persistent requests wait in the backend's queue
    wait_until(lambda: _qcur(lb, "BACKEND") >= 5, 5, "requests to queue")
    for t in threads:
        t.join(30)
    assert all(status == 200 for _, status, _, _ in results), results
    assert len(results) == 8
    # the server never had more than maxconn requests at once (the demo app counts them)
    assert app.stats()["max_in_flight"] == 2


def _qcur(lb, svname: str) -> int:
    lines = [l for l in lb.cli("show stat").splitlines() if l.startswith(f"webfarm,{svname},")]
    header = lb.cli("show stat").splitlines()[0].lstrip("# ").split(",")
    if not lines:
        return 0
    row = lines[0].split(",")
    return int(row[header.index("qcur")] or 0)


def test_queue_timeout_answers_503(demo_app, sluice):
    app = demo_app("webA")
    lb = sluice(f"""{DEFAULTS}
listen webfarm 127.0.0.1:{{bind}}
    mode http
    timeout queue 300ms
    server webA 127.0.0.1:{app.port} maxconn 1
""")
    results: list = []
    threads = _slow_clients(lb.port, 3, 1500, results)
    for t in threads:
        t.join(30)
    statuses = sorted(str(s) for _, s, _, _ in results)
    assert statuses.count("200") == 1, results
    assert statuses.count("503") == 2, results


def test_persistent_request_waits_for_its_server(farm, sluice):
    apps = farm(2)
    lb = sluice(farm_cfg(apps, QUEUE + "\ncookie SERVERID insert indirect", server_opts="maxconn 1"))
    results: list = []
    threads = _slow_clients(lb.port, 3, 400, results, path="/slow?ms={ms}&x")
    # three clients bound to webA by cookie: they are served one at a time by webA only
    for t in threads:
        t.join(30)
    results2: list = []
    ts = []
    for i in range(3):
        def run(i=i):
            r = http_request(lb.port, path="/slow?ms=300", headers={"Cookie": "SERVERID=A"}, timeout=30)
            results2.append((r.status, r.served_by, time.monotonic()))
        t = threading.Thread(target=run, daemon=True)
        t.start()
        ts.append(t)
    for t in ts:
        t.join(30)
    assert [(s, b) for s, b, _ in results2] == [(200, "webA")] * 3
    ends = sorted(t for _, _, t in results2)
    assert ends[2] - ends[0] >= 0.45   # serialized by maxconn 1, not spread to webB


# ---- stick tables -------------------------------------------------------------------------

def _get_from(port: int, src: str, path: str = "/", headers: dict | None = None):
    """One request from a given loopback source address (127.0.0.0/8 is all local)."""
    import socket
    from harness import build_request
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    c = HttpConn.__new__(HttpConn)
    c.sock, c.buf = s, b""
    try:
        c.send(build_request("GET", path, headers))
        return c.read_response()
    finally:
        s.close()


def test_stick_on_src_without_cookies(farm, sluice):
    apps = farm(3)
    lb = sluice(farm_cfg(apps, """
        mode http
        balance roundrobin
        stick-table type ip size 1k expire 30m
        stick on src
    """, cookies=False))
    owners = {}
    for i in range(2, 8):
        src = f"127.0.0.{i}"
        owners[src] = _get_from(lb.port, src).served_by
        for _ in range(3):
            assert _get_from(lb.port, src).served_by == owners[src]
    assert len(set(owners.values())) == 3      # still balanced across clients
    table = lb.cli("show table webfarm")
    assert table.startswith("# table: webfarm, type: ip, size:1024, used:6")
    for src, srv in owners.items():
        assert f"key={src} " in table and f"server_key={srv}" in table.split(f"key={src} ", 1)[1].split("\n")[0]


def test_stick_match_and_store_on_cookie_value(farm, sluice):
    apps = farm(2)
    lb = sluice(farm_cfg(apps, """
        mode http
        balance roundrobin
        stick-table type string len 32 size 100 expire 10m
        stick store-request req.cook(SID)
        stick match req.cook(SID)
    """, cookies=False))
    first = http_request(lb.port, headers={"Cookie": "SID=alice"}).served_by
    for _ in range(4):
        assert http_request(lb.port, headers={"Cookie": "SID=alice"}).served_by == first
    assert "key=alice " in lb.cli("show table webfarm")


def test_stick_entry_for_server_in_maintenance_is_rebalanced(farm, sluice):
    apps = farm(2)
    lb = sluice(farm_cfg(apps, """
        mode http
        stick-table type ip size 10 expire 10m
        stick on src
    """, cookies=False))
    owner = http_request(lb.port).served_by
    assert lb.cli(f"set server webfarm/{owner} state maint").strip() == ""
    other = http_request(lb.port).served_by
    assert other != owner


# ---- backups --------------------------------------------------------------------------------

def test_backup_used_only_when_no_active(farm, sluice):
    a, b, bk1, bk2 = farm(4, names=["webA", "webB", "bkp1", "bkp2"])
    cfg = f"""{DEFAULTS}
global
    stats socket {{dir}}/admin.sock level admin
listen webfarm 127.0.0.1:{{bind}}
    mode http
    balance roundrobin
    server webA 127.0.0.1:{a.port}
    server webB 127.0.0.1:{b.port}
    server bkp1 127.0.0.1:{bk1.port} backup
    server bkp2 127.0.0.1:{bk2.port} backup
"""
    lb = sluice(cfg)
    assert Counter(http_request(lb.port).served_by for _ in range(8)) == {"webA": 4, "webB": 4}
    lb.cli("set server webfarm/webA state maint")
    lb.cli("set server webfarm/webB state maint")
    # without allbackups, only the first backup serves
    assert Counter(http_request(lb.port).served_by for _ in range(6)) == {"bkp1": 6}


def test_allbackups_balances_over_all_backups(farm, sluice):
    a, bk1, bk2 = farm(3, names=["webA", "bkp1", "bkp2"])
    lb = sluice(f"""{DEFAULTS}
global
    stats socket {{dir}}/admin.sock level admin
listen webfarm 127.0.0.1:{{bind}}
    mode http
    option allbackups
    server webA 127.0.0.1:{a.port}
    server bkp1 127.0.0.1:{bk1.port} backup
    server bkp2 127.0.0.1:{bk2.port} backup
""")
    lb.cli("set server webfarm/webA state maint")
    assert Counter(http_request(lb.port).served_by for _ in range(6)) == {"bkp1": 3, "bkp2": 3}


# ---- cookie dates and preserve ------------------------------------------------------------

def _b32(v: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuv"
    out = ""
    while True:
        out = digits[v % 32] + out
        v //= 32
        if v == 0:
            return out


def test_cookie_maxidle_and_maxlife(farm, sluice):
    apps = farm(2)
    lb = sluice(farm_cfg(apps, "mode http\nbalance roundrobin\ncookie SERVERID insert indirect maxidle 60s maxlife 1h"))
    r = http_request(lb.port)
    value = r.cookies()["SERVERID"]
    srv, last, first = value.split("|")
    assert srv == r.served_by[-1]
    now = int(time.time())
    assert abs(int(last, 32) - now) <= 2 and last == first
    # a recent cookie is honoured
    fresh = f"{srv}|{_b32(now - 5)}|{_b32(now - 100)}"
    for _ in range(4):
        assert http_request(lb.port, headers={"Cookie": f"SERVERID={fresh}"}).served_by == r.served_by
    # idle for longer than maxidle: ignored, the client is balanced and gets a new cookie
    idle = f"{srv}|{_b32(now - 600)}|{_b32(now - 700)}"
    got = {http_request(lb.port, headers={"Cookie": f"SERVERID={idle}"}).served_by for _ in range(4)}
    assert got == {a.name for a in apps}
    # older than maxlife: ignored too
    old = f"{srv}|{_b32(now - 5)}|{_b32(now - 7200)}"
    r2 = http_request(lb.port, headers={"Cookie": f"SERVERID={old}"})
    assert "SERVERID" in r2.cookies()


def test_cookie_preserve_lets_the_server_set_it(farm, sluice):
    apps = farm(1)
    lb = sluice(farm_cfg(apps, "mode http\ncookie SERVERID insert preserve"))
    r = http_request(lb.port, path="/setcookie?name=SERVERID&value=gone")
    assert r.header_all("Set-Cookie") == [v for v in r.header_all("Set-Cookie") if "SERVERID=gone" in v or not v.startswith("SERVERID")]
    assert any(v.startswith("SERVERID=gone") for v in r.header_all("Set-Cookie"))
    assert not any(v.startswith("SERVERID=A") for v in r.header_all("Set-Cookie"))
    assert any(v.startswith("SERVERID=A") for v in http_request(lb.port).header_all("Set-Cookie"))
