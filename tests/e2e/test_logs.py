"""Access logs: targets (UDP syslog, stdout), haproxy's httplog layout, dontlognull,
log-separate-errors, captures.

Each test starts its own UDP listener on 127.0.0.1 and points a `log` line at it; lines are
read with a timeout (no sleeps). The field layout is checked against haproxy's own
example in its configuration manual (8.2.3)."""
from __future__ import annotations

import re
import socket
import time

import pytest

from harness import HOST, HttpConn, against_haproxy, http_get, wait_until

# haproxy's httplog, field by field (configuration manual 8.2.3).
HTTPLOG = re.compile(
    r"(?P<ci>[\d.]+):(?P<cp>\d+) \[(?P<tr>\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] "
    r"(?P<ft>\S+) (?P<b>\S+)/(?P<s>\S+) (?P<TR>-?\d+)/(?P<Tw>-?\d+)/(?P<Tc>-?\d+)/(?P<Tr>-?\d+)/"
    r"(?P<Ta>-?\d+) (?P<ST>-?\d+) (?P<B>\d+) (?P<CC>\S+) (?P<CS>\S+) (?P<tsc>\S{4}) "
    r"(?P<ac>\d+)/(?P<fc>\d+)/(?P<bc>\d+)/(?P<sc>\d+)/(?P<rc>\+?\d+) (?P<sq>\d+)/(?P<bq>\d+) "
    r"(?:(?P<hr>\{[^}]*\}) )?(?:(?P<hs>\{[^}]*\}) )?\"(?P<r>[^\"]*)\"$")

SYSLOG = re.compile(r"<(?P<pri>\d+)>(?P<date>\w{3} [ \d]\d \d\d:\d\d:\d\d) (?P<tag>[\w.-]+)\[(?P<pid>\d+)\]: (?P<msg>.*)")


