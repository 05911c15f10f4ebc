"""End-to-end harness: real binaries, config templates, tiny backends.

Everything started here is stopped by PID (never by name), also when a test fails.
Stdlib only; curl and socat are called as subprocesses.

Environment:
  SLUICE_BUILD_DIR  build directory holding `sluice` and `demo-app` (default <repo>/build)
  SLUICE_BIN        the proxy binary to test (default $SLUICE_BUILD_DIR/sluice); point it
                    at /usr/sbin/haproxy to check a test against the reference
  DEMO_APP_BIN      the backend binary (default $SLUICE_BUILD_DIR/demo-app)
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def build_dir() -> Path:
    return Path(os.environ.get("SLUICE_BUILD_DIR", REPO / "build")).resolve()


def sluice_bin() -> Path:
    return Path(os.environ.get("SLUICE_BIN") or build_dir() / "sluice")


def demo_app_bin() -> Path:
    return Path(os.environ.get("DEMO_APP_BIN") or build_dir() / "demo-app")


def against_haproxy() -> bool:
    """True when the suite runs against the reference haproxy instead of sluice."""
    return "haproxy" in sluice_bin().name


# ---- waiting ------------------------------------------------------------------------------


class StopWaiting(Exception):
    """Raised by a wait_until predicate to give up at once (e.g. the process died)."""


def wait_until(predicate, timeout: float = 10.0, what: str = "condition", interval: float = 0.02):
    """Polls predicate() until it returns something truthy, and returns that value.

    Exceptions raised by the predicate count as "not yet" (a refused connection is a
    normal state while something starts), except `StopWaiting`, which propagates: raise
    it when the condition can no longer come true. On timeout, fails naming `what` and
    the last value or exception seen.
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = value
        except StopWaiting:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            last = exc
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")
        time.sleep(interval)


