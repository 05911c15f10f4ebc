"""The demo backend itself: the other e2e tests trust what it reports."""

from __future__ import annotations

import os
import signal

from harness import (HttpConn, build_request, bytes_pattern, chunked, curl, fnv1a, http_get,
                     http_request, port_accepts, wait_until)


def test_ready_line_and_served_by(demo_app):
    app = demo_app("alpha")
    assert app.port > 0
    resp = http_get(app.port, "/")
    assert resp.status == 200
    assert resp.served_by == "alpha"
    assert resp.text.startswith("server=alpha session=")


def test_session_created_then_known(demo_app):
    app = demo_app("A")
    first = http_get(app.port, "/")
    assert first.header("X-Session-New") == "1"
    assert first.header("X-Session-Visits") == "1"
    sid = first.cookies()["PHPSESSID"]
    assert first.header("Set-Cookie") == f"PHPSESSID={sid}; path=/"
    second = http_get(app.port, "/", {"Cookie": f"other=1; PHPSESSID={sid}"})
    assert second.header("X-Session-New") == "0"
    assert second.header("X-Session-Visits") == "2"
    assert second.header("Set-Cookie") is None
    assert f"session={sid} visits=2" in second.text


def test_unknown_session_gets_a_new_one(demo_app):
    # A session id from another server is unknown here, as with PHP file sessions.
    a, b = demo_app("A"), demo_app("B")
    sid = http_get(a.port, "/").cookies()["PHPSESSID"]
    resp = http_get(b.port, "/", {"Cookie": f"PHPSESSID={sid}"})
    assert resp.header("X-Session-New") == "1"
    assert resp.cookies()["PHPSESSID"] != sid
    assert b.stats()["sessions"] == 1


def test_custom_session_cookie(demo_app):
    app = demo_app("T", session_cookie="JSESSIONID")
    resp = http_get(app.port, "/anything/unknown")
    assert "JSESSIONID" in resp.cookies()


def test_curl_cookie_jar_keeps_session(demo_app, tmp_path):
    app = demo_app("A")
    jar = str(tmp_path / "jar")
    url = f"http://127.0.0.1:{app.port}/"
    curl("-c", jar, "-b", jar, url)
    out = curl("-c", jar, "-b", jar, url).stdout
    assert "visits=2" in out


def test_echo_returns_exact_request_head(demo_app):
    app = demo_app("A")
    raw = build_request("GET", "/echo?x=1", [("X-Forwarded-For", "10.1.2.3"), ("Cookie", "JSESSIONID=123")])
    with HttpConn(app.port) as c:
        c.send(raw)
        resp = c.read_response()
    assert resp.body == raw
    assert resp.header("Content-Type").startswith("text/plain")


def test_health_switching(demo_app):
    app = demo_app("A")
    for path in ("/running", "/health"):
        assert http_get(app.port, path).status == 200
        assert http_request(app.port, "HEAD", path).status == 200
    for code in (404, 500, 200):
        app.set_health(code)
        assert http_get(app.port, "/health").status == code
        assert http_request(app.port, "HEAD", "/running").status == code
    assert http_get(app.port, "/_demo/health?status=42").status == 400


def test_running_file_removed_answers_404(demo_app):
    app = demo_app("A")
    app.set_running(False)
    assert http_request(app.port, "HEAD", "/running", version="HTTP/1.0").status == 404
    assert http_get(app.port, "/health").status == 200  # only the file is gone
    assert http_get(app.port, "/").status == 200  # and the site still serves
    app.set_running(True)
    assert http_get(app.port, "/running").status == 200


def test_check_port_off_and_on(demo_app):
    app = demo_app("A", check_port=0)
    assert app.check_port and app.check_port != app.port
    resp = http_get(app.check_port, "/")
    assert resp.served_by == "A"  # same handler as the main port (the iptables redirect)
    app.set_check_port(False)
    assert not port_accepts(app.check_port)
    assert http_get(app.port, "/").status == 200  # the real port keeps serving
    app.set_check_port(True)
    wait_until(lambda: port_accepts(app.check_port), 5, "check port to reopen")
    assert http_get(app.check_port, "/health").status == 200


def test_check_port_control_without_check_port(demo_app):
    app = demo_app("A")
    assert http_get(app.port, "/_demo/check-port?on=0").status == 400


