"""`http-request deny deny_status N`: every code the config accepts is answered with that
status and a page; a code HAProxy 2.6 has no default page for is refused at startup (before,
sluice accepted 451 and then closed the connection without a response)."""
from __future__ import annotations

import subprocess

import pytest

from harness import HttpConn

# The codes HAProxy 2.6 accepts for deny_status (measured: `haproxy -c` over 200..599).
ACCEPTED = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502,
            503, 504]

HEAD = """\
defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
"""


def config() -> str:
    acls = "".join(f"    acl p{c} path /{c}\n    http-request deny deny_status {c} if p{c}\n" for c in ACCEPTED)
    return HEAD + "frontend fe\n    bind 127.0.0.1:{web}\n" + acls + "    default_backend be\n" \
        "backend be\n    server s 127.0.0.1:{dead}\n"


def test_every_accepted_deny_status_is_answered(sluice):
    s = sluice(config(), dead=1)
    for code in ACCEPTED:
        with HttpConn(s.port) as c:
            r = c.request("GET", f"/{code}")
            assert r.status == code, code
            assert r.header("content-type") == "text/html"
            assert f"<h1>{code} ".encode() in r.body


@pytest.mark.parametrize("code", [451, 302, 418, 599])
def test_deny_status_without_a_page_is_refused(sluice_bin, tmp_path, code):
    cfg = tmp_path / "d.cfg"
    cfg.write_text(HEAD + f"frontend fe\n    bind 127.0.0.1:1\n    http-request deny deny_status {code}\n")
    out = subprocess.run([str(sluice_bin), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=20)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    if "haproxy" not in sluice_bin.name:
        assert f"{cfg}:8: 'http-request deny': status code '{code}' has no default error page" in text, text
