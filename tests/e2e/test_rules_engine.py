"""The rule engine end to end (issue 13): rules run in configuration order on the live
message, tcp-request rules close connections before any byte is read, TCP frontends route
with use_backend, and what sluice cannot run is refused with file:line.

Everything here except the checks of sluice's own messages and of -dK also passes with
SLUICE_BIN=/usr/sbin/haproxy."""
from __future__ import annotations

import socket
import subprocess

from harness import against_haproxy, http_get, sluice_bin, wait_until
from rawbackend import RawBackend

DEFAULTS = """
defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
"""

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def forwarded_headers(raw: bytes) -> list[tuple[str, str]]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    out = []
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        out.append((name.lower(), value.strip()))
    return out


def test_header_edits_apply_in_rule_order(sluice, raw_backend):
    be = raw_backend(OK)
    lb = sluice(DEFAULTS + "frontend web\n    mode http\n    bind 127.0.0.1:{port}\n"
                "    http-request set-header X-A a\n    http-request del-header X-A\n"
                "    http-request add-header X-B 1\n    http-request add-header X-B 2\n"
                "    http-request set-header X-C %[hdr(x-b)]\n"
                "    http-request del-header X-Drop -m beg\n"
                "    default_backend app\nbackend app\n    mode http\n    server s1 127.0.0.1:{app}\n", app=be.port)
    r = http_get(lb.port, "/", headers={"X-A": "client", "X-Dropme": "1", "X-Dropped": "2", "X-Keep": "3"})
    assert r.status == 200
    hs = forwarded_headers(be.requests()[0])
    names = [n for n, _ in hs]
    assert "x-a" not in names                      # set then del: nothing, as HAProxy sends
    assert [v for n, v in hs if n == "x-b"] == ["1", "2"]
    assert ("x-c", "2") in hs                      # %[hdr(x-b)]: the last occurrence
    assert "x-dropme" not in names and "x-dropped" not in names and ("x-keep", "3") in hs


def test_deny_and_allow_follow_rule_order(sluice, raw_backend):
    be = raw_backend(OK)
    lb = sluice(DEFAULTS + "frontend web\n    mode http\n    bind 127.0.0.1:{port}\n"
                "    acl api path_beg /api\n    acl api path /v2\n"
                "    http-request allow if { hdr(x-vip) yes }\n"
                "    http-request deny deny_status 429 if api !{ hdr(x-key) -m found }\n"
                "    http-request deny if { method DELETE } || { path_end .bak }\n"
                "    default_backend app\nbackend app\n    mode http\n    server s1 127.0.0.1:{app}\n", app=be.port)
    cases = [("GET", "/api/x", {}, 429), ("GET", "/v2", {}, 429), ("GET", "/api/x", {"X-Key": "k"}, 200),
             ("GET", "/api/x", {"X-Vip": "yes"}, 200), ("DELETE", "/x", {}, 403), ("GET", "/a.bak", {}, 403),
             ("GET", "/other", {}, 200)]
    got = []
    for method, path, headers, _ in cases:
        from harness import http_request
        got.append(http_request(lb.port, method, path, headers=headers).status)
    assert got == [c[3] for c in cases]


def test_tcp_request_connection_reject_and_tcp_routing(sluice, raw_backend):
    default = raw_backend(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\ndefault")
    chosen = raw_backend(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nchosen")
    lb = sluice(DEFAULTS + "frontend tcpfe\n    mode tcp\n    bind 127.0.0.1:{port}\n"
                "    tcp-request content accept if { src 127.0.0.0/8 }\n"
                "    use_backend pick if { src 127.0.0.1 }\n    default_backend dflt\n"
                "frontend closed\n    mode tcp\n    bind 127.0.0.1:{cport}\n"
                "    tcp-request connection reject if { src 127.0.0.0/8 }\n    default_backend dflt\n"
                "backend dflt\n    mode tcp\n    server s1 127.0.0.1:{d}\n"
                "backend pick\n    mode tcp\n    server s1 127.0.0.1:{c}\n", d=default.port, c=chosen.port)
    r = http_get(lb.port, "/")
    assert r.status == 200 and r.body == b"chosen"
    with socket.create_connection(("127.0.0.1", lb.bind_ports["cport"]), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        try:
            data = s.recv(100)
        except ConnectionResetError:
            data = b""
        assert data == b""                          # closed without an answer
    wait_until(lambda: default.total_conns == 0, what="no connection to the default backend")
    assert default.total_conns == 0


def test_unknown_actions_and_fetches_are_refused(tmp_path):
    cfg = tmp_path / "t.cfg"
    cfg.write_text(DEFAULTS + "frontend web\n    mode http\n    bind 127.0.0.1:1\n"
                   "    http-request frobnicate\n    acl x nosuchfetch(a) b\n    http-request deny if x\n"
                   "    default_backend app\nbackend app\n    mode http\n    server s 127.0.0.1:2\n")
    r = subprocess.run([str(sluice_bin()), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    if not against_haproxy():
        text = r.stdout + r.stderr
        assert f"{cfg}:9: 'http-request frobnicate': unknown action, not supported by sluice" in text
        assert (f"{cfg}:11: ACL 'x' (declared at {cfg}:10): ACL keyword 'nosuchfetch(a)': "
                "unknown fetch method 'nosuchfetch'") in text


def test_dump_keywords_lists_the_tables():
    if against_haproxy():
        return   # HAProxy's -dK prints its own tables in its own format
    r = subprocess.run([str(sluice_bin()), "-dKact"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert any(line.startswith("set-header  [http-request, http-response") for line in lines), r.stdout
    r = subprocess.run([str(sluice_bin()), "-dKbogus"], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and "unknown class 'bogus'" in r.stderr
