"""use_backend with a log-format name (`use_backend be_%[req.hdr(x-app)]`): resolved per
request; a name that matches no backend ends the rules on default_backend, as HAProxy 2.6
documents. Runs against SLUICE_BIN=/usr/sbin/haproxy too."""
from __future__ import annotations

from harness import against_haproxy, http_get

DEFAULTS = """
defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
"""


def reply(name: str) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(name), name.encode())


def test_dynamic_use_backend(sluice, raw_backend):
    a, b, d, later, tcp = (raw_backend(reply(n)) for n in ("a", "b", "default", "later", "tcp"))
    lb = sluice(DEFAULTS + "frontend web\n    mode http\n    bind 127.0.0.1:{port}\n"
                "    use_backend be_%[req.hdr(x-app)] if { req.hdr(x-app) -m found }\n"
                "    use_backend be_later if { path /later }\n"
                "    default_backend be_default\n"
                "frontend web2\n    mode http\n    bind 127.0.0.1:{port2}\n"
                "    use_backend be_b\n    default_backend be_default\n"
                "frontend tcpfe\n    mode tcp\n    bind 127.0.0.1:{tport}\n"
                "    use_backend %[str(be_tcp)]\n    default_backend be_tcp_default\n"
                "backend be_a\n    mode http\n    server s 127.0.0.1:{a}\n"
                "backend be_b\n    mode http\n    server s 127.0.0.1:{b}\n"
                "backend be_default\n    mode http\n    server s 127.0.0.1:{d}\n"
                "backend be_later\n    mode http\n    server s 127.0.0.1:{later}\n"
                "backend be_tcp\n    mode tcp\n    server s 127.0.0.1:{tcp}\n"
                "backend be_tcp_default\n    mode tcp\n    server s 127.0.0.1:{d}\n",
                a=a.port, b=b.port, d=d.port, later=later.port, tcp=tcp.port)
    assert http_get(lb.port, "/", headers={"X-App": "a"}).body == b"a"
    assert http_get(lb.port, "/", headers={"X-App": "b"}).body == b"b"
    assert http_get(lb.port, "/").body == b"default"
    assert http_get(lb.port, "/later").body == b"later"
    # No such backend: the rules stop there, default_backend serves (be_later is not tried).
    assert http_get(lb.port, "/later", headers={"X-App": "nosuch"}).body == b"default"
    # A use_backend without condition always applies.
    assert http_get(lb["port2"], "/").body == b"b"
    assert http_get(lb["tport"], "/").body == b"tcp"
    if not against_haproxy():
        # A TCP backend is no valid target for an HTTP frontend: default_backend too (HAProxy
        # 2.6 switches to it and closes the connection; see docs/compatibility.md).
        assert http_get(lb.port, "/", headers={"X-App": "tcp"}).body == b"default"
