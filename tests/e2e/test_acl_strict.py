"""ACL and value strictness (issue 12): every ACL form sluice accepts matches as HAProxy's
does, and every form it cannot evaluate is refused at -c and at startup, so a `deny` is never
bypassed by an ACL that silently never matches. Also %[...] in header values and log-format.

Everything here except test_unsupported_forms_are_refused (sluice's own messages for forms
HAProxy implements) also passes with SLUICE_BIN=/usr/sbin/haproxy."""
from __future__ import annotations

import subprocess

import pytest

from harness import against_haproxy, http_get, sluice_bin
from test_logs import msg, syslog  # noqa: F401  (fixture)

DEFAULTS = """
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
"""

# Each rule only looks at requests for its own path, so one instance checks them all.
DENIES = {
    "/val": "hdr_val(x-n) gt 10",
    "/int": "hdr(x-n) -m int gt 10",
    "/ip": "hdr(x-ip) -m ip 10.0.0.0/8 192.168.0.0/16",
    "/occ": "hdr(x-o,-1) evil",
    "/list": "hdr(x-l) evil",
    "/lower": "req.hdr(x-c),lower evil",
    "/ipv": "hdr_ip(x-forwarded-for) 10.0.0.0/8",
    "/cnt": "hdr_cnt(x-l) gt 1",
    "/q": "query -m sub debug=1",
}

CASES = [
    # (path, headers, denied)
    ("/val", {"X-N": "11"}, True), ("/val", {"X-N": "10"}, False), ("/val", {}, False),
    ("/int", {"X-N": "12abc"}, True), ("/int", {"X-N": "abc"}, False),
    ("/ip", {"X-IP": "10.1.2.3"}, True), ("/ip", {"X-IP": "192.168.9.9"}, True), ("/ip", {"X-IP": "11.0.0.1"}, False),
    ("/occ", {"X-O": "fine, evil"}, True), ("/occ", {"X-O": "evil, fine"}, False),
    ("/list", {"X-L": "fine, evil"}, True), ("/list", {"X-L": "fine,\"a,evil\""}, False),
    ("/lower", {"X-C": "EvIl"}, True), ("/lower", {"X-C": "good"}, False),
    ("/ipv", {"X-Forwarded-For": "1.1.1.1, 10.0.0.7"}, True), ("/ipv", {"X-Forwarded-For": "1.1.1.1"}, False),
    ("/cnt", {"X-L": "a, b"}, True), ("/cnt", {"X-L": "a"}, False),
    ("/q?a=1&debug=1", {}, True), ("/q?a=1", {}, False),
    ("/neg", {}, True), ("/neg", {"X-Need": "1"}, False),
]


def test_previously_bypassed_denies_now_deny(sluice, demo_app):
    app = demo_app("A")
    rules = "".join(f"    http-request deny if {{ path_beg {p} }} {{ {acl} }}\n" for p, acl in DENIES.items())
    lb = sluice(DEFAULTS + "frontend web\n    bind 127.0.0.1:{port}\n" + rules +
                "    http-request deny if { path_beg /neg } !{ hdr(x-need) -m found }\n"
                "    default_backend app\nbackend app\n    server s1 127.0.0.1:{app}\n", app=app.port)
    got = [(p, h, http_get(lb.port, p, headers=h).status) for p, h, _ in CASES]
    want = [(p, h, 403 if denied else 200) for p, h, denied in CASES]
    assert got == want