def port_accepts(port: int, host: str = HOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# ---- ports ----------------------------------------------------------------------------------


class PortAllocator:
    """Hands out ports the kernel considers free, never the same one twice per session."""

    def __init__(self):
        self._given: set[int] = set()

    def get(self) -> int:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((HOST, 0))
                port = s.getsockname()[1]
            if port not in self._given:
                self._given.add(port)
                return port
        raise RuntimeError("no free port found")


# ---- processes ------------------------------------------------------------------------------


def stop_process(proc: subprocess.Popen, grace: float = 5.0) -> int | None:
    """SIGTERM, then SIGKILL after `grace` seconds. Only ever the given PID."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass
    return proc.returncode


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<no log>"
    return "\n".join(text.splitlines()[-lines:])


class DemoApp:
    """One demo-app backend. Port 0 means ephemeral; the real ports come from READY."""

    def __init__(self, name: str, port: int = 0, check_port: int | None = None,
                 session_cookie: str | None = None, log_dir: Path | None = None):
        self.name = name
        self.port = port
        self.check_port = check_port
        self.session_cookie = session_cookie
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="demo-"))
        self.log_path = self.log_dir / f"demo-{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> "DemoApp":
        cmd = [str(demo_app_bin()), "--name", self.name, "--listen", f"{HOST}:{self.port}", "--quiet"]
        if self.check_port is not None:
            cmd += ["--check-port", str(self.check_port)]
        if self.session_cookie:
            cmd += ["--session-cookie", self.session_cookie]
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        line = _read_line(self.proc, timeout)
        m = re.fullmatch(r"READY name=(\S+) port=(\d+) check_port=(\d+)", line.strip())
        if not m:
            self.stop()
            raise AssertionError(f"demo-app {self.name} did not start: {line!r}\n{tail(self.log_path)}")
        self.port = int(m.group(2))
        if self.check_port is not None:
            self.check_port = int(m.group(3))
        return self

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc)
            if self.proc.stdout:
                self.proc.stdout.close()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # control endpoints, always called on the backend itself, never through the proxy
    def control(self, path: str) -> "HttpResponse":
        resp = http_request(self.port, "GET", path)
        assert resp.status == 200, f"{self.name} {path}: {resp.status} {resp.body!r}"
        return resp

    def set_health(self, status: int) -> None:
        self.control(f"/_demo/health?status={status}")

    def set_running(self, on: bool) -> None:
        self.control(f"/_demo/running?on={int(on)}")

    def set_check_port(self, on: bool) -> None:
        self.control(f"/_demo/check-port?on={int(on)}")

    def stats(self) -> dict:
        return json.loads(self.control("/_demo/stats").body)


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
    finally:
        sel.close()
    return buf.decode(errors="replace").split("\n", 1)[0]


PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class Sluice:
    """The proxy under test, started in the foreground with `-f CFG`.

    The config is a template: `{name}` placeholders take their value from `values`;
    `{dir}` is a short per-instance directory (for stats sockets: sun_path is 108
    bytes). Placeholders not in `values` get a fresh port each, and start() waits until
    all of those accept connections, so use them for binds only: give server ports
    (including dead ones) through `values`.
    """

    def __init__(self, template: str, ports: PortAllocator, values: dict | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="sl-", dir="/tmp"))
        self.values = {"dir": str(self.dir), **(values or {})}
        self.bind_ports: dict[str, int] = {}
        for name in PLACEHOLDER.findall(template):
            if name not in self.values:
                self.bind_ports[name] = self.values[name] = ports.get()
        self.config_text = PLACEHOLDER.sub(lambda m: str(self.values[m.group(1)]), template)
        if against_haproxy():
            self.config_text = modernize_for_haproxy(self.config_text)
        self.cfg_path = self.dir / "sluice.cfg"
        self.cfg_path.write_text(self.config_text)
        self.log_path = self.dir / "sluice.log"
        self.proc: subprocess.Popen | None = None

    def __getitem__(self, name: str):
        return self.values[name]

    @property
    def port(self) -> int:
        """The first bind port of the template."""
        return next(iter(self.bind_ports.values()))

    @property
    def admin_sock(self) -> str:
        return str(self.dir / "admin.sock")

    def start(self, timeout: float = 10.0, extra_args: list[str] | None = None, **popen_kw) -> "Sluice":
        """`popen_kw` goes to Popen as is (pass_fds, preexec_fn for limits or identity)."""
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(sluice_bin()), "-f", str(self.cfg_path), *(extra_args or [])],
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **popen_kw)
        log.close()

        def ready():
            if self.proc.poll() is not None:
                raise StopWaiting("process exited")
            return all(port_accepts(p) for p in self.bind_ports.values())

        try:
            wait_until(ready, timeout, "sluice to accept on its bind ports")
        except (StopWaiting, AssertionError) as exc:
            code = self.proc.poll()
            self.stop()
            raise AssertionError(
                f"sluice did not come up (exit code {code}): {exc}\n"
                f"--- config ---\n{self.config_text}\n--- log ---\n{tail(self.log_path)}") from None
        return self

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        return stop_process(self.proc)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def sanitizer_report(self) -> str | None:
        text = self.log()
        return text if any(m in text for m in SANITIZER_MARKERS) else None

    def cli(self, cmd: str, sock: str | None = None) -> str:
        return socat(cmd, sock or self.admin_sock)


def modernize_for_haproxy(text: str) -> str:
    """Rewrites the 1.x `listen NAME ADDR:PORT` form, which haproxy 2.6 rejects, into
    `listen NAME` + `bind ADDR:PORT`, so tests written in the seeds' form can be checked
    against the reference."""
    return re.sub(r"^(\s*)listen\s+(\S+)\s+(\S*:\S+)[ \t]*$", r"\1listen \2\n    bind \3", text, flags=re.M)


# ---- HTTP on raw sockets ----------------------------------------------------------------------


@dataclass
class HttpResponse:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    raw_head: bytes = b""

    def header(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def served_by(self) -> str | None:
        return self.header("X-Served-By")

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def cookies(self) -> dict[str, str]:
        """Name -> value of every Set-Cookie in the response."""
        out = {}
        for v in self.header_all("Set-Cookie"):
            kv = v.split(";", 1)[0]
            if "=" in kv:
                k, val = kv.split("=", 1)
                out[k.strip()] = val.strip()
        return out


class PeerClosed(Exception):
    pass


class HttpConn:
    """One client connection: send exact bytes, read whole responses, keep-alive capable."""

    def __init__(self, port: int, host: str = HOST, timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(self, method: str = "GET", path: str = "/", headers: dict | list | None = None,
                body: bytes | None = None, version: str = "HTTP/1.1", host: str = "test") -> HttpResponse:
        self.send(build_request(method, path, headers, body, version, host))
        return self.read_response(method)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise PeerClosed(f"peer closed with {len(self.buf)} bytes unread")
        self.buf += chunk

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _line(self) -> bytes:
        while b"\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def read_response(self, method: str = "GET") -> HttpResponse:
        """Reads one final response (1xx interim responses are skipped)."""
        while True:
            while b"\r\n\r\n" not in self.buf and b"\n\n" not in self.buf:
                self._fill()
            idx = self.buf.find(b"\r\n\r\n")
            end = idx + 4 if idx >= 0 else self.buf.find(b"\n\n") + 2
            raw_head, self.buf = self.buf[:end], self.buf[end:]
            lines = raw_head.decode("latin-1").splitlines()
            parts = lines[0].split(" ", 2)
            resp = HttpResponse(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", raw_head=raw_head)
            for line in lines[1:]:
                if line:
                    k, _, v = line.partition(":")
                    resp.headers.append((k.strip(), v.strip()))
            if 100 <= resp.status < 200:
                continue
            break
        te = (resp.header("Transfer-Encoding") or "").lower()
        cl = resp.header("Content-Length")
        if method == "HEAD" or resp.status in (204, 304):
            return resp
        if "chunked" in te:
            body = b""
            while True:
                size = int(self._line().split(b";")[0].strip(), 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._take(size)
                self._line()
            resp.body = body
        elif cl is not None:
            resp.body = self._take(int(cl))
        else:
            while True:
                try:
                    self._fill()
                except PeerClosed:
                    break
            resp.body, self.buf = self.buf, b""
        return resp

    def peer_closed(self, timeout: float = 2.0) -> bool:
        """True when the peer closes the connection (EOF or reset) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1, socket.MSG_PEEK) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def build_request(method: str = "GET", path: str = "/", headers: dict | list | None = None,
                  body: bytes | None = None, version: str = "HTTP/1.1", host: str | None = "test") -> bytes:
    items = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    names = {k.lower() for k, _ in items}
    if host is not None and "host" not in names:
        items.insert(0, ("Host", host))
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        items.append(("Content-Length", str(len(body))))
    head = f"{method} {path} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in items) + "\r\n"
    return head.encode("latin-1") + (body or b"")


