"""Engine-level behaviour of the core issue: connection limits that queue instead of
refusing, threads, signals and process options, timeouts, error pages, balancing by URI
and header, http-request header actions. (Keywords sluice does not implement are refused:
tests/e2e/test_fail_closed.py.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter

from harness import HttpConn, bytes_pattern, http_request, sluice_bin, wait_until
from rawbackend import Reply

DEFAULTS = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
"""


def listen(apps, body: str = "", glob: str = "") -> str:
    servers = "\n".join(f"    server {a.name} 127.0.0.1:{a.port}" for a in apps)
    extra = "".join(f"    {l.strip()}\n" for l in body.strip().splitlines())
    return f"global\n{glob}\n{DEFAULTS}\nlisten web\n    bind 127.0.0.1:{{bind}}\n{extra}{servers}\n"


def concurrent(port: int, n: int, path: str) -> list:
    out: list = []

    def run():
        try:
            out.append(http_request(port, path=path, timeout=30).status)
        except Exception as exc:  # noqa: BLE001 - recorded as a failure
            out.append(repr(exc))

    ts = [threading.Thread(target=run, daemon=True) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(40)
    return out


def test_global_maxconn_waits_in_backlog_never_refuses(farm, sluice):
    (a,) = farm(1)
    lb = sluice(listen([a], glob="    maxconn 2"))
    statuses = concurrent(lb.port, 8, "/slow?ms=300")
    assert statuses == [200] * 8, statuses
    assert a.stats()["max_in_flight"] <= 2


def test_frontend_maxconn(farm, sluice):
    (a,) = farm(1)
    lb = sluice(listen([a], "maxconn 3"))
    assert concurrent(lb.port, 9, "/slow?ms=200") == [200] * 9
    assert a.stats()["max_in_flight"] <= 3


def test_nbthread_2_serves_and_balances(farm, sluice):
    apps = farm(2)
    lb = sluice(listen(apps, "balance roundrobin", glob="    nbthread 2"))
    counts = Counter(http_request(lb.port).served_by for _ in range(40))
    assert counts == {"webA": 20, "webB": 20}
    assert concurrent(lb.port, 20, "/slow?ms=50") == [200] * 20


def test_leastconn_prefers_idle_server(farm, sluice):
    apps = farm(2)
    lb = sluice(listen(apps, "balance leastconn"))
    busy = threading.Thread(target=lambda: http_request(lb.port, path="/slow?ms=800"), daemon=True)
    busy.start()
    wait_until(lambda: sum(a.stats()["max_in_flight"] for a in apps) >= 1, 5, "the slow request")
    slow_on = next(a.name for a in apps if a.stats()["max_in_flight"] >= 1)
    others = Counter(http_request(lb.port).served_by for _ in range(5))
    assert slow_on not in others, others
    busy.join(5)


def test_balance_uri_and_hdr_are_stable(farm, sluice):
    apps = farm(3)
    lb = sluice(listen(apps, "balance uri"))
    for path in ("/a", "/b/c", "/d?x=1"):
        assert len({http_request(lb.port, path=path).served_by for _ in range(4)}) == 1
    spread = {http_request(lb.port, path=f"/p{i}").served_by for i in range(30)}
    assert len(spread) >= 2
    lb2 = sluice(listen(apps, "balance hdr(X-Tenant)"))
    for t in ("alpha", "beta"):
        assert len({http_request(lb2.port, headers={"X-Tenant": t}).served_by for _ in range(4)}) == 1


def test_server_timeout_gives_504(farm, sluice):
    (a,) = farm(1)
    lb = sluice(listen([a], "timeout server 300ms"))
    t0 = time.monotonic()
    r = http_request(lb.port, path="/slow?ms=3000")
    assert r.status == 504
    assert time.monotonic() - t0 < 2.5


def test_connect_failure_gives_503_and_errorfile(sluice, tmp_path, ports):
    page = tmp_path / "503.http"
    page.write_bytes(b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                     b"Content-Length: 11\r\n\r\nmaintenance")
    dead = ports.get()
    lb = sluice(f"{DEFAULTS}\nlisten web\n    bind 127.0.0.1:{{bind}}\n    retries 1\n"
                f"    errorfile 503 {page}\n    server s1 127.0.0.1:{{dead}}\n", dead=dead)
    r = http_request(lb.port)
    assert r.status == 503 and r.body == b"maintenance"


def test_http_request_header_actions(farm, sluice):
    (a,) = farm(1)
    lb = sluice(listen([a], """
        http-request set-header X-Env prod
        http-request add-header X-Tag one
        http-request del-header X-Secret
        http-request deny if { path_beg /admin }
    """))
    r = http_request(lb.port, path="/echo", headers={"X-Env": "dev", "X-Secret": "s3", "X-Tag": "zero"})
    head = r.text
    assert "X-Env: prod" in head and "X-Env: dev" not in head
    assert "X-Secret" not in head
    assert "X-Tag: zero" in head and "X-Tag: one" in head
    assert http_request(lb.port, path="/admin/x").status == 403


def test_use_backend_with_acls(farm, sluice):
    a, b, c = farm(3)
    lb = sluice(f"""{DEFAULTS}
frontend fe
    bind 127.0.0.1:{{bind}}
    acl is_api path_beg /api
    acl is_static hdr(host) -i static.example.com
    acl from_local src 127.0.0.0/8
    use_backend api if is_api from_local
    use_backend static if is_static
    default_backend web
backend api
    server webA 127.0.0.1:{a.port}
backend static
    server webB 127.0.0.1:{b.port}
backend web
    server webC 127.0.0.1:{c.port}
""")
    assert http_request(lb.port, path="/api/v1").served_by == "webA"
    with HttpConn(lb.port) as conn:
        conn.send(b"GET / HTTP/1.1\r\nHost: STATIC.example.com\r\n\r\n")
        assert conn.read_response().served_by == "webB"
    assert http_request(lb.port, path="/").served_by == "webC"


def test_check_mode_exit_codes(sluice_bin, tmp_path):
    good = tmp_path / "good.cfg"
    good.write_text(DEFAULTS + "listen web\n    bind 127.0.0.1:18998\n    server s 127.0.0.1:1\n")
    bad = tmp_path / "bad.cfg"
    bad.write_text(DEFAULTS + "listen web\n    bind 127.0.0.1:18998\n    sever s 127.0.0.1:1\n")
    r = subprocess.run([str(sluice_bin), "-c", "-f", str(good)], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and "Configuration file is valid" in r.stdout
    r = subprocess.run([str(sluice_bin), "-c", "-f", str(bad)], capture_output=True, text=True, timeout=20)
    assert r.returncode == 1
    assert f"{bad}:8: unknown keyword 'sever'" in r.stderr and "did you mean 'server'" in r.stderr


def test_directory_of_config_files(sluice_bin, tmp_path):
    d = tmp_path / "conf.d"
    d.mkdir()
    (d / "00-defaults.cfg").write_text(DEFAULTS)
    (d / "10-web.cfg").write_text("listen web\n    bind 127.0.0.1:18997\n    server s 127.0.0.1:1\n")
    r = subprocess.run([str(sluice_bin), "-c", "-f", str(d)], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr


def test_daemon_pidfile_and_soft_stop(farm, ports, tmp_path):
    (a,) = farm(1)
    port = ports.get()
    cfg = tmp_path / "d.cfg"
    pidfile = tmp_path / "sluice.pid"
    cfg.write_text(DEFAULTS + f"listen web\n    bind 127.0.0.1:{port}\n    server s 127.0.0.1:{a.port}\n")
    r = subprocess.run([str(sluice_bin()), "-D", "-q", "-f", str(cfg), "-p", str(pidfile)], timeout=20)
    assert r.returncode == 0
    wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), 5, "the pid file")
    pid = int(pidfile.read_text())
    try:
        wait_until(lambda: _accepts(port), 5, "the daemon to listen")
        # a slow request in flight survives SIGUSR1 (soft stop); new connections are refused
        result: list = []
        def slow():
            try:
                result.append(http_request(port, path="/slow?ms=700").status)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                result.append(repr(exc))

        t = threading.Thread(target=slow)
        t.start()
        wait_until(lambda: a.stats()["max_in_flight"] >= 1, 5, "the request to reach the server")
        os.kill(pid, signal.SIGUSR1)
        wait_until(lambda: not _accepts(port), 5, "listeners to close")
        t.join(10)
        assert result == [200]
        wait_until(lambda: not _alive(pid), 5, "the daemon to exit")
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _accepts(port: int) -> bool:
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not alive for our purpose
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_large_chunked_response_dechunked_for_http10(farm, sluice):
    from harness import bytes_pattern
    (a,) = farm(1)
    lb = sluice(listen([a]))
    with HttpConn(lb.port) as c:
        c.send(b"GET /bytes?n=300000&chunked=1 HTTP/1.0\r\n\r\n")
        data = b""
        c.sock.settimeout(10)
        while (chunk := c.sock.recv(65536)):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"transfer-encoding" not in head.lower()
    assert body == bytes_pattern(300000)
    # an HTTP/1.1 client gets the chunked stream unchanged
    r = http_request(lb.port, path="/bytes?n=300000&chunked=1")
    assert r.header("Transfer-Encoding") == "chunked" and r.body == bytes_pattern(300000)


def test_tcp_mode_queues_on_server_maxconn(demo_app, sluice):
    """mode tcp: connections beyond the server's maxconn wait for a slot instead of being
    closed; `timeout queue` bounds the wait."""
    a = demo_app("webA")
    lb = sluice(f"""{DEFAULTS}
listen relay
    mode tcp
    bind 127.0.0.1:{{bind}}
    timeout queue 10s
    server webA 127.0.0.1:{a.port} maxconn 2
""")
    statuses = concurrent(lb.port, 6, "/slow?ms=200")
    assert statuses == [200] * 6, statuses
    assert a.stats()["max_in_flight"] <= 2
    lb2 = sluice(f"""{DEFAULTS}
listen relay
    mode tcp
    bind 127.0.0.1:{{bind}}
    timeout queue 200ms
    server webA 127.0.0.1:{a.port} maxconn 1
""")
    out = concurrent(lb2.port, 3, "/slow?ms=1500")
    assert out.count(200) == 1, out            # the others were closed after timeout queue


def test_tcp_mode_server_close_reaches_the_client_at_once(raw_backend, sluice):
    """mode tcp: a server that answers and closes in one go (data and FIN in the same
    epoll edge) has its close relayed at once, not after timeout server. Regression: a
    short read used to clear `readable` and the FIN was never read."""
    be = raw_backend(Reply(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close=True))
    lb = sluice(f"""{DEFAULTS}
listen relay
    mode tcp
    bind 127.0.0.1:{{bind}}
    server s1 127.0.0.1:{be.port}
""")
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", lb.port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            t0 = time.monotonic()
            data = b""
            while chunk := s.recv(4096):
                data += chunk
            assert data.endswith(b"\r\n\r\nok"), data
            assert time.monotonic() - t0 < 2.0     # timeout server is 30s


def test_download_completes_when_the_server_has_already_sent_everything(raw_backend, sluice):
    """A session that stops after its step budget (fairness) must come back by itself.
    Regression: once the whole response sat in the proxy's socket buffers, the server sent
    nothing more, no edge came, and the download stalled until timeout client."""
    n = 3 << 20
    be = raw_backend(Reply(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n + bytes_pattern(n)))
    lb = sluice(f"""{DEFAULTS}
listen web
    bind 127.0.0.1:{{bind}}
    server s1 127.0.0.1:{be.port}
""")
    for i in range(10):
        with socket.create_connection(("127.0.0.1", lb.port), timeout=20) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            be.wait_sent(i + 1)                  # everything is in the kernel's buffers now
            t0 = time.monotonic()
            data = b""
            while len(data) < n + 40:
                chunk = s.recv(1 << 20)
                assert chunk, f"EOF after {len(data)} bytes"
                data += chunk
                if b"\r\n\r\n" in data and len(data) - data.index(b"\r\n\r\n") - 4 >= n:
                    break
            assert time.monotonic() - t0 < 10, "download stalled"
            assert data.split(b"\r\n\r\n", 1)[1] == bytes_pattern(n)


def test_stat_rates_and_downtime(farm, sluice):
    a, b = farm(2)
    lb = sluice("global\n    stats socket {dir}/admin.sock level admin\n" + DEFAULTS +
                f"listen web\n    bind 127.0.0.1:{{bind}}\n    option httpchk GET /health\n"
                f"    server webA 127.0.0.1:{a.port} check inter 100 fall 1 rise 1\n"
                f"    server webB 127.0.0.1:{b.port}\n")
    for _ in range(20):
        http_request(lb.port)

    def row(svname: str) -> dict:
        lines = lb.cli("show stat").splitlines()
        head = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            f = line.split(",")
            if len(f) > 1 and f[0] == "web" and f[1] == svname:
                return dict(zip(head, f))
        raise AssertionError(svname)

    assert int(row("FRONTEND")["rate_max"]) >= 10
    assert int(row("FRONTEND")["req_rate_max"]) >= 10
    assert int(row("webB")["rate_max"]) >= 5
    a.set_health(500)
    wait_until(lambda: row("webA")["status"].startswith("DOWN"), 5, "webA down")
    wait_until(lambda: int(row("webA")["downtime"]) >= 1, 5, "downtime to count")
    assert row("webB")["downtime"] == "0"
    assert row("BACKEND")["downtime"] == "0"              # webB kept it available
    # With webB in maintenance too the backend is down, and its downtime counts until the
    # first server comes back, then stops.
    lb.cli("set server web/webB state maint")
    wait_until(lambda: int(row("BACKEND")["downtime"]) >= 1, 5, "backend downtime to count")
    lb.cli("set server web/webB state ready")
    stopped, a_down = int(row("BACKEND")["downtime"]), int(row("webA")["downtime"])
    wait_until(lambda: int(row("webA")["downtime"]) >= a_down + 2, 5, "two more seconds of webA downtime")
    assert int(row("BACKEND")["downtime"]) == stopped
