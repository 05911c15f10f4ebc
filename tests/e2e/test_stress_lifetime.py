"""Connection lifetime under stress (issue 12): clients reset their connection while a large
response streams, while the runtime API shuts sessions down, moves a server between two
backends' addresses and deletes / re-adds a server with active streams.

Each of these frees a session and its server connection while epoll may still hold events
for them in the current batch; sluice must drop those events, not deliver them to freed
memory. The test passes when sluice is still alive and answering afterwards, and (under
ASan) its log has no sanitizer report (the `sluice` fixture checks that).
"""

from __future__ import annotations

import os
import random
import socket
import struct
import threading
import time

from harness import http_get, wait_until

CFG = """\
global
    nbthread 2
    stats socket {dir}/admin.sock mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:{bind}
    default_backend be
backend be
    balance roundrobin
    http-reuse always
    server S1 127.0.0.1:{p1}
    server S2 127.0.0.1:{p2}
"""

DURATION_S = 4.0        # stress phase; the whole test stays well under 15 s
CLIENT_THREADS = 12
BIG = 1024 * 1024   # more than the socket buffers hold: the response is still streaming


def cli(path: str, cmd: str, timeout: float = 5.0) -> str:
    """One runtime API command on the stats socket (one-shot mode: closed after the answer)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(cmd.encode() + b"\n")
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out.decode(errors="replace")


def reset_mid_stream(port: int, rng: random.Random) -> bool:
    """GET a big body, read part of it, then close with SO_LINGER 0 (RST). True if any byte came."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    got = 0
    try:
        s.sendall(f"GET /bytes?n={BIG} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        want = rng.choice((0, 1, 4096, 65536, 200_000))
        while got < want:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += len(chunk)
    except OSError:
        pass   # the runtime API may have shut this session down first: that is fine
    finally:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    return got > 0


def keepalive_small(port: int) -> None:
    """A few small requests on one connection: exercises the idle server connection pool."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            for _ in range(3):
                s.sendall(b"GET /bytes?n=100 HTTP/1.1\r\nHost: t\r\n\r\n")
                buf = b""
                while b"\r\n\r\n" not in buf or len(buf.split(b"\r\n\r\n", 1)[1]) < 100:
                    chunk = s.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
    except OSError:
        pass


def test_resets_and_runtime_api_during_streams_never_crash(farm, sluice):
    a, b = farm(2, names=["A", "B"])
    lb = sluice(CFG, p1=a.port, p2=b.port)
    sock = lb.admin_sock
    wait_until(lambda: os.path.exists(sock), what="the stats socket")
    assert http_get(lb.port, "/").status == 200

    stop_at = time.monotonic() + DURATION_S
    api_done = threading.Event()   # the clients stress until the API has run its commands
    counts = {"clients": 0, "streamed": 0, "api": 0}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def alive() -> bool:
        return lb.proc.poll() is None

    def clients(seed: int) -> None:
        rng = random.Random(seed)
        try:
            while not api_done.is_set() and alive():
                if rng.random() < 0.2:
                    keepalive_small(lb.port)
                    continue
                streamed = reset_mid_stream(lb.port, rng)
                with lock:
                    counts["clients"] += 1
                    counts["streamed"] += streamed
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def runtime_api() -> None:
        # The commands' answers vary with timing (a `del server` may find a session that
        # raced in): only the process surviving them matters here.
        cmds_cycle = [
            "shutdown sessions server be/S1",
            f"set server be/S1 addr 127.0.0.1 port {b.port}",
            "shutdown sessions server be/S2",
            f"set server be/S1 addr 127.0.0.1 port {a.port}",
            f"add server be/S3 127.0.0.1:{a.port}",
            "set server be/S3 state ready",
            "set server be/S3 state maint",
            "shutdown sessions server be/S3",
            "del server be/S3",
        ]
        try:
            i = 0
            # At least two rounds of every command, even on a slow (sanitized, loaded) machine,
            # but never more than a few seconds past the planned end.
            hard_end = stop_at + 6
            while (time.monotonic() < stop_at or i < 2 * len(cmds_cycle)) and time.monotonic() < hard_end \
                    and alive():
                try:
                    cli(sock, cmds_cycle[i % len(cmds_cycle)])
                except OSError:
                    if not alive():
                        return
                i += 1
                with lock:
                    counts["api"] += 1
                time.sleep(0.05)   # leave the streams some time to start between commands
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            api_done.set()

    threads = [threading.Thread(target=clients, args=(i,)) for i in range(CLIENT_THREADS)]
    threads.append(threading.Thread(target=runtime_api))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=DURATION_S + 15)

    assert alive(), f"sluice died (exit code {lb.proc.returncode}) after {counts}:\n{lb.log()[-3000:]}"
    print("stress counts", counts)   # shown with -s: how much stress the run really made
    assert not errors, errors
    # The stress really happened: enough clients reset mid-stream, and the API kept working.
    assert counts["clients"] >= 50 and counts["streamed"] >= 20, counts
    assert counts["api"] >= 2 * 9, counts
    # Still serving, and the runtime API still answers.
    wait_until(lambda: http_get(lb.port, "/").status == 200, timeout=5, what="sluice to answer")
    assert " S1 " in cli(sock, "show servers state be")
    assert not lb.sanitizer_report()
