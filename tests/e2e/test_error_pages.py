"""Custom error answers: `http-errors` sections, `errorfile`, `errorfiles`, `errorloc`,
`errorloc302`, `errorloc303` and `http-error status` (HAProxy manual 3.8 and 4.2).

Runs against sluice and, unchanged, against /usr/sbin/haproxy (SLUICE_BIN): the statuses,
header values and bodies asserted here are HAProxy 2.6's (header names are compared without
case, since HAProxy sends them in lower case)."""
from __future__ import annotations

import subprocess

import pytest

from harness import HttpConn, against_haproxy

HEAD = """\
defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
"""


def page(tmp_path, name: str, status: int, tag: str, eol: str = "\r\n") -> str:
    path = tmp_path / f"{name}.http"
    path.write_bytes(f"HTTP/1.0 {status} Custom{eol}Content-Type: text/plain{eol}X-Err: {tag}{eol}"
                     f"Content-Length: {len(tag)}{eol}{eol}{tag}".encode())
    return str(path)


def get(port: int, path: str):
    with HttpConn(port) as c:
        return c.request("GET", path)


DENIES = "".join(f"    http-request deny deny_status {c} if {{ path /{c} }}\n" for c in (400, 403, 404, 500))


def test_errorfiles_precedence(sluice, tmp_path):
    """The last line naming a code wins; `defaults` lines come first; `errorfiles NAME CODE`
    imports only that code (the scenario of HAProxy's reg-test http-errorfiles/http_errors)."""
    cfg = (f"http-errors e1\n    errorfile 400 {page(tmp_path, 'e1-400', 400, 'e1')}\n"
           f"    errorfile 403 {page(tmp_path, 'e1-403', 403, 'e1')}\n"
           f"    errorfile 500 {page(tmp_path, 'e1-500', 500, 'e1')}\n"
           f"http-errors e2\n    errorfile 403 {page(tmp_path, 'e2-403', 403, 'e2')}\n"
           f"    errorfile 404 {page(tmp_path, 'e2-404', 404, 'e2')}\n"
           + HEAD + f"    errorfiles e2\n    errorfile 400 {page(tmp_path, 'd-400', 400, 'default')}\n"
           "frontend fe1\n    bind 127.0.0.1:{fe1}\n" + DENIES +
           "frontend fe2\n    bind 127.0.0.1:{fe2}\n    errorfiles e1\n"
           f"    errorfile 500 {page(tmp_path, 'f-500', 500, 'fe2')}\n" + DENIES +
           "frontend fe3\n    bind 127.0.0.1:{fe3}\n    errorfiles e1 500\n    errorfiles e2 404\n" + DENIES)
    s = sluice(cfg)
    want = {
        "fe1": {400: "default", 403: "e2", 404: "e2", 500: None},
        "fe2": {400: "e1", 403: "e1", 404: "e2", 500: "fe2"},
        "fe3": {400: "default", 403: "e2", 404: "e2", 500: "e1"},
    }
    for fe, codes in want.items():
        for code, tag in codes.items():
            r = get(s[fe], f"/{code}")
            assert r.status == code, (fe, code)
            assert r.header("x-err") == tag, (fe, code, r.raw_head)
            if tag is not None:
                assert r.body == tag.encode()


def test_errorloc_redirects(sluice):
    s = sluice(HEAD + "frontend fe\n    bind 127.0.0.1:{web}\n    errorloc 403 http://errors.example/403\n"
               "    errorloc302 404 /missing\n    errorloc303 500 /oops\n" + DENIES)
    for path, status, location in (("/403", 302, "http://errors.example/403"), ("/404", 302, "/missing"),
                                   ("/500", 303, "/oops")):
        r = get(s.port, path)
        assert r.status == status, path
        assert r.header("location") == location
        assert r.header("cache-control") == "no-cache"
        assert r.header("content-length") == "0"
    assert get(s.port, "/400").status == 400   # untouched codes keep the built-in page


