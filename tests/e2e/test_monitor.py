"""Monitoring endpoints: monitor-uri (200 / 503 with `monitor fail`), and monitor-net, the
Alteon setup of seed 001 (sections 2.1/2.2): connections from the checker's network are
answered and closed at once, never forwarded and never logged. The checker here is a
client socket bound to 127.0.0.2 (loopback covers 127/8)."""
from __future__ import annotations

import json
import socket

import pytest

from harness import HOST, HttpConn, against_haproxy, http_get

# haproxy 2.6 removed monitor-net (1.x keyword; the seeds use it); sluice keeps it.
needs_monitor_net = pytest.mark.skipif(against_haproxy(), reason="haproxy >= 2.0 dropped monitor-net")

CFG = """
defaults
    mode {mode}
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen webfarm
    bind 127.0.0.1:{port}
    {opts}
    server s1 127.0.0.1:{app}
"""


def connect_from(src_ip: str, port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((src_ip, 0))
    s.connect((HOST, port))
    return s


def stats_on(ctl: HttpConn) -> dict:
    """The backend's counters, asked on one kept-alive control connection. A new connection
    per read (app.stats()) would race: the app counts a closed connection in
    active_connections until its thread has seen the close, so the previous read's connection
    may still be counted in the next one. The asking connection itself is never counted."""
    return json.loads(ctl.request("GET", "/_demo/stats").body)


def read_all(s: socket.socket) -> bytes:
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            return data
        data += chunk


def test_monitor_uri_answers_200_without_forwarding(sluice, demo_app):
    app = demo_app("A")
    lb = sluice(CFG, mode="http", app=app.port, opts="monitor-uri /haproxy_test")
    with HttpConn(app.port) as ctl:
        before = stats_on(ctl)
        r = http_get(lb.port, "/haproxy_test")
        assert r.status == 200
        assert r.served_by is None
        assert stats_on(ctl) == before                  # never reached the server
    assert http_get(lb.port, "/").served_by == "A"      # other paths are forwarded


def test_monitor_fail_answers_503(sluice, demo_app):
    app = demo_app("A")
    lb = sluice(CFG, mode="http", app=app.port,
                opts="monitor-uri /health\n    acl down hdr(X-Site-Down) yes\n    monitor fail if down")
    assert http_get(lb.port, "/health").status == 200
    assert http_get(lb.port, "/health", headers={"X-Site-Down": "yes"}).status == 503


@needs_monitor_net
def test_monitor_net_http_answers_and_closes(sluice, demo_app):
    app = demo_app("A")
    lb = sluice(CFG, mode="http", app=app.port, opts="monitor-net 127.0.0.2/31\n    option dontlognull")
    with HttpConn(app.port) as ctl:
        before = stats_on(ctl)
        with connect_from("127.0.0.2", lb.port) as s:
            # The answer comes without sending anything, and the connection is closed.
            data = read_all(s)
        assert data.startswith(b"HTTP/1.0 200 OK\r\n"), data
        with connect_from("127.0.0.3", lb.port) as s:  # also in 127.0.0.2/31
            assert read_all(s).startswith(b"HTTP/1.0 200 OK")
        assert stats_on(ctl) == before
    # Other clients are proxied normally.
    with HttpConn(lb.port) as c:
        assert c.request("GET", "/").served_by == "A"


@needs_monitor_net
def test_monitor_net_tcp_closes_at_once(sluice, demo_app):
    app = demo_app("A")
    lb = sluice(CFG, mode="tcp", app=app.port, opts="monitor-net 127.0.0.2/32")
    with connect_from("127.0.0.2", lb.port) as s:
        assert read_all(s) == b""                     # tcp mode: accepted and closed
    with connect_from("127.0.0.4", lb.port) as s:      # outside the network: forwarded
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        assert b"X-Served-By: A" in read_all(s)