def test_keep_alive_and_pipelining(demo_app):
    app = demo_app("A")
    with HttpConn(app.port) as c:
        for i in range(5):
            resp = c.request("GET", f"/status?code={200 + i}")
            assert resp.status == 200 + i
        c.send(build_request("GET", "/status?code=201") + build_request("HEAD", "/")
               + build_request("GET", "/status?code=202"))
        assert c.read_response().status == 201
        head = c.read_response("HEAD")
        assert head.status == 200 and int(head.header("Content-Length")) > 0 and head.body == b""
        assert c.read_response().status == 202
        assert not c.peer_closed(0.2)
    assert app.stats()["requests"] == 8


def test_http10_closes_unless_keep_alive(demo_app):
    app = demo_app("A")
    with HttpConn(app.port) as c:
        resp = c.request("GET", "/", version="HTTP/1.0", host=None)
        assert resp.status == 200 and resp.header("Connection") == "close"
        assert c.peer_closed()
    with HttpConn(app.port) as c:
        resp = c.request("GET", "/", {"Connection": "keep-alive"}, version="HTTP/1.0")
        assert resp.header("Connection") == "keep-alive"
        assert c.request("GET", "/", {"Connection": "keep-alive"}, version="HTTP/1.0").status == 200


def test_close_endpoint(demo_app):
    app = demo_app("A")
    with HttpConn(app.port) as c:
        resp = c.request("GET", "/close")
        assert resp.header("Connection") == "close"
        assert c.peer_closed()


def test_request_bodies_content_length_and_chunked(demo_app):
    app = demo_app("A")
    body = os.urandom(200_000)
    with HttpConn(app.port) as c:
        resp = c.request("POST", "/upload", body=body)
        assert resp.header("X-Request-Body-Length") == str(len(body))
        assert resp.header("X-Request-Body-Fnv1a") == fnv1a(body)
        c.send(build_request("POST", "/upload", {"Transfer-Encoding": "chunked"}) + chunked(body, 7777))
        resp = c.read_response()
        assert resp.header("X-Request-Body-Length") == str(len(body))
        assert resp.header("X-Request-Body-Fnv1a") == fnv1a(body)
        assert c.request("GET", "/").status == 200  # the connection survived both


def test_bytes_content_length_and_chunked(demo_app):
    app = demo_app("A")
    resp = http_get(app.port, "/bytes?n=100000")
    assert resp.header("Content-Length") == "100000" and resp.body == bytes_pattern(100000)
    resp = http_get(app.port, "/bytes?n=100000&chunked=1")
    assert resp.header("Transfer-Encoding") == "chunked" and resp.body == bytes_pattern(100000)
    resp = http_get(app.port, "/bytes?n=5000&chunked=1", version="HTTP/1.0")
    assert resp.header("Transfer-Encoding") is None and resp.body == bytes_pattern(5000)


def test_setcookie_and_status_and_slow(demo_app):
    app = demo_app("A")
    resp = http_get(app.port, "/setcookie?name=JSESSIONID&value=123")
    assert resp.header("Set-Cookie") == "JSESSIONID=123; path=/"
    assert http_get(app.port, "/status?code=503").status == 503
    assert http_get(app.port, "/slow?ms=50").status == 200


def test_garbage_gets_400_and_server_survives(demo_app):
    app = demo_app("A")
    for junk in (b"garbage\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x00\x01\x02\r\n\r\n",
                 b"GET / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                 b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
        with HttpConn(app.port) as c:
            c.send(junk)
            assert c.read_response().status == 400
    with HttpConn(app.port) as c:
        c.send(b"GET / HTTP/1.1\r\n" + b"X: " + b"a" * 70000 + b"\r\n\r\n")
        assert c.read_response().status == 431
    with HttpConn(app.port) as c:
        c.send(b"half a request")  # then hang up
    assert http_get(app.port, "/").status == 200


def test_stats_counts(demo_app):
    app = demo_app("A")
    http_get(app.port, "/")
    http_get(app.port, "/health")
    with HttpConn(app.port) as idle:
        idle.request("GET", "/x")
        st = wait_until(lambda: (s := app.stats())["active_connections"] == 1 and s, 5, "one idle connection")
    assert st["name"] == "A" and st["requests"] == 3 and st["sessions"] == 2 and st["health_requests"] == 1
    wait_until(lambda: app.stats()["active_connections"] == 0, 5, "idle connection to go away")


def test_sigterm_exits_cleanly(demo_app):
    app = demo_app("A")
    with HttpConn(app.port) as c:  # an open keep-alive connection must not block the exit
        c.request("GET", "/")
        app.proc.send_signal(signal.SIGTERM)
        assert app.proc.wait(timeout=5) == 0