class UdpSyslog:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.port = self.sock.getsockname()[1]
        self.lines: list[str] = []

    def close(self):
        self.sock.close()

    def read(self, timeout: float = 5.0) -> str:
        self.sock.settimeout(timeout)
        data, _ = self.sock.recvfrom(65535)
        line = data.decode(errors="replace")
        self.lines.append(line)
        return line

    def wait_for(self, needle: str, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        for line in self.lines:
            if needle in line:
                return line
        while time.monotonic() < deadline:
            try:
                line = self.read(max(0.05, deadline - time.monotonic()))
            except socket.timeout:
                break
            if needle in line:
                return line
        raise AssertionError(f"no log line containing {needle!r}; got {self.lines!r}")

    def drain(self, timeout: float = 0.3) -> list[str]:
        """Reads whatever else arrives within `timeout` (for 'nothing else was logged')."""
        try:
            while True:
                self.read(timeout)
        except socket.timeout:
            pass
        return self.lines


@pytest.fixture
def syslog():
    s = UdpSyslog()
    yield s
    s.close()


CFG = """
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:{port}
    log 127.0.0.1:{udp} local0
    option httplog
    {opts}
    default_backend app
backend app
    server s1 127.0.0.1:{app}
"""


def start(sluice, demo_app, syslog, opts="", app_port=None):
    app = demo_app("A") if app_port is None else None
    return sluice(CFG, udp=syslog.port, app=app_port or app.port, opts=opts)


def msg(line: str) -> str:
    m = SYSLOG.match(line)
    assert m, f"not an rfc3164 line: {line!r}"
    return m.group("msg")


def test_httplog_line_has_haproxys_field_layout(sluice, demo_app, syslog):
    lb = start(sluice, demo_app, syslog)
    assert http_get(lb.port, "/hello?x=1").status == 200
    line = syslog.wait_for("/hello")
    m = SYSLOG.match(line)
    assert m and m.group("pri") == "134", line           # local0.info
    f = HTTPLOG.match(m.group("msg"))
    assert f, f"httplog layout mismatch: {m.group('msg')!r}"
    assert f["ci"] == "127.0.0.1" and f["ft"] == "web" and f["b"] == "app" and f["s"] == "s1"
    assert f["ST"] == "200" and int(f["B"]) > 0 and f["tsc"] == "----"
    assert f["r"] == "GET /hello?x=1 HTTP/1.1"
    assert f["hr"] is None and f["hs"] is None           # no captures: no braces
    assert int(f["Ta"]) >= int(f["Tr"]) >= 0


def test_log_to_stdout_raw(sluice, demo_app):
    app = demo_app("A")
    lb = sluice("""
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:{port}
    log stdout format raw local0
    option httplog
    default_backend app
backend app
    server s1 127.0.0.1:{app}
""", app=app.port)
    assert http_get(lb.port, "/to-stdout").status == 200
    line = wait_until(lambda: next((l for l in lb.log().splitlines() if "/to-stdout" in l), None),
                      what="the access log line on stdout")
    assert HTTPLOG.match(line), line                       # raw: no syslog header at all


def test_tcp_probe_is_logged_without_dontlognull(sluice, demo_app, syslog):
    lb = start(sluice, demo_app, syslog)
    socket.create_connection((HOST, lb.port)).close()
    line = syslog.wait_for("<BADREQ>")
    assert " CR-- " in msg(line) or " cR-- " in msg(line), line


def test_dontlognull_hides_bare_connects(sluice, demo_app, syslog):
    lb = start(sluice, demo_app, syslog, opts="option dontlognull")
    for _ in range(3):
        socket.create_connection((HOST, lb.port)).close()
    assert http_get(lb.port, "/after-probes").status == 200
    syslog.wait_for("/after-probes")
    lines = syslog.drain()
    assert not [l for l in lines if "<BADREQ>" in l], lines


def test_log_separate_errors_raises_level(sluice, demo_app, syslog, ports):
    dead = ports.get()
    lb = start(sluice, demo_app, syslog, opts="option log-separate-errors", app_port=dead)
    assert http_get(lb.port, "/fails").status == 503
    line = syslog.wait_for("/fails")
    assert SYSLOG.match(line).group("pri") == "131", line  # local0.err
    assert HTTPLOG.match(msg(line))["ST"] == "503"


def test_errors_stay_info_without_the_option(sluice, demo_app, syslog, ports):
    lb = start(sluice, demo_app, syslog, app_port=ports.get())
    assert http_get(lb.port, "/fails").status == 503
    assert SYSLOG.match(syslog.wait_for("/fails")).group("pri") == "134"


def test_custom_log_format(sluice, demo_app, syslog):
    lb = start(sluice, demo_app, syslog,
               opts='log-format "%ci %HM %HU %ST %b/%s %{+Q}HV %rc %ts"')
    assert http_get(lb.port, "/custom").status == 200
    assert msg(syslog.wait_for("/custom")) == '127.0.0.1 GET /custom 200 app/s1 "HTTP/1.1" 0 --'


def test_monitor_uri_is_not_logged(sluice, demo_app, syslog):
    lb = start(sluice, demo_app, syslog, opts="monitor-uri /alive")
    assert http_get(lb.port, "/alive").status == 200
    assert http_get(lb.port, "/real").status == 200
    syslog.wait_for("/real")
    assert not [l for l in syslog.drain() if "/alive" in l]


def test_captures(sluice, demo_app, syslog):
    lb = start(sluice, demo_app, syslog,
               opts="capture request header Host len 20\n"
                    "    capture request header X-Foo len 5\n"
                    "    capture response header Content-Type len 30")
    with HttpConn(lb.port) as c:
        assert c.request("GET", "/cap", headers={"X-Foo": "abcdefghij"}, host="example.org").status == 200
    f = HTTPLOG.match(msg(syslog.wait_for("/cap")))
    assert f["hr"] == "{example.org|abcde}"
    assert f["hs"].startswith("{text/plain")


def test_log_global(sluice, demo_app, syslog):
    app = demo_app("A")
    lb = sluice("""
global
    log 127.0.0.1:{udp} local1 info
defaults
    mode http
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:{port}
    option httplog
    default_backend app
backend app
    server s1 127.0.0.1:{app}
""", udp=syslog.port, app=app.port)
    assert http_get(lb.port, "/global").status == 200
    assert SYSLOG.match(syslog.wait_for("/global")).group("pri") == "142"   # local1.info
