"""The stats socket never hurts traffic (issue 12): a CLI client that pipelines commands
without reading keeps sluice's memory bounded and its traffic fast, and still gets every
answer, in order, once it reads; `stats maxconn` makes the connections past the limit wait
in the backlog (as haproxy does) instead of serving them or growing without bound.
"""

from __future__ import annotations

import os
import socket
import threading
import time

from harness import http_get, wait_until

CFG = """\
global
    stats socket {dir}/admin.sock mode 600 level admin
    stats socket {dir}/user.sock mode 600 level user
    stats timeout 60s
    {extra}
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:{bind}
    default_backend app
backend app
    server s1 127.0.0.1:{p1}
"""

N_CMDS = 200_000
LEVEL_EVERY = 997   # every 997th command is `show cli level`: its place checks the order


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def sanitized(pid: int) -> bool:
    """An ASan build: slower, and its quarantine keeps freed memory resident for a while."""
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


def start(farm, sluice, extra=""):
    app = farm(1)[0]
    lb = sluice(CFG, p1=app.port, extra=extra)
    wait_until(lambda: os.path.exists(f"{lb.dir}/user.sock"), what="the stats sockets")
    return lb


def latencies(port: int, seconds: float, max_requests: int = 3000) -> list[float]:
    """Sequential GETs through the frontend for `seconds` (bounded): each one's duration."""
    out: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end and len(out) < max_requests:
        t = time.monotonic()
        r = http_get(port, "/", timeout=5)
        out.append(time.monotonic() - t)
        assert r.status == 200
    return out


def p99(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def commands() -> bytes:
    return b"prompt\n" + b"".join(b"show cli level\n" if i % LEVEL_EVERY == 0 else b"show info\n"
                                  for i in range(N_CMDS))


def test_pipelining_client_that_does_not_read_is_bounded(farm, sluice):
    lb = start(farm, sluice)
    pid = lb.proc.pid
    slow = 0.5 if sanitized(pid) else 0.2   # p99 bound, s
    quiet = latencies(lb.port, 1.0)   # also warms up: the first requests allocate the pools
    base = rss_kb(pid)

    cli = socket.socket(socket.AF_UNIX)
    cli.connect(f"{lb.dir}/user.sock")
    payload = commands()
    sent = threading.Event()

    def send_all():
        cli.sendall(payload)   # blocks while sluice stops reading: that is the point
        sent.set()

    sender = threading.Thread(target=send_all, daemon=True)
    sender.start()
    # The client reads nothing for 3 s while it keeps pushing commands; traffic goes on.
    lat = latencies(lb.port, 3.0)
    grown = rss_kb(pid) - base
    # Under AddressSanitizer freed memory sits in its quarantine, so RSS grows with the
    # traffic itself; the bound that matters is the plain build's.
    bound_kb = (64 if sanitized(pid) else 20) * 1024
    assert grown < bound_kb, f"RSS grew by {grown} kB while the CLI client did not read"
    assert not sent.is_set(), "sluice swallowed every command of a client that reads nothing"
    assert p99(lat) < slow, f"traffic p99 {p99(lat):.3f}s while a CLI client floods"

    # Now it reads: every answer arrives, in order, while traffic stays fast.
    traffic: list[float] = []
    t = threading.Thread(target=lambda: traffic.extend(latencies(lb.port, 2.0)), daemon=True)
    t.start()
    chunks: list[bytes] = []
    answers, tail = 0, b""   # answers end with "\n\n> " (an empty line, then the prompt)
    cli.settimeout(20)
    deadline = time.monotonic() + 120
    while answers < N_CMDS and time.monotonic() < deadline:
        data = cli.recv(1 << 20)
        assert data, "the CLI connection closed before answering everything"
        chunks.append(data)
        answers += (tail + data).count(b"\n\n> ")
        tail = data[-3:]
    t.join(30)
    cli.close()
    sender.join(5)
    assert sent.is_set()
    text = b"".join(chunks).decode()
    text = text.removeprefix("\n")   # haproxy answers `prompt` with an empty line
    assert text.startswith("> ")
    blocks = text[2:].split("\n\n> ")
    assert blocks[-1] == ""
    blocks = blocks[:-1]
    assert len(blocks) == N_CMDS, f"{len(blocks)} answers for {N_CMDS} commands"
    for i, b in enumerate(blocks):
        if i % LEVEL_EVERY == 0:
            assert b == "user", (i, b[:200])
        else:
            assert b.startswith("Name: ") and "\nUptime_sec: " in b and "\n\n" not in b, (i, b[:200])
    print(f"quiet: p99 {p99(quiet) * 1000:.1f} ms over {len(quiet)} requests; flood: rss +{grown} kB, p99 {p99(lat) * 1000:.1f} ms over {len(lat)} requests; "
          f"drain: p99 {p99(traffic) * 1000:.1f} ms over {len(traffic)} requests, "
          f"{sum(map(len, chunks)) >> 20} MiB of answers")
    assert traffic and p99(traffic) < slow, f"traffic p99 {p99(traffic):.3f}s while a CLI client drains"
    if not sanitized(pid):   # 200 MB of answers went through: none of it stays
        assert rss_kb(pid) - base < 20 * 1024


def prompt_conn(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    s.sendall(b"prompt\n")
    return s


def read_until(s: socket.socket, marker: bytes) -> bytes:
    buf = b""
    while marker not in buf:
        data = s.recv(4096)
        assert data, f"closed before {marker!r}: {buf!r}"
        buf += data
    return buf


def test_stats_maxconn_extra_connection_waits_in_backlog(farm, sluice):
    lb = start(farm, sluice, extra="stats maxconn 2")
    path = f"{lb.dir}/admin.sock"
    a, b = prompt_conn(path), prompt_conn(path)
    for s in (a, b):
        read_until(s, b"> ")
    # The third one connects (the kernel's backlog holds it) but is not served...
    c = prompt_conn(path)
    c.sendall(b"show cli level\n")
    c.settimeout(0.5)
    try:
        early = c.recv(4096)
    except TimeoutError:
        early = None
    assert early is None, f"a connection over stats maxconn was {'closed' if early == b'' else 'served'}"
    # ...until a slot frees: then it is accepted and answers what it had sent.
    a.sendall(b"quit\n")
    c.settimeout(5)
    assert b"admin\n\n> " in read_until(c, b"admin\n\n> ")
    b.sendall(b"show cli level\n")
    assert b"admin\n" in read_until(b, b"admin\n")
    for s in (a, b, c):
        s.close()
    # The slots come back: a fresh one-shot connection is served.
    wait_until(lambda: lb.cli("show cli level") == "admin\n\n", what="a free CLI slot")
