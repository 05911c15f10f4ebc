"""Regexes under hostile input (issue 12): ACL regexes run on PCRE2 with bounded matching.

std::regex recursed once per subject byte: one 12 KB header on `^(a|b)+$` overflowed the
stack and killed the process. Now a long subject on a linear pattern matches as it should,
and a catastrophic pattern stops on the match limit, counts as "no match" (as in HAProxy),
and is logged once for the regex, not once per request.
"""

from __future__ import annotations

import subprocess
import time

from harness import HttpConn, sluice_bin

CONFIG = """\
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{bind}
    acl bad hdr_reg(X-A) ^(a|b)+$
    acl evil hdr_reg(X-B) (a+)+$
    acl shout hdr_reg(X-C) -i ^LOUD$
    http-request deny if bad
    http-request deny deny_status 429 if shout
    http-request deny deny_status 410 if evil
    default_backend be

backend be
    server s1 127.0.0.1:{port}
"""

LIMIT_LOG = "regex '(a+)+$' stopped on a"


def start(sluice, raw_backend):
    be = raw_backend()
    return sluice(CONFIG, port=be.port)


def status(port: int, headers: dict) -> int:
    with HttpConn(port) as c:
        return c.request("GET", "/", headers=headers).status


def test_long_header_on_repeated_group_is_matched_not_fatal(sluice, raw_backend):
    lb = start(sluice, raw_backend)
    assert status(lb.port, {"X-A": "a" * 12288}) == 403          # 12 KB: matches, denied
    assert status(lb.port, {"X-A": "ab" * 7000 + "c"}) == 200    # 14 KB: no match, forwarded
    assert status(lb.port, {"X-A": "aab"}) == 403
    assert status(lb.port, {"X-C": "loud"}) == 429               # -i is PCRE2_CASELESS
    assert status(lb.port, {}) == 200
    assert lb.proc.poll() is None, "sluice died"


def test_catastrophic_pattern_is_bounded_and_logged_once(sluice, raw_backend):
    lb = start(sluice, raw_backend)
    assert status(lb.port, {"X-B": "aaaa"}) == 410               # the ACL works on sane input
    hostile = {"X-B": "a" * 12000 + "b"}                         # 2^12000 ways to fail
    for _ in range(5):
        t0 = time.monotonic()
        # The match limit ends the search: no match, so the deny rule does not fire.
        assert status(lb.port, hostile) == 200
        assert time.monotonic() - t0 < 2.0                       # ~ms with JIT
    # Runs of 17 a's stay under the per-position limit everywhere; the search budget ends it.
    crafted = {"X-B": ("a" * 17 + "b") * 660}
    t0 = time.monotonic()
    assert status(lb.port, crafted) == 200
    assert time.monotonic() - t0 < 2.0                           # was ~7 s of CPU
    assert lb.proc.poll() is None, "sluice died"
    assert status(lb.port, {"X-A": "b"}) == 403                  # still serving, still judging
    assert lb.log().count(LIMIT_LOG) == 1, lb.log()


def test_invalid_acl_regex_is_a_startup_error(tmp_path, ports):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(CONFIG.replace("^(a|b)+$", "^(a|b+$").format(bind=ports.get(), port=ports.get()))
    r = subprocess.run([str(sluice_bin()), "-f", str(cfg)], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    out = r.stdout + r.stderr
    # The line that uses the ACL, and where the ACL was declared.
    line = next(l for l in out.splitlines() if "invalid regex" in l)
    assert line.startswith(f"{cfg}:12: ") and f"{cfg}:9" in line, out
    assert "invalid regex '^(a|b+$': missing closing parenthesis at offset 7" in line, out