def http_request(port: int, method: str = "GET", path: str = "/", headers: dict | list | None = None,
                 body: bytes | None = None, version: str = "HTTP/1.1", timeout: float = 10.0) -> HttpResponse:
    """One request on a fresh connection, closed afterwards."""
    with HttpConn(port, timeout=timeout) as c:
        return c.request(method, path, headers, body, version)


def http_get(port: int, path: str = "/", headers: dict | list | None = None, **kw) -> HttpResponse:
    return http_request(port, "GET", path, headers, **kw)


def chunked(body: bytes, size: int = 1000) -> bytes:
    out = b""
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def fnv1a(data: bytes) -> str:
    """Same hash as demo-app's X-Request-Body-Fnv1a header."""
    h = 14695981039346656037
    for c in data:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def bytes_pattern(n: int) -> bytes:
    """The body demo-app's /bytes?n=N sends."""
    alphabet = b"abcdefghijklmnopqrstuvwxyz"
    return (alphabet * (n // 26 + 1))[:n]


# ---- external tools -------------------------------------------------------------------------


def curl(*args: str, timeout: float = 30.0, check: bool = True) -> subprocess.CompletedProcess:
    """Runs `curl -sS ARGS`; stdout and stderr are text."""
    res = subprocess.run(["curl", "-sS", *args], capture_output=True, text=True, timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError(f"curl {' '.join(args)} failed ({res.returncode}): {res.stderr}")
    return res


def socat(cmd: str, sock_path: str, timeout: float = 10.0) -> str:
    """`echo CMD | socat stdio UNIX-CONNECT:PATH`: one runtime API command, its reply."""
    res = subprocess.run(["socat", "stdio", f"UNIX-CONNECT:{sock_path}"], input=cmd + "\n",
                         capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise AssertionError(f"socat {cmd!r} on {sock_path} failed: {res.stderr}")
    return res.stdout
