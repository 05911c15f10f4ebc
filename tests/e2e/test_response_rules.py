"""http-response and http-after-response rules run on the live response, in configuration
order, the backend's before the frontend's (issue 13); what response rules cannot see (the
request's head) is a configuration error, as in HAProxy.

Everything here also passes with SLUICE_BIN=/usr/sbin/haproxy except where a test says so."""
from __future__ import annotations

import subprocess

import pytest

from harness import against_haproxy, http_get, sluice_bin

DEFAULTS = """
defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
"""

OK = (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nServer: app/1.0\r\n"
      b"X-Internal: secret\r\nX-Trace-A: 1\r\nX-Trace-B: 2\r\n\r\nok")
ERR = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nX-Leak: stack\r\n\r\noops"


def proxy(sluice, app_port: int, fe_rules: str, be_rules: str = "", extra: str = ""):
    return sluice(DEFAULTS + "frontend web\n    mode http\n    bind 127.0.0.1:{port}\n" + fe_rules +
                  "    default_backend app\nbackend app\n    mode http\n" + be_rules +
                  "    server s1 127.0.0.1:{app}\n" + extra, app=app_port)


def test_response_headers_are_edited_in_rule_order(sluice, raw_backend):
    be = raw_backend(OK)
    lb = proxy(sluice, be.port,
               "    http-response del-header Server\n"
               "    http-response set-header X-Seen %[res.hdr(x-internal)]\n"
               "    http-response del-header X-Internal\n"
               "    http-response set-header X-A a\n    http-response del-header X-A\n"
               "    http-response del-header X-Trace -m beg\n"
               "    http-response set-header X-Type %[hdr(content-type)]\n"
               "    http-response set-header X-Method %[method]\n"
               "    http-response add-header X-Order frontend\n",
               be_rules="    http-response add-header X-Order backend\n")
    r = http_get(lb.port, "/")
    assert r.status == 200 and r.body == b"ok"
    assert r.header("server") is None
    assert r.header("x-internal") is None
    assert r.header("x-seen") == "secret"           # computed before the header went
    assert r.header("x-a") is None                   # set then del: nothing
    assert r.header("x-trace-a") is None and r.header("x-trace-b") is None
    assert r.header("x-type") == "text/plain"        # hdr() reads the response here
    assert r.header("x-method") == "GET"             # the method outlives the request head
    assert r.header_all("x-order") == ["backend", "frontend"]


def test_response_deny_and_set_status(sluice, raw_backend):
    ok, err = raw_backend(OK), raw_backend(ERR)
    plain_err = raw_backend(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops")
    lb = sluice(DEFAULTS + "frontend web\n    mode http\n    bind 127.0.0.1:{port}\n"
                "    use_backend err if { path_beg /err }\n    use_backend err2 if { path_beg /plain }\n"
                "    default_backend app\n"
                "backend app\n    mode http\n"
                "    http-response set-status 203 reason Rewritten if { res.hdr(server) -m beg app/ }\n"
                "    server s1 127.0.0.1:{ok}\n"
                "backend err\n    mode http\n"
                "    http-response deny deny_status 503 if { res.hdr(x-leak) -m found } { status 500 }\n"
                "    server s1 127.0.0.1:{err}\n"
                "backend err2\n    mode http\n"
                "    http-response deny if { status 500 }\n"
                "    server s1 127.0.0.1:{plain}\n", ok=ok.port, err=err.port, plain=plain_err.port)
    r = http_get(lb.port, "/")
    assert (r.status, r.reason, r.body) == (203, "Rewritten", b"ok")
    r = http_get(lb.port, "/err")
    assert r.status == 503
    assert r.header("x-leak") is None and b"oops" not in r.body
    r = http_get(lb.port, "/plain")
    assert r.status == 502 and b"oops" not in r.body   # http-response deny: 502 by default


def test_after_response_rules_see_the_proxys_own_answers(sluice, raw_backend):
    be = raw_backend(OK)
    lb = proxy(sluice, be.port,
               "    http-request deny if { path /forbidden }\n"
               "    use_backend nobody if { path /down }\n"
               "    http-response set-header X-Resp 1\n"
               "    http-after-response set-header Strict-Transport-Security max-age=60\n"
               "    http-after-response set-header X-Status %[status]\n",
               extra="backend nobody\n    mode http\n")
    r = http_get(lb.port, "/")
    assert r.status == 200 and r.header("strict-transport-security") == "max-age=60"
    assert r.header("x-status") == "200" and r.header("x-resp") == "1"
    r = http_get(lb.port, "/forbidden")
    assert r.status == 403 and r.header("strict-transport-security") == "max-age=60"
    assert r.header("x-status") == "403" and r.header("x-resp") is None
    r = http_get(lb.port, "/down")
    assert r.status == 503 and r.header("x-status") == "503"


def check_refused(tmp_path, rule: str) -> subprocess.CompletedProcess:
    cfg = tmp_path / "x.cfg"
    cfg.write_text(DEFAULTS + "frontend web\n    mode http\n    bind 127.0.0.1:65000\n" + rule + "\n"
                   "    default_backend app\nbackend app\n    mode http\n    server s1 127.0.0.1:1\n")
    return subprocess.run([str(sluice_bin()), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=20)


def test_request_head_is_not_available_to_response_rules(tmp_path):
    # HAProxy: "needs 'HTTP request headers' which is not available here". An ACL that could
    # never match is refused too: HAProxy only warns, and the rule would silently never act.
    for rule in ("    http-response set-header X %[req.hdr(host)]",
                 "    http-after-response set-header X %[path]",
                 "    http-response deny if { url_param(debug) -m found }"):
        r = check_refused(tmp_path, rule)
        if against_haproxy() and "deny if" in rule:
            assert r.returncode == 0 and "never match" in r.stderr, r.stderr
            continue
        assert r.returncode != 0, rule
        assert "x.cfg:9" in r.stderr, r.stderr
        if not against_haproxy():
            assert "not available in http-" in r.stderr, r.stderr


def test_set_status_refuses_bodyless_codes(tmp_path):
    if against_haproxy():
        pytest.skip("sluice only: HAProxy accepts them")
    r = check_refused(tmp_path, "    http-response set-status 304")
    assert r.returncode != 0 and "x.cfg:9" in r.stderr and "changes how the response is framed" in r.stderr
