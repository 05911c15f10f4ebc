"""Hitless reload and restart (issue 7): -sf/-st with the listening sockets handed over,
master-worker (-W/-S), server state kept across reloads, and old processes closing idle
keep-alive connections without racing a request.

Every process a test starts is stopped by PID at teardown, even on failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness import (HttpConn, PeerClosed, StopWaiting, bytes_pattern, http_get, sluice_bin, socat, stop_process,
                     wait_until)

CFG = """\
global
    stats socket {dir}/admin.sock mode 600 level admin expose-fd listeners
    stats timeout 30s
    hard-stop-after 30s
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 10s
frontend fe
    bind 127.0.0.1:{bind}
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:{p1}
    server s2 127.0.0.1:{p2}
"""

CHECKED_CFG = CFG.replace("    balance roundrobin\n", "    balance roundrobin\n    option httpchk GET /health\n").replace("server s1 127.0.0.1:{p1}", "server s1 127.0.0.1:{p1} check inter 5s fall 3 rise 2") \
                 .replace("server s2 127.0.0.1:{p2}", "server s2 127.0.0.1:{p2} check inter 200ms fall 1 rise 2")

BIG = 64 * 1024 * 1024    # the long download: bigger than every socket buffer on the way


class Procs:
    """The sluice processes a test starts besides the fixture's: stopped by PID at the end."""

    def __init__(self, inst):
        self.inst = inst
        self.procs: list[subprocess.Popen] = []

    def spawn(self, *args: str) -> subprocess.Popen:
        log = open(self.inst.log_path, "ab")
        p = subprocess.Popen([str(sluice_bin()), *args], stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        log.close()
        self.procs.append(p)
        return p

    def stop(self):
        for p in self.procs:
            stop_process(p)


@pytest.fixture
def procs():
    made: list[Procs] = []

    def make(inst) -> Procs:
        made.append(Procs(inst))
        return made[-1]

    yield make
    for m in made:
        m.stop()


class Load:
    """Continuous traffic, bounded in time and count: keep-alive clients sending back to back,
    clients opening a new connection per request. Any refused or reset connection, or any
    request without a 200 answer, is a failure."""

    def __init__(self, port: int, keepalive: int = 4, fresh: int = 3, max_seconds: float = 60.0,
                 max_requests: int = 200_000):
        self.port = port
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.ok = 0
        self.closes = 0          # responses with Connection: close (an old process finishing)
        self.failures: list[str] = []
        self.deadline = time.monotonic() + max_seconds
        self.max_requests = max_requests
        self.threads = [threading.Thread(target=self._keepalive, daemon=True) for _ in range(keepalive)]
        self.threads += [threading.Thread(target=self._fresh, daemon=True) for _ in range(fresh)]

    def running(self) -> bool:
        return not self.stop_ev.is_set() and time.monotonic() < self.deadline and self.ok < self.max_requests

    def _count(self, resp=None, err: str | None = None):
        with self.lock:
            if err is not None:
                self.failures.append(err)
            elif resp.status != 200:
                self.failures.append(f"status {resp.status}")
            else:
                self.ok += 1

    def _keepalive(self):
        conn = None
        n = 0
        while self.running():
            try:
                if conn is None:
                    conn = HttpConn(self.port, timeout=10)
                n += 1
                resp = conn.request("GET", f"/ka?n={n}")
                self._count(resp)
                if (resp.header("Connection") or "").lower() == "close":
                    with self.lock:
                        self.closes += 1
                    conn.close()
                    conn = None
            except (OSError, PeerClosed) as exc:
                self._count(err=f"keep-alive request {n}: {type(exc).__name__}: {exc}")
                if conn:
                    conn.close()
                conn = None
        if conn:
            conn.close()

    def _fresh(self):
        n = 0
        while self.running():
            n += 1
            try:
                self._count(http_get(self.port, f"/fresh?n={n}", timeout=10))
            except (OSError, PeerClosed) as exc:
                self._count(err=f"new-connection request {n}: {type(exc).__name__}: {exc}")

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_ev.set()
        for t in self.threads:
            t.join(timeout=20)

    def snapshot(self) -> int:
        with self.lock:
            return self.ok


class Download:
    """A long download through the proxy: reads half of it, waits until `resume` is set (the
    reloads are done), then reads the rest and checks every byte."""

    def __init__(self, port: int, n: int = BIG):
        self.port, self.n = port, n
        self.resume = threading.Event()
        self.half = threading.Event()
        self.error: str | None = None
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        self.t0 = time.monotonic()
        self.resumed_at = -1.0
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            s.sendall(f"GET /bytes?n={self.n} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += s.recv(65536)
            head, body = buf.split(b"\r\n\r\n", 1)
            assert b" 200 " in head.split(b"\r\n")[0], head
            got = bytearray(body)
            while len(got) < self.n:
                if len(got) >= self.n // 2 and not self.half.is_set():
                    self.half.set()
                    if not self.resume.wait(120):
                        raise AssertionError("never resumed")
                    self.resumed_at = time.monotonic() - self.t0
                chunk = s.recv(1 << 20)
                if not chunk:
                    raise AssertionError(f"EOF after {len(got)} of {self.n} bytes; "
                                         f"{time.monotonic() - self.t0:.1f}s after the start, "
                                         f"resumed after {self.resumed_at:.1f}s")
                got += chunk
            s.close()
            if bytes(got[:self.n]) != bytes_pattern(self.n):
                raise AssertionError("body differs")
            self.done = True
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = f"{type(exc).__name__}: {exc}"
            self.half.set()


def info_pid(sock: str) -> int | None:
    try:
        out = socat("show info", sock, timeout=5)
    except (AssertionError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        if line.startswith("Pid: "):
            return int(line[5:])
    return None


def reload_sf(lb, procs: Procs, pidfile: Path, extra: tuple[str, ...] = ()) -> tuple[subprocess.Popen, float]:
    """`sluice -f CFG -p PIDFILE -sf $(cat PIDFILE)`; returns the new process once its runtime
    API answers (it serves by then), and the time that took."""
    old = pidfile.read_text().split()
    t0 = time.monotonic()
    p = procs.spawn("-f", str(lb.cfg_path), "-p", str(pidfile), *extra, "-sf", *old)

    def serving():
        if p.poll() is not None:
            raise StopWaiting(f"new process exited with {p.returncode}")
        return info_pid(lb.admin_sock) == p.pid

    wait_until(serving, 10, "the new process to serve")
    return p, time.monotonic() - t0


def served_by(port: int, n: int) -> list[str]:
    return [http_get(port, "/").served_by for _ in range(n)]


def start_sf(farm, sluice, template=CFG):
    apps = farm(2, names=["s1", "s2"])
    lb = sluice(template, start=False, p1=apps[0].port, p2=apps[1].port)
    pidfile = lb.dir / "sluice.pid"
    lb.start(extra_args=["-p", str(pidfile)])
    wait_until(lambda: info_pid(lb.admin_sock) == lb.proc.pid, what="the runtime API")
    return apps, lb, pidfile


# ---- -sf / -st ----------------------------------------------------------------------------------


# The long download pauses its reading while the reloads run: the client timeout must cover it.
WS_CFG = CFG.replace("    hard-stop-after 30s\n", "    hard-stop-after 300s\n") \
            .replace("    timeout client 30s\n", "    timeout client 300s\n") \
            .replace("    default_backend be\n", "    acl ws path_beg /ws\n    use_backend wsb if ws\n    default_backend be\n") \
            + "backend wsb\n    timeout tunnel 120s\n    server w 127.0.0.1:{pw}\n"


class WebSocket:
    """A WebSocket-style tunnel through the proxy (101 then raw echo), exercised in a loop
    by its own thread while reloads happen: every message must come back."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), 10)
        self.sock.sendall(b"GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            assert chunk, "no 101"
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head
        self.stop, self.echoed, self.error = threading.Event(), 0, None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        try:
            for i in range(100000):   # bounded; stops when asked
                if self.stop.is_set():
                    break
                msg = f"ping {i}\n".encode()
                self.sock.sendall(msg)
                got = b""
                while len(got) < len(msg):
                    chunk = self.sock.recv(len(msg) - len(got))
                    if not chunk:
                        raise PeerClosed(f"tunnel closed after {self.echoed} echoes")
                    got += chunk
                assert got == msg, (got, msg)
                self.echoed += 1
                self.stop.wait(0.01)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            self.sock.close()


def test_sf_reloads_under_load_refuse_nothing(farm, sluice, procs):
    """Issue 7: 100 reloads in a row under load (keep-alive and new connections, a long
    download and a WebSocket tunnel): no failed request, no refused or reset connection, and
    the long transfers complete."""
    from rawbackend import RawBackend, Reply
    ws_backend = RawBackend(Reply(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                  b"Connection: Upgrade\r\n\r\n", tunnel=True)).start()
    try:
        apps = farm(2, names=["s1", "s2"])
        lb = sluice(WS_CFG, start=False, p1=apps[0].port, p2=apps[1].port, pw=ws_backend.port)
        pidfile = lb.dir / "sluice.pid"
        lb.start(extra_args=["-p", str(pidfile)])
        wait_until(lambda: info_pid(lb.admin_sock) == lb.proc.pid, what="the runtime API")
        ps = procs(lb)
        dl = Download(lb.port)
        dl.thread.start()
        assert dl.half.wait(30), "download did not start"
        ws = WebSocket(lb.port)
        ws.thread.start()
        times = []
        with Load(lb.port) as load:
            wait_until(lambda: load.snapshot() > 50, what="load to flow")
            for _ in range(100):
                before, echoed = load.snapshot(), ws.echoed
                _, took = reload_sf(lb, ps, pidfile)
                times.append(took)
                wait_until(lambda: load.snapshot() > before + 10 and ws.echoed > echoed, what="traffic after the reload")
        ws.stop.set()
        ws.thread.join(30)
        dl.resume.set()
        dl.thread.join(60)
        print(f"reload -sf: {len(times)} reloads, median {sorted(times)[len(times) // 2] * 1000:.1f} ms "
              f"(process start to serving), max {max(times) * 1000:.1f} ms; {load.ok} requests, "
              f"{load.closes} answered with Connection: close; {ws.echoed} WebSocket echoes")
        assert load.failures == [], load.failures[:10]
        assert load.ok > 1000
        assert ws.error is None, ws.error
        assert ws.echoed >= 100
        assert dl.error is None and dl.done, dl.error
        # Only the last process is left once the old ones finished.
        wait_until(lambda: all(p.poll() is not None for p in ps.procs[:-1]) and lb.proc.poll() is not None,
                   20, "old processes to exit")
    finally:
        ws_backend.stop()


def test_sf_broken_config_keeps_old_process(farm, sluice, procs):
    apps, lb, pidfile = start_sf(farm, sluice)
    ps = procs(lb)
    good = lb.cfg_path.read_text()
    lb.cfg_path.write_text(good + "    bogus-keyword here\n")
    with Load(lb.port, keepalive=2, fresh=2) as load:
        wait_until(lambda: load.snapshot() > 20, what="load to flow")
        p = ps.spawn("-f", str(lb.cfg_path), "-p", str(pidfile), "-sf", pidfile.read_text().strip())
        assert p.wait(10) != 0
        before = load.snapshot()
        wait_until(lambda: load.snapshot() > before + 20, what="requests after the failed reload")
    assert "bogus-keyword" in lb.log()
    assert load.failures == [], load.failures[:10]
    assert int(pidfile.read_text()) == lb.proc.pid and lb.proc.poll() is None
    assert info_pid(lb.admin_sock) == lb.proc.pid
    # A bind that cannot be opened: the new process fails, the old one resumes.
    lb.cfg_path.write_text(good.replace("frontend fe\n", "frontend fe\n    bind 192.0.2.1:1\n"))
    p = ps.spawn("-f", str(lb.cfg_path), "-p", str(pidfile), "-sf", pidfile.read_text().strip())
    assert p.wait(10) != 0
    assert http_get(lb.port, "/").status == 200
    assert lb.proc.poll() is None


def signal_pending(pid: int, sig: int) -> bool:
    """Whether `sig`, sent to `pid` with kill(), is not taken yet (ShdPnd in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("ShdPnd:"):
            return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    return False


def test_failed_reload_resumes_an_old_process_slow_to_take_signals(farm, sluice, procs):
    # A busy old process can have SIGTTOU and SIGTTIN pending together: it takes SIGTTIN (21)
    # first, then SIGTTOU (22), and stays paused with nobody serving. Stopping it makes that
    # certain; the new process must send SIGTTIN only once SIGTTOU is taken.
    apps, lb, pidfile = start_sf(farm, sluice)
    ps = procs(lb)
    old = lb.proc.pid
    lb.cfg_path.write_text(lb.cfg_path.read_text().replace("frontend fe\n", "frontend fe\n    bind 192.0.2.1:1\n"))
    os.kill(old, signal.SIGSTOP)
    try:
        p = ps.spawn("-f", str(lb.cfg_path), "-p", str(pidfile), "-sf", str(old))
        wait_until(lambda: signal_pending(old, signal.SIGTTOU), what="the new process to pause the old one")
        # A sender that does not wait sends SIGTTIN right away (its bind fails at once): a
        # second is ample for it to show. Ours waits (up to 5 s) for SIGTTOU to be taken.
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and p.poll() is None and not signal_pending(old, signal.SIGTTIN):
            time.sleep(0.02)
        assert not signal_pending(old, signal.SIGTTIN), "SIGTTIN sent before SIGTTOU was taken"
    finally:
        os.kill(old, signal.SIGCONT)
    assert p.wait(10) != 0
    assert http_get(lb.port, "/", timeout=5).status == 200
    assert "Resuming listeners" in lb.log().split("Pausing listeners")[-1]


def test_sf_with_explicit_x_and_st(farm, sluice, procs):
    apps, lb, pidfile = start_sf(farm, sluice)
    ps = procs(lb)
    p, _ = reload_sf(lb, ps, pidfile, extra=("-x", lb.admin_sock))
    wait_until(lambda: lb.proc.poll() is not None, what="the old process to leave")
    old = pidfile.read_text().strip()
    p2 = ps.spawn("-f", str(lb.cfg_path), "-p", str(pidfile), "-st", old)
    wait_until(lambda: info_pid(lb.admin_sock) == p2.pid, what="the -st process")
    wait_until(lambda: p.poll() is not None, what="-st to terminate the old process")
    assert http_get(lb.port, "/").status == 200


# ---- state kept -----------------------------------------------------------------------------------


def test_drained_server_stays_drained_after_sf(farm, sluice, procs):
    apps, lb, pidfile = start_sf(farm, sluice)
    ps = procs(lb)
    assert socat("set server be/s1 state drain", lb.admin_sock).strip() == ""
    socat("set server be/s2 weight 7", lb.admin_sock)
    reload_sf(lb, ps, pidfile)
    state = socat("show servers state be", lb.admin_sock)
    rows = {line.split()[3]: line.split() for line in state.splitlines()[2:] if line.strip()}
    assert rows["s1"][6] == "8", state     # srv_admin_state: forced drain
    assert rows["s2"][7] == "7", state     # srv_uweight
    assert set(served_by(lb.port, 20)) == {"s2"}


def test_down_server_gets_nothing_after_reload(farm, sluice, procs):
    apps, lb, pidfile = start_sf(farm, sluice, CHECKED_CFG)
    ps = procs(lb)
    apps[1].set_health(503)
    wait_until(lambda: " s2 " in socat("show servers state be", lb.admin_sock) and
               [l for l in socat("show servers state be", lb.admin_sock).splitlines() if " s2 " in l][0].split()[5] == "0",
               what="s2 DOWN")
    apps[1].set_health(200)   # healthy again now, but the new process must not trust it blindly
    p, _ = reload_sf(lb, ps, pidfile)
    seen = served_by(lb.port, 10)
    assert set(seen) == {"s1"}, seen


def test_server_state_file_global(farm, sluice, procs):
    cfg = CFG.replace("    hard-stop-after 30s\n", "    hard-stop-after 30s\n    server-state-file {dir}/state\n") \
             .replace(" expose-fd listeners", "") \
             .replace("    timeout http-keep-alive 10s\n", "    timeout http-keep-alive 10s\n    load-server-state-from-file global\n")
    apps, lb, pidfile = start_sf(farm, sluice, cfg)
    ps = procs(lb)
    socat("set server be/s2 state maint", lb.admin_sock)
    (lb.dir / "state").write_text(socat("show servers state", lb.admin_sock))
    reload_sf(lb, ps, pidfile)
    assert set(served_by(lb.port, 10)) == {"s1"}
    rows = [l.split() for l in socat("show servers state be", lb.admin_sock).splitlines()[2:] if l.strip()]
    assert {r[3]: r[6] for r in rows}["s2"] == "1"


# ---- master-worker ---------------------------------------------------------------------------------


def start_master(farm, sluice, template=CFG):
    apps = farm(2, names=["s1", "s2"])
    lb = sluice(template, start=False, p1=apps[0].port, p2=apps[1].port)
    master_sock = str(lb.dir / "master.sock")
    lb.start(extra_args=["-W", "-S", master_sock, "-p", str(lb.dir / "sluice.pid")])
    wait_until(lambda: os.path.exists(master_sock) and info_pid(lb.admin_sock) is not None, what="the master and worker")
    return apps, lb, master_sock


def mcli(cmd: str, sock: str) -> str:
    res = subprocess.run(["socat", "-t", "30", "stdio", f"UNIX-CONNECT:{sock}"], input=cmd + "\n",
                         capture_output=True, text=True, timeout=40)
    return res.stdout


def workers(show_proc: str) -> tuple[list[list[str]], list[list[str]]]:
    cur, old, section = [], [], None
    for line in show_proc.splitlines():
        if line.startswith("# workers"):
            section = cur
        elif line.startswith("# old workers"):
            section = old
        elif section is not None and line.strip():
            section.append(line.split())
    return cur, old


def test_master_worker_reloads_under_load(farm, sluice):
    apps, lb, msock = start_master(farm, sluice)
    dl = Download(lb.port)
    dl.thread.start()
    assert dl.half.wait(30), "download did not start"
    times = []
    with Load(lb.port) as load:
        wait_until(lambda: load.snapshot() > 50, what="load to flow")
        for i in range(20):
            before = load.snapshot()
            t0 = time.monotonic()
            if i % 2:
                out = mcli("reload", msock)
                assert out.startswith("Success=1"), out
            else:
                gen = int(workers(mcli("show proc", msock))[0][0][5])
                lb.proc.send_signal(signal.SIGUSR2)
                try:
                    wait_until(lambda: (w := workers(mcli("show proc", msock))[0]) and int(w[0][5]) > gen,
                               what="the new worker")
                except AssertionError:
                    print("master exit code:", lb.proc.poll(), "show proc:", repr(mcli("show proc", msock)))
                    raise
            times.append(time.monotonic() - t0)
            wait_until(lambda: load.snapshot() > before + 20, what="requests after the reload")
        cur, old = workers(mcli("show proc", msock))
        assert len(cur) == 1 and int(cur[0][5]) == 21
        assert any(int(o[6]) >= 1 for o in old), old     # the download's worker still holds it
    dl.resume.set()
    dl.thread.join(60)
    print(f"reload -W: {len(times)} reloads, median {sorted(times)[len(times) // 2] * 1000:.1f} ms "
          f"(request to new worker serving), max {max(times) * 1000:.1f} ms; {load.ok} requests")
    assert load.failures == [], load.failures[:10]
    assert dl.error is None and dl.done, dl.error
    wait_until(lambda: workers(mcli("show proc", msock))[1] == [], 20, "old workers to exit")


def test_master_reload_reports_errors_and_keeps_state(farm, sluice):
    apps, lb, msock = start_master(farm, sluice)
    socat("set server be/s1 state drain", lb.admin_sock)
    good = lb.cfg_path.read_text()
    lb.cfg_path.write_text(good + "    bogus-keyword here\n")
    out = mcli("reload", msock)
    assert out.startswith("Success=0") and "bogus-keyword" in out, out
    assert http_get(lb.port, "/").status == 200
    lb.cfg_path.write_text(good)
    out = mcli("reload", msock)
    assert out.startswith("Success=1"), out
    # The new worker got the old one's state without any file or script.
    rows = [l.split() for l in mcli("@1 show servers state be", msock).splitlines()[2:] if l.strip()]
    assert {r[3]: r[6] for r in rows}["s1"] == "8"
    assert set(served_by(lb.port, 10)) == {"s2"}


def test_master_max_reloads_bounds_old_workers(farm, sluice):
    cfg = CFG.replace("    hard-stop-after 30s\n", "    hard-stop-after 30s\n    mworker-max-reloads 2\n")
    apps, lb, msock = start_master(farm, sluice, cfg)
    holders = []
    try:
        for _ in range(4):
            c = HttpConn(lb.port)
            c.send(b"GET /slow?ms=20000 HTTP/1.1\r\nHost: t\r\n\r\n")   # holds its worker
            holders.append(c)
            wait_until(lambda: int(workers(mcli("show proc", msock))[0][0][6]) >= 1, what="the slow request")
            assert mcli("reload", msock).startswith("Success=1")
        wait_until(lambda: all(int(o[2]) <= 2 for o in workers(mcli("show proc", msock))[1]),
                   what="workers over mworker-max-reloads to be terminated")
    finally:
        for c in holders:
            c.close()


# ---- soft stop: idle keep-alive connections ----------------------------------------------------


def test_idle_keepalive_close_never_races_a_request(farm, sluice, procs):
    """Many keep-alive clients sending continuously through reloads: every request sent to an
    old process gets its answer (with Connection: close), none is reset or left unanswered."""
    apps, lb, pidfile = start_sf(farm, sluice)
    ps = procs(lb)
    with Load(lb.port, keepalive=16, fresh=0) as load:
        wait_until(lambda: load.snapshot() > 200, what="load to flow")
        for _ in range(10):
            before = load.snapshot()
            reload_sf(lb, ps, pidfile)
            wait_until(lambda: load.snapshot() > before + 100, what="requests after the reload")
    assert load.failures == [], load.failures[:10]
    assert load.closes >= 10


STICKY_CFG = CFG.replace("    balance roundrobin\n",
                         "    balance roundrobin\n    stick-table type ip size 100 expire 10m\n    stick on src\n")


def _from(port: int, src: str) -> str:
    s = socket.socket()
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while (chunk := s.recv(65536)):
            data += chunk
    finally:
        s.close()
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"x-served-by:"):
            return line.split(b":", 1)[1].strip().decode()
    raise AssertionError(data[:200])


def _owners(port: int) -> dict[str, str]:
    return {src: _from(port, src) for src in (f"127.0.0.{i}" for i in range(2, 8))}


def test_stick_table_survives_sf_reload(farm, sluice, procs):
    apps, lb, pidfile = start_sf(farm, sluice, STICKY_CFG)
    ps = procs(lb)
    before = _owners(lb.port)
    assert set(before.values()) == {"s1", "s2"}
    reload_sf(lb, ps, pidfile)
    table = socat("show table be", lb.admin_sock)
    assert table.startswith("# table: be, type: ip, size:100, used:6"), table
    _from(lb.port, "127.0.0.20")   # moves a fresh round robin by one: only the table keeps owners
    assert _owners(lb.port) == before


def test_stick_table_survives_master_reload(farm, sluice):
    apps, lb, msock = start_master(farm, sluice, STICKY_CFG)
    before = _owners(lb.port)
    assert set(before.values()) == {"s1", "s2"}
    out = mcli("reload", msock)
    assert out.startswith("Success=1"), out
    wait_until(lambda: "used:6" in socat("show table be", lb.admin_sock), what="the new worker's table")
    _from(lb.port, "127.0.0.20")   # moves a fresh round robin by one: only the table keeps owners
    assert _owners(lb.port) == before
