"""Basic proxying with demo-app backends, in the seeds' configuration forms.

Written against HAProxy's behaviour; run with SLUICE_BIN=/usr/sbin/haproxy to check a
test against the reference (the harness rewrites `listen NAME ADDR:PORT` for it).
"""

from __future__ import annotations

import os
import socket
from collections import Counter

from harness import (HttpConn, build_request, bytes_pattern, chunked, curl, fnv1a, http_get,
                     wait_until)

DEFAULTS = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
"""


def webfarm(apps, *, options: str = "", server_opts: dict | None = None, balance: str = "roundrobin") -> str:
    """Seed 001 section 1's `listen webfarm ADDR:PORT` with one server line per app."""
    servers = "\n".join(
        f"    server {a.name} 127.0.0.1:{a.port} {(server_opts or {}).get(a.name, '')}".rstrip() for a in apps)
    extra = "".join(f"    {line.strip()}\n" for line in options.strip().splitlines())
    return f"""{DEFAULTS}
listen webfarm 127.0.0.1:{{bind}}
    mode http
    balance {balance}
{extra}{servers}
"""


def served_by_counts(port: int, n: int, path: str = "/") -> Counter:
    return Counter(http_get(port, path).served_by for _ in range(n))


def test_roundrobin_spreads_evenly(farm, sluice):
    apps = farm(4)
    lb = sluice(webfarm(apps))
    counts = served_by_counts(lb.port, 40)
    assert counts == {a.name: 10 for a in apps}, counts
    for a in apps:  # what the proxy reports matches what the backends saw
        assert a.stats()["requests"] == 10


def test_weights_give_proportional_shares(farm, sluice):
    # Seed 001 section 2, Hints: two old servers at 12, two new ones at 26.
    apps = farm(4)
    weights = {"webA": 12, "webB": 12, "webC": 26, "webD": 26}
    lb = sluice(webfarm(apps, server_opts={k: f"weight {w}" for k, w in weights.items()}))
    counts = served_by_counts(lb.port, 2 * sum(weights.values()))
    for name, w in weights.items():
        assert abs(counts[name] - 2 * w) <= 2, counts


def test_keep_alive_client_gets_several_responses_on_one_connection(farm, sluice):
    apps = farm(4)
    lb = sluice(webfarm(apps))
    names = {a.name for a in apps}
    with HttpConn(lb.port) as c:
        for _ in range(6):
            resp = c.request("GET", "/")
            assert resp.status == 200 and resp.served_by in names
            assert (resp.header("Connection") or "").lower() != "close"
        c.send(build_request("GET", "/status?code=201") + build_request("GET", "/status?code=202"))
        assert [c.read_response().status for _ in range(2)] == [201, 202]  # pipelined, in order
        assert not c.peer_closed(0.2)


def test_forwardfor_adds_client_address(farm, sluice):
    apps = farm(1)
    lb = sluice(webfarm(apps, options="option forwardfor"))
    resp = http_get(lb.port, "/echo")
    assert resp.served_by == "webA"
    # Header names are case-insensitive (haproxy sends them lower-cased).
    assert "\r\nx-forwarded-for: 127.0.0.1\r\n" in resp.text.lower(), resp.text


def test_forwardfor_except_skips_that_source(farm, sluice):
    # Seed 001 section 3.1: stunnel on the same host already added the header.
    apps = farm(1)
    lb = sluice(webfarm(apps, options="option forwardfor except 127.0.0.1"))
    resp = http_get(lb.port, "/echo", {"X-Forwarded-For": "10.1.2.3"})
    head = resp.text.lower()
    assert head.count("x-forwarded-for:") == 1 and "x-forwarded-for: 10.1.2.3" in head, resp.text


def test_stopped_only_backend_gives_503(farm, sluice):
    apps = farm(1)
    lb = sluice(webfarm(apps))
    assert http_get(lb.port, "/").status == 200
    apps[0].stop()
    resp = http_get(lb.port, "/", timeout=30)
    assert resp.status == 503


def test_down_checked_backend_gives_503(farm, sluice):
    apps = farm(1)
    lb = sluice(webfarm(apps, options="option httpchk HEAD /running HTTP/1.0",
                        server_opts={"webA": "check inter 200 fall 1 rise 1"}))
    assert http_get(lb.port, "/").status == 200
    apps[0].set_running(False)
    wait_until(lambda: http_get(lb.port, "/").status == 503, 10, "503 once webA's check fails")
    apps[0].set_running(True)
    wait_until(lambda: http_get(lb.port, "/").status == 200, 10, "200 once webA's check passes")


def test_tcp_relay_of_several_ports(demo_app, sluice):
    # Seed 001 section 2.2: `bind :3389,:1494,:5900` in mode tcp.
    app = demo_app("tse")
    lb = sluice(f"""{DEFAULTS}
listen tse-proxy
    bind :{{p1}},:{{p2}},:{{p3}}
    mode tcp
    balance roundrobin
    server tse-farm 127.0.0.1:{app.port}
""")
    for name in ("p1", "p2", "p3"):
        with HttpConn(lb[name]) as c:
            raw = build_request("GET", "/echo", {"X-Test": name})
            c.send(raw)
            resp = c.read_response()
            assert resp.served_by == "tse" and resp.body == raw  # bytes relayed untouched
            assert c.request("GET", "/").status == 200  # and the relay is a plain pipe


def test_http10_request(farm, sluice):
    apps = farm(2)
    lb = sluice(webfarm(apps))
    with HttpConn(lb.port) as c:
        c.send(b"GET / HTTP/1.0\r\n\r\n")
        resp = c.read_response()
        assert resp.status == 200 and resp.text.startswith("server=web")
        assert c.peer_closed()


def test_chunked_upload_reaches_server_intact(farm, sluice):
    apps = farm(1)
    lb = sluice(webfarm(apps))
    body = os.urandom(300_000)
    with HttpConn(lb.port) as c:
        c.send(build_request("POST", "/upload", {"Transfer-Encoding": "chunked"}) + chunked(body, 4093))
        resp = c.read_response()
    assert resp.status == 200
    assert resp.header("X-Request-Body-Length") == str(len(body))
    assert resp.header("X-Request-Body-Fnv1a") == fnv1a(body)


def test_one_megabyte_download_intact(farm, sluice, tmp_path):
    apps = farm(1)
    lb = sluice(webfarm(apps))
    n = 1024 * 1024
    for path in (f"/bytes?n={n}", f"/bytes?n={n}&chunked=1"):
        resp = http_get(lb.port, path)
        assert resp.status == 200 and len(resp.body) == n and resp.body == bytes_pattern(n), path
    out = tmp_path / "body"
    curl("-o", str(out), f"http://127.0.0.1:{lb.port}/bytes?n={n}")
    assert out.read_bytes() == bytes_pattern(n)


def test_curl_through_proxy(farm, sluice):
    apps = farm(2)
    lb = sluice(webfarm(apps))
    res = curl("-i", f"http://127.0.0.1:{lb.port}/")
    assert res.stdout.startswith("HTTP/1.1 200")
    assert "x-served-by: web" in res.stdout.lower()


def test_client_closing_early_does_not_hurt(farm, sluice):
    apps = farm(1)
    lb = sluice(webfarm(apps))
    for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n", b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"):
        s = socket.create_connection(("127.0.0.1", lb.port))
        s.sendall(junk)
        s.close()
    assert http_get(lb.port, "/").status == 200
