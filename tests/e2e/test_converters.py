"""Sample converters end to end: a frontend rewrites request headers with `%[fetch,conv...]`
and a scripted backend shows what arrived. The expected values are HAProxy 2.6's; the
module also passes with SLUICE_BIN=/usr/sbin/haproxy, except the check of sluice's own
load error message."""
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

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

# header -> (format, expected value); the request below carries Host, X-In, X-Enc, X-N, X-Q.
REWRITES = {
    "x-lower": ("%[req.hdr(host),lower]", "www.example.org"),
    "x-upper": ("%[req.hdr(host),upper]", "WWW.EXAMPLE.ORG"),
    "x-field": ("%[path,field(4,/)]", "b"),
    "x-word": ("%[path,word(-1,/)]", "c.png"),
    "x-regsub": ("%[path,regsub('/+','/','g')]", "/a/b/c.png"),
    "x-group": ("%[req.hdr(x-in),regsub('^(\\w+)-(\\w+)','\\2-\\1')]", "world-hello"),
    "x-crc32": ("%[str(abc),crc32]", "891568578"),
    "x-djb2": ("%[str(abc),djb2(1)]", "2235766107"),
    "x-xxh64": ("%[str(abc),xxh64]", "4952883123889572249"),
    "x-base64": ("%[req.hdr(x-in),base64]", "aGVsbG8td29ybGQ="),
    "x-hex": ("%[req.hdr(x-in),bytes(0,5),hex]", "68656C6C6F"),
    "x-urldec": ("%[req.hdr(x-enc),url_dec]", "a b/c"),
    "x-arith": ("%[req.hdr(x-n),add(5),mul(2),sub(1)]", "89"),
    "x-div0": ("%[req.hdr(x-n),div(0)]", "9223372036854775807"),
    "x-date": ("%[int(1700000000),http_date]", "Tue, 14 Nov 2023 22:13:20 GMT"),
    "x-utime": ("%[int(1700000000),utime(%Y-%m-%d)]", "2023-11-14"),
    "x-mask": ("%[src,ipmask(24)]", "127.0.0.0"),
    "x-json": ("%[req.hdr(x-q),json]", 'say \\"hi\\" \\/ bye'),
    "x-len": ("%[req.hdr(host),length]", "15"),
}


def forwarded_headers(raw: bytes) -> dict[str, list[str]]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    out: dict[str, list[str]] = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        out.setdefault(name.lower(), []).append(value.strip())
    return out


def frontend(lines: list[str]) -> str:
    body = "".join(f"    {l}\n" for l in lines)
    return (DEFAULTS + "frontend web\n    mode http\n    bind 127.0.0.1:{port}\n" + body +
            "    default_backend app\nbackend app\n    mode http\n    server s1 127.0.0.1:{app}\n")


def test_converters_rewrite_headers(sluice, raw_backend):
    be = raw_backend(OK)
    lines = [f'http-request set-header {name} "{fmt}"' for name, (fmt, _) in REWRITES.items()]
    lb = sluice(frontend(lines), app=be.port)
    r = http_get(lb.port, "/a//b///c.png", headers={"Host": "WWW.Example.ORG", "X-In": "hello-world",
                                                    "X-Enc": "a%20b%2Fc", "X-N": "40", "X-Q": 'say "hi" / bye'})
    assert r.status == 200
    hs = forwarded_headers(be.requests()[0])
    got = {name: hs.get(name) for name in REWRITES}
    assert got == {name: [want] for name, (_, want) in REWRITES.items()}


def test_variables_set_by_converters(sluice, raw_backend):
    be = raw_backend(OK)
    lb = sluice(frontend([
        'http-request set-header X-A "%[req.hdr(host),lower,set-var(txn.h)]"',
        'http-request set-header X-B "%[var(txn.h),concat(<,txn.h,>)]"',
        # ifnotexists: txn.h exists, so nothing is stored and the header gets no value.
        'http-request set-header X-C "%[str(other),set-var(txn.h,ifnotexists)]"',
        'http-request set-header X-D "%[var(txn.h),unset-var(txn.h),length]"',
        'http-request set-header X-E "%[var(txn.h)]"',
        'http-request set-header X-F "%[int(9),set-var(txn.n)]"',
        'http-request set-header X-G "%[int(3),add(txn.n),strcmp(txn.n)]"',
    ]), app=be.port)
    assert http_get(lb.port, "/", headers={"Host": "Example.COM"}).status == 200
    hs = forwarded_headers(be.requests()[0])
    assert hs["x-a"] == ["example.com"]
    assert hs["x-b"] == ["example.com<example.com>"]
    assert hs["x-c"] == [""]
    assert hs["x-d"] == ["11"]
    assert hs["x-e"] == [""]
    assert hs["x-f"] == ["9"]
    assert hs["x-g"] == ["-8"]   # strcmp("12", "9"): '1' - '9'


@pytest.mark.skipif(against_haproxy(), reason="sluice's own message")
def test_bad_converter_arguments_refuse_to_start(tmp_path):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(DEFAULTS + "frontend web\n    mode http\n    bind 127.0.0.1:0\n"
                   "    http-request set-header X %[path,field(0,/)]\n"
                   "    default_backend app\nbackend app\n    mode http\n    server s1 127.0.0.1:1\n")
    out = subprocess.run([str(sluice_bin()), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=20)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert f"{cfg}:9" in text and "converter 'field'" in text and "index 0 is invalid" in text, text


def test_converters_in_acls(sluice, raw_backend):
    be = raw_backend(OK)
    lb = sluice(frontend([
        "acl local src,ipmask(8) 127.0.0.0",
        "http-request deny deny_status 404 if { req.hdr(host),lower,word(1,.) -m str blocked }",
        "http-request deny deny_status 429 if { req.hdr(x-n),mul(3),sub(10) gt 20 }",
        "http-request deny deny_status 403 unless local",
    ]), app=be.port)
    assert http_get(lb.port, "/", headers={"Host": "BLOCKED.example.org"}).status == 404
    assert http_get(lb.port, "/", headers={"Host": "ok.example.org", "X-N": "11"}).status == 429
    assert http_get(lb.port, "/", headers={"Host": "ok.example.org", "X-N": "10"}).status == 200
