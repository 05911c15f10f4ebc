"""Listening sockets handed over by number (issue 12): `bind fd@N` and `stats socket fd@N`
(haproxy's conformance suite passes `stats socket "fd@${cli}"`). They may arrive in
blocking mode; sluice makes them non-blocking, so its loop never stalls in accept() and
SIGTERM still stops it. Standalone and master-worker.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess

import pytest

from harness import http_get, sluice_bin, wait_until

CFG = """\
global
    stats socket fd@{cli} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind fd@{lfd}
    default_backend be
backend be
    server s1 127.0.0.1:{p1}
"""


def blocking_listener() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    assert not fcntl.fcntl(s.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK
    return s


def tcp_cli(port: int, cmd: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(cmd.encode() + b"\n")
        out = b""
        while chunk := c.recv(65536):
            out += chunk
    return out.decode()


def pid_of(info: str) -> int:
    return int(info.split("\nPid: ", 1)[1].split("\n", 1)[0])


@pytest.mark.parametrize("mode", ["standalone", "master-worker"])
def test_blocking_inherited_listeners_serve_and_stop(demo_app, sluice, mode):
    app = demo_app("s1")
    web, cli = blocking_listener(), blocking_listener()
    try:
        lb = sluice(CFG, start=False, p1=app.port, lfd=web.fileno(), cli=cli.fileno())
        lb.start(extra_args=["-W"] if mode == "master-worker" else [], pass_fds=(web.fileno(), cli.fileno()))
        port = web.getsockname()[1]
        # Several in a row: a blocking accept() would hang after the first.
        for _ in range(3):
            assert http_get(port, "/", timeout=5).status == 200
        info = wait_until(lambda: tcp_cli(cli.getsockname()[1], "show info"), what="the runtime API")
        assert "Name: sluice" in info
        # O_NONBLOCK lives on the shared open file: our copy shows what sluice set.
        assert fcntl.fcntl(web.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK
        if mode == "master-worker":
            # The master keeps the inherited descriptors for each new worker.
            old = pid_of(info)
            lb.proc.send_signal(signal.SIGUSR2)
            wait_until(lambda: pid_of(tcp_cli(cli.getsockname()[1], "show info")) != old, what="a new worker")
            assert http_get(port, "/", timeout=5).status == 200
        lb.proc.send_signal(signal.SIGTERM)
        assert lb.proc.wait(timeout=5) == 0
    finally:
        web.close()
        cli.close()


def test_fd_that_is_not_a_listener_refuses_to_start(sluice):
    r, w = os.pipe()
    web = blocking_listener()
    try:
        lb = sluice(CFG, start=False, p1=1, lfd=web.fileno(), cli=r)
        res = subprocess.run([str(sluice_bin()), "-f", str(lb.cfg_path)], capture_output=True, text=True,
                             timeout=20, stdin=subprocess.DEVNULL, pass_fds=(web.fileno(), r))
        assert res.returncode != 0
        assert f"stats socket fd@{r}: not a socket" in res.stderr, res.stderr
    finally:
        web.close()
        os.close(r)
        os.close(w)
