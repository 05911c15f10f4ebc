"""A tiny raw-socket HTTP/1 backend for byte-level tests.

It records exactly the bytes each connection delivered and answers with scripted raw bytes,
so a test can check what the proxy forwarded (or that nothing reached the server at all) and
can feed the proxy malformed responses. Stdlib only; one thread per connection; stopped by
`stop()` (the fixture does it).

    be = RawBackend(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok").start()
    ... point the proxy at be.port ...
    be.requests()      # every complete request received, in order, as bytes
    be.total_conns     # connections accepted

A script entry is either bytes (sent once a whole request arrived) or a `Reply`:
  Reply(data, close=True)    send data, then close the connection
  Reply(None, close=True)    close without answering (server dies before responding)
  Reply(data, tunnel=True)   send data (e.g. a 101), then echo every byte received
  Reply(data, on_head=True)  answer as soon as the head is in, without reading the body
  Reply(data, wait=event)    wait for a threading.Event before sending (ordering tests)
  RawBackend.PATH_ECHO       answer 200 with the request target as the body
  Reply(data, interim=b"HTTP/1.1 100 Continue\r\n\r\n")   sent once the head is in
The script is a list used one entry per request (the last entry repeats), or one entry.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

HOST = "127.0.0.1"


@dataclass
class Reply:
    data: bytes | None
    close: bool = False
    tunnel: bool = False
    on_head: bool = False
    wait: threading.Event | None = None
    interim: bytes | None = None  # sent as soon as the head is in (100 Continue)


@dataclass
class ConnRecord:
    received: bytearray = field(default_factory=bytearray)
    requests: list[bytes] = field(default_factory=list)
    closed: bool = False


def request_end(buf: bytes, head_only: bool = False) -> int:
    """Length of the first complete request in buf, or -1. A trusted, simple framing parser:
    the proxy in front only forwards validated messages."""
    he = buf.find(b"\r\n\r\n")
    if he < 0:
        return -1
    head_end = he + 4
    if head_only:
        return head_end
    head = buf[:head_end].decode("latin-1").lower()
    fields = {}
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        fields.setdefault(k.strip(), v.strip())
    if "chunked" in fields.get("transfer-encoding", ""):
        pos = head_end
        while True:
            le = buf.find(b"\r\n", pos)
            if le < 0:
                return -1
            size = int(buf[pos:le].split(b";")[0].strip() or b"0", 16)
            pos = le + 2
            if size == 0:
                while True:  # trailer fields, then the final CRLF
                    le = buf.find(b"\r\n", pos)
                    if le < 0:
                        return -1
                    if le == pos:
                        return le + 2
                    pos = le + 2
            if len(buf) < pos + size + 2:
                return -1
            pos += size + 2
    n = int(fields.get("content-length", "0") or 0)
    return head_end + n if len(buf) >= head_end + n else -1


DEFAULT = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class RawBackend:
    PATH_ECHO = Reply(b"")  # script entry: answer 200 with the request target as the body

    def __init__(self, script=DEFAULT):
        self.script = list(script) if isinstance(script, list) else [script]
        self.conns: list[ConnRecord] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._served = 0
        self.replies_sent = 0   # replies whose bytes all went into the kernel (sendall returned)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((HOST, 0))
        self.port = self.lsock.getsockname()[1]

    def start(self) -> "RawBackend":
        self.lsock.listen(64)
        self.lsock.settimeout(0.2)
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for s in list(self._socks):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=2)
        self.lsock.close()

    # ---- observations ----------------------------------------------------------------------

    @property
    def total_conns(self) -> int:
        with self._lock:
            return len(self.conns)

    def received(self) -> bytes:
        with self._lock:
            return b"".join(bytes(c.received) for c in self.conns)

    def requests(self) -> list[bytes]:
        with self._lock:
            return [r for c in self.conns for r in c.requests]

    def wait_requests(self, n: int, timeout: float = 5.0) -> list[bytes]:
        with self._cond:
            ok = self._cond.wait_for(lambda: sum(len(c.requests) for c in self.conns) >= n, timeout)
        assert ok, f"backend saw {len(self.requests())} requests, expected {n}"
        return self.requests()

    def wait_sent(self, n: int, timeout: float = 10.0) -> None:
        with self._cond:
            ok = self._cond.wait_for(lambda: self.replies_sent >= n, timeout)
        assert ok, f"backend sent {self.replies_sent} replies, expected {n}"

    # ---- serving ---------------------------------------------------------------------------

    def _next_reply(self) -> Reply:
        with self._lock:
            entry = self.script[min(self._served, len(self.script) - 1)]
            self._served += 1
        return entry if isinstance(entry, Reply) else Reply(entry)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                s, _ = self.lsock.accept()
            except (socket.timeout, OSError):
                continue
            rec = ConnRecord()
            with self._cond:
                self.conns.append(rec)
                self._socks.append(s)
                self._cond.notify_all()
            t = threading.Thread(target=self._serve, args=(s, rec), daemon=True)
            t.start()
            self._threads.append(t)

    def _recv(self, s: socket.socket, rec: ConnRecord) -> bytes:
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        with self._cond:
            rec.received += data
            self._cond.notify_all()
        return data

    def _serve(self, s: socket.socket, rec: ConnRecord) -> None:
        buf = b""
        sent_interim = False
        try:
            while not self._stop.is_set():
                reply = self._peek_reply()
                end = request_end(buf, head_only=reply.on_head)
                if reply.interim and not sent_interim and request_end(buf, head_only=True) >= 0:
                    s.sendall(reply.interim)
                    sent_interim = True
                if end < 0:
                    data = self._recv(s, rec)
                    if not data:
                        return
                    buf += data
                    continue
                reply = self._next_reply()
                sent_interim = False
                with self._cond:
                    rec.requests.append(buf[:end])
                    self._cond.notify_all()
                buf = buf[end:]
                if reply.wait is not None:
                    reply.wait.wait(10)
                if reply is RawBackend.PATH_ECHO:
                    path = rec.requests[-1].split(b" ", 2)[1]
                    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(path), path))
                elif reply.data:
                    s.sendall(reply.data)
                with self._cond:
                    self.replies_sent += 1
                    self._cond.notify_all()
                if reply.tunnel:
                    if buf:
                        s.sendall(buf)
                    while (data := self._recv(s, rec)):
                        s.sendall(data)
                    return
                if reply.close:
                    return
        except OSError:
            pass
        finally:
            with self._cond:
                rec.closed = True
                self._cond.notify_all()
            s.close()

    def _peek_reply(self) -> Reply:
        with self._lock:
            entry = self.script[min(self._served, len(self.script) - 1)]
        return entry if isinstance(entry, Reply) else Reply(entry)