def test_strict_cidr_pattern_is_refused(tmp_path):
    # `10.0.0.0/l6` was read as /0 and matched every client; HAProxy refuses it too.
    cfg = tmp_path / "t.cfg"
    cfg.write_text(DEFAULTS + "frontend web\n    bind 127.0.0.1:1\n    acl lan src 10.0.0.0/l6\n"
                   "    http-request deny unless lan\n    default_backend app\nbackend app\n    server s 127.0.0.1:2\n")
    r = subprocess.run([str(sluice_bin()), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    text = r.stdout + r.stderr
    assert "10.0.0.0/l6" in text and "9" in text
    if not against_haproxy():
        assert f"'10.0.0.0/l6' is not a valid IPv4 or IPv6 network" in text and f"{cfg}:9" in text


UNSUPPORTED = [
    ("http-request deny if { ssl_fc }", "unknown fetch method 'ssl_fc' in 'ssl_fc' (not supported by sluice)"),
    ("http-request deny if { req.hdr(x),protobuf(1) abc }",
     "unknown converter 'protobuf' in 'req.hdr(x),protobuf(1)' (not supported by sluice)"),
    ("http-request deny if { sc0_conn_cur gt 1 }", "unknown fetch method 'sc0_conn_cur' in 'sc0_conn_cur' (not supported by sluice)"),
    ("http-request set-header X-A %[ssl_fc_sni]", "unknown fetch method 'ssl_fc_sni' in 'ssl_fc_sni' (not supported by sluice)"),
]


@pytest.mark.skipif(against_haproxy(), reason="HAProxy implements these; the messages are sluice's")
@pytest.mark.parametrize("line,message", UNSUPPORTED, ids=[str(i) for i in range(len(UNSUPPORTED))])
def test_unsupported_forms_are_refused(tmp_path, line, message):
    cfg = tmp_path / "t.cfg"
    cfg.write_text(DEFAULTS + "frontend web\n    bind 127.0.0.1:1\n    " + line +
                   "\n    default_backend app\nbackend app\n    server s 127.0.0.1:2\n")
    for args in (["-c", "-f", str(cfg)], ["-f", str(cfg)]):   # -c and a real start refuse alike
        r = subprocess.run([str(sluice_bin()), *args], capture_output=True, text=True, timeout=20)
        assert r.returncode != 0, args
        assert message in r.stderr, r.stderr
        assert f"{cfg}:9: " in r.stderr, r.stderr


def test_backend_rules_run_when_the_frontend_has_none(sluice, demo_app):
    app = demo_app("A")
    lb = sluice(DEFAULTS + "frontend web\n    bind 127.0.0.1:{port}\n    default_backend app\n"
                "backend app\n    http-request deny if { dst_port {port} }\n    server s1 127.0.0.1:{app}\n",
                app=app.port)
    assert http_get(lb.port, "/").status == 403


def test_header_values_evaluate_samples(sluice, demo_app):
    app = demo_app("A")
    lb = sluice(DEFAULTS + "frontend web\n    bind 127.0.0.1:{port}\n"
                "    http-request set-header X-Real-IP %[src]\n"
                "    http-request add-header X-Where \"%[dst]:%[dst_port] %[method] %[path] q=%[query]\"\n"
                "    http-request set-header X-Last %[hdr(x-list)]\n"
                "    http-request set-header X-Pct 100%%\n"
                "    default_backend app\nbackend app\n    server s1 127.0.0.1:{app}\n", app=app.port)
    r = http_get(lb.port, "/echo?k=v", headers={"X-List": "a, b"})
    assert r.status == 200
    head = {k.lower(): v for k, v in (l.split(": ", 1) for l in r.text.split("\r\n")[1:] if ": " in l)}
    assert head["x-real-ip"] == "127.0.0.1"
    assert head["x-where"] == f"127.0.0.1:{lb.port} GET /echo q=k=v"
    assert head["x-last"] == "b"
    assert head["x-pct"] == "100%"
    assert "%[" not in r.text


def test_del_header_match_methods(sluice, demo_app):
    app = demo_app("A")
    lb = sluice(DEFAULTS + "frontend web\n    bind 127.0.0.1:{port}\n"
                "    http-request del-header X-Sec -m beg\n    http-request del-header tmp -m end\n"
                "    http-request del-header mid -m sub\n    http-request del-header x-exact\n"
                "    default_backend app\nbackend app\n    server s1 127.0.0.1:{app}\n", app=app.port)
    sent = {"X-Secret": "1", "x-sec-2": "1", "A-Tmp": "1", "B-MID-C": "1", "X-Exact": "1", "X-Exactly": "1",
            "X-Keep": "1"}
    names = {l.split(":", 1)[0].lower() for l in http_get(lb.port, "/echo", headers=sent).text.split("\r\n")[1:] if ":" in l}
    assert names & {k.lower() for k in sent} == {"x-exactly", "x-keep"}


def test_log_format_prints_samples(sluice, demo_app, syslog):  # noqa: F811
    app = demo_app("A")
    lb = sluice(DEFAULTS + "frontend web\n    bind 127.0.0.1:{port}\n    log 127.0.0.1:{udp} local0\n"
                "    log-format \"src=%[src] dport=%[dst_port] %[method] %HP\"\n"
                "    default_backend app\nbackend app\n    server s1 127.0.0.1:{app}\n",
                app=app.port, udp=syslog.port)
    assert http_get(lb.port, "/logged?z=1").status == 200
    assert msg(syslog.wait_for("/logged")) == f"src=127.0.0.1 dport={lb.port} GET /logged"


def test_log_format_refuses_header_fetches_like_haproxy(tmp_path):
    cfg = tmp_path / "t.cfg"
    cfg.write_text(DEFAULTS + "frontend web\n    bind 127.0.0.1:1\n    log 127.0.0.1:514 local0\n"
                   "    log-format \"%[path]\"\n    default_backend app\nbackend app\n    server s 127.0.0.1:2\n")
    r = subprocess.run([str(sluice_bin()), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and "path" in r.stderr