def test_http_error_status_forms(sluice, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text("from a file\n")
    s = sluice(HEAD + "frontend fe\n    bind 127.0.0.1:{web}\n"
               "    http-error status 403 content-type text/plain string denied hdr X-A one hdr X-B two\n"
               f"    http-error status 404 content-type text/plain file {body}\n"
               "    http-error status 400\n"
               f"    http-error status 500 errorfile {page(tmp_path, 'p500', 500, 'ef')}\n" + DENIES)
    r = get(s.port, "/403")
    assert (r.status, r.body, r.header("content-type")) == (403, b"denied", "text/plain")
    assert (r.header("x-a"), r.header("x-b")) == ("one", "two")
    r = get(s.port, "/404")
    assert (r.status, r.body) == (404, b"from a file\n")
    r = get(s.port, "/400")
    assert (r.status, r.header("content-length"), r.body) == (400, "0", b"")
    r = get(s.port, "/500")
    assert (r.status, r.header("x-err"), r.body) == (500, "ef", b"ef")


def test_default_errorfiles_forgets_the_inherited_page(sluice, tmp_path):
    s = sluice(HEAD + f"    errorfile 403 {page(tmp_path, 'd403', 403, 'default')}\n"
               "frontend fe\n    bind 127.0.0.1:{web}\n    http-error status 403 default-errorfiles\n" + DENIES)
    r = get(s.port, "/403")
    assert r.status == 403
    assert r.header("x-err") is None
    assert r.header("content-type") == "text/html"


def test_backend_page_before_frontend_page(sluice, tmp_path):
    """An error once a backend is chosen uses the backend's page, as HAProxy does."""
    s = sluice(HEAD + "frontend fe\n    bind 127.0.0.1:{web}\n"
               f"    errorfile 503 {page(tmp_path, 'fe503', 503, 'frontend')}\n"
               "    use_backend withpage if { path /with }\n    default_backend plain\n"
               f"backend withpage\n    errorfile 503 {page(tmp_path, 'be503', 503, 'backend')}\n"
               "backend plain\n")
    r = get(s.port, "/with")
    assert (r.status, r.header("x-err")) == (503, "backend")
    r = get(s.port, "/other")
    assert (r.status, r.header("x-err")) == (503, "frontend")


def test_bare_lf_errorfile_and_empty_errorfile(sluice, tmp_path):
    empty = tmp_path / "empty.http"
    empty.write_bytes(b"")
    s = sluice(HEAD + "frontend fe\n    bind 127.0.0.1:{web}\n"
               f"    errorfile 403 {page(tmp_path, 'lf403', 403, 'lf', eol=chr(10))}\n"
               f"    errorfile 404 {empty}\n" + DENIES)
    with HttpConn(s.port) as c:
        r = c.request("GET", "/403")
        assert (r.status, r.header("x-err"), r.body) == (403, "lf", b"lf")
        assert b"\r\n\r\n" in r.raw_head   # the head went out with CRLF line ends
    with HttpConn(s.port) as c:
        c.send(b"GET /404 HTTP/1.1\r\nHost: test\r\n\r\n")
        assert c.peer_closed(5.0)
        assert c.buf == b""
        assert c.sock.recv(1) == b""   # closed without a byte of answer


def check(sluice_bin, tmp_path, text: str) -> subprocess.CompletedProcess:
    cfg = tmp_path / "c.cfg"
    cfg.write_text(text)
    return subprocess.run([str(sluice_bin), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=20)


FE = "frontend fe\n    bind 127.0.0.1:1\n"


@pytest.mark.parametrize("lines,needle", [
    ("    errorfile 999 {ok}\n", "status code '999' not handled"),
    ("    errorfile 503 {bad}\n", "{bad}"),
    ("    errorfile 503 {chunked}\n", "{chunked}"),
    ("    errorfiles nope\n", "unknown http-errors section 'nope'"),
    ("    errorloc303 404\n", "'errorloc303' expects <status_code> and <url>"),
    ("    http-error status 418 content-type t string x\n", "status code '418' not handled"),
    ("    http-error status 503 string x\n", "a content type must be defined"),
    ("    http-error status 503 content-type t string x file {ok}\n", "'string' already defined"),
    ("    http-error status 503 content-type t string x bogus\n", "unknown keyword 'bogus'"),
])
def test_invalid_error_configs_are_refused(sluice_bin, tmp_path, lines, needle):
    files = {"ok": page(tmp_path, "ok", 503, "x"), "bad": str(tmp_path / "bad.http"),
             "chunked": str(tmp_path / "chunked.http")}
    (tmp_path / "bad.http").write_bytes(b"HTTP/1.0 503 X\r\nContent-Length: 9\r\n\r\nshort")
    (tmp_path / "chunked.http").write_bytes(b"HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    out = check(sluice_bin, tmp_path, HEAD + FE + lines.format(**files))
    assert out.returncode != 0, out.stdout + out.stderr
    if not against_haproxy():
        assert f"c.cfg:8: " in out.stderr + out.stdout
        assert needle.format(**files) in out.stderr + out.stdout


def test_log_format_forms_are_refused_until_supported(sluice_bin, tmp_path):
    if against_haproxy():
        pytest.skip("HAProxy evaluates these; sluice refuses them until %[...] formats exist")
    for line in ("    http-error status 503 content-type t lf-string %[path]\n",
                 "    http-error status 503 content-type t string x hdr X-P %[path]\n"):
        out = check(sluice_bin, tmp_path, HEAD + FE + line)
        assert out.returncode != 0
        assert "not supported by sluice yet" in out.stderr + out.stdout


def test_warnings_do_not_stop_the_load(sluice_bin, tmp_path):
    out = check(sluice_bin, tmp_path, f"http-errors e\n    errorfile 403 {page(tmp_path, 'w', 403, 'w')}\n"
                + HEAD + FE + "    errorfiles e 404\n    http-error status 503 content-type t\n")
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert "status '404' not declared in http-errors section 'e'" in text
    assert "content-type 't' ignored" in text


def test_monitor_uri_uses_errorfile_200(sluice, tmp_path):
    s = sluice(HEAD + "frontend fe\n    bind 127.0.0.1:{web}\n    monitor-uri /alive\n"
               f"    errorfile 200 {page(tmp_path, 'm200', 200, 'up')}\n")
    r = get(s.port, "/alive")
    assert (r.status, r.header("x-err"), r.body) == (200, "up", b"up")


def test_listen_pages_when_routed_from_another_frontend(sluice, tmp_path):
    """`s->be` is the listen section: its pages apply, not the routing frontend's."""
    s = sluice(HEAD + "frontend fe\n    bind 127.0.0.1:{web}\n"
               f"    errorfile 503 {page(tmp_path, 'fe503', 503, 'frontend')}\n    default_backend lst\n"
               "listen lst\n    bind 127.0.0.1:{other}\n"
               f"    errorfile 503 {page(tmp_path, 'l503', 503, 'listen')}\n")
    assert get(s.port, "/").header("x-err") == "listen"
    assert get(s["other"], "/").header("x-err") == "listen"
