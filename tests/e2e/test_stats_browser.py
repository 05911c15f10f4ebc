"""The stats page in a real headless Chromium, driven over the DevTools protocol with a
stdlib-only WebSocket client: load the page, read a value, click a server's drain button,
and see the state change on the page and through the runtime API.

Skipped (not failed) when Debian's `chromium` is not installed (scripts/setup installs it).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import pytest

from harness import HOST, against_haproxy, stop_process, wait_until

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; "
                                                "scripts/setup does it)"),
    pytest.mark.skipif(against_haproxy(), reason="drives sluice's own page markup"),
]

CFG = """
global
    stats socket {dir}/admin.sock level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen web
    bind 127.0.0.1:{port}
    stats enable
    stats uri /stats
    stats admin if TRUE
    server s1 127.0.0.1:{a}
    server s2 127.0.0.1:{b}
"""


class WebSocket:
    """Just enough RFC 6455 for DevTools: client text frames (masked), server frames read
    whole (fragmented messages and control frames handled)."""

    def __init__(self, url: str, timeout: float = 20.0):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head

    def close(self):
        self.sock.close()

    def _recv_exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("websocket closed")
            buf += chunk
        return buf

    def send(self, text: str):
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv(self) -> str:
        message = b""
        while True:
            b0, b1 = self._recv_exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._recv_exact(8))[0]
            data = self._recv_exact(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise ConnectionError("websocket closed by peer")
            if opcode in (0x9, 0xA):   # ping / pong: ignore
                continue
            message += data
            if b0 & 0x80:
                return message.decode()


class DevTools:
    def __init__(self, ws: WebSocket):
        self.ws = ws
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method: str) -> dict:
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(json.loads(self.ws.recv()))

    def eval(self, expr: str):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        return r.get("result", {}).get("value")

    def navigate(self, url: str):
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")


@pytest.fixture
def browser():
    profile = tempfile.mkdtemp(prefix="chromium-")
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
         "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    port_file = Path(profile) / "DevToolsActivePort"
    ws = None
    try:
        port = wait_until(lambda: port_file.exists() and port_file.read_text().split("\n")[0].strip(),
                          timeout=30, what="chromium's DevToolsActivePort")
        targets = wait_until(lambda: [t for t in json.load(urllib.request.urlopen(
            f"http://127.0.0.1:{port}/json/list", timeout=5)) if t.get("type") == "page"],
            timeout=15, what="a chromium page target")
        ws = WebSocket(targets[0]["webSocketDebuggerUrl"])
        dt = DevTools(ws)
        dt.call("Page.enable")
        yield dt
    finally:
        if ws:
            ws.close()
        stop_process(proc)
        shutil.rmtree(profile, ignore_errors=True)


def server_cell(col: str, server: str) -> str:
    return (f"(document.querySelector('tr[data-proxy=\"web\"][data-server=\"{server}\"] "
            f"td[data-col=\"{col}\"]') || {{}}).innerText")


def test_drain_from_the_page(sluice, farm, browser):
    a, b = farm(2)
    lb = sluice(CFG, a=a.port, b=b.port)
    url = f"http://{HOST}:{lb.port}/stats"
    browser.navigate(url)
    assert browser.eval("document.title").startswith("Statistics Report")
    # Read a value: both servers are shown, without checks ("no check"), weight 1.
    assert browser.eval(server_cell("status", "s2")) == "no check"
    assert browser.eval(server_cell("weight", "s2")) == "1"
    assert browser.eval("document.querySelectorAll('tr.srv').length") == 2
    # Click s2's drain button: the form POSTs, the 303 brings the page back.
    browser.events.clear()
    browser.eval("document.querySelector('tr[data-server=\"s2\"] button[value=\"drain\"]').click()")
    browser.wait_event("Page.loadEventFired")
    assert browser.eval("location.href").endswith("/stats;st=DONE")
    assert browser.eval("document.getElementById('action-status').dataset.status") == "DONE"
    assert browser.eval(server_cell("status", "s2")) == "DRAIN"
    assert browser.eval(server_cell("status", "s1")) == "no check"
    # The runtime API agrees: admin state 8 is haproxy's forced drain.
    line = next(l for l in lb.cli("show servers state web").splitlines() if " s2 " in l)
    assert line.split()[6] == "8", line
    # And back to ready.
    browser.events.clear()
    browser.eval("document.querySelector('tr[data-server=\"s2\"] button[value=\"ready\"]').click()")
    browser.wait_event("Page.loadEventFired")
    assert browser.eval(server_cell("status", "s2")) == "no check"
