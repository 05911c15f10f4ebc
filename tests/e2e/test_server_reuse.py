"""A server that closes its connection right after each response, without saying
`Connection: close`: the next request on the client's connection must not be sent on the
dead idle connection and fail with a 502 (sluice checks an idle connection before reusing
it, and resends an idempotent body-less request when a reused connection closes before any
response). Runs against SLUICE_BIN=/usr/sbin/haproxy too."""
from __future__ import annotations

from harness import HttpConn
from rawbackend import Reply

DEFAULTS = """
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
"""


def test_server_closing_after_each_response(sluice, raw_backend):
    be = raw_backend(Reply(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close=True))
    lb = sluice(DEFAULTS + "frontend web\n    bind 127.0.0.1:{port}\n    default_backend app\n"
                "backend app\n    http-reuse always\n    server s1 127.0.0.1:{app}\n", app=be.port)
    statuses = []
    for _ in range(5):
        with HttpConn(lb.port) as c:
            statuses += [c.request("GET", "/").status for _ in range(4)]
            # Not resendable: the idle connection is checked before it carries the request.
            statuses += [c.request("POST", "/", body=b"data").status for _ in range(2)]
    assert statuses == [200] * 30
    assert be.total_conns == 30
