"""HTTP rule actions (HAProxy 2.6 manual 4.2): return, deny and tarpit with reply arguments,
redirect (and the 1.x `redirect` keyword), auth, set-var/set-var-fmt/unset-var across phases,
replace-header/replace-value, and the request target rewrites as the server sees them.

Everything here also passes with SLUICE_BIN=/usr/sbin/haproxy except where a test says so."""
from __future__ import annotations

import base64
import subprocess
import time

import pytest

from harness import against_haproxy, http_get, http_request, sluice_bin
from rawbackend import RawBackend

DEFAULTS = """
defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
"""

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Multi: a=1, b=2,c=3\r\n\r\nok"


def proxy(sluice, app_port: int, fe_rules: str, be_rules: str = "", extra: str = "", defaults: str = DEFAULTS):
    return sluice(defaults + extra + "frontend web\n    mode http\n    bind 127.0.0.1:{port}\n" + fe_rules +
                  "    default_backend app\nbackend app\n    mode http\n" + be_rules +
                  "    server s1 127.0.0.1:{app}\n", app=app_port)


def request_line(be: RawBackend, n: int) -> bytes:
    return be.wait_requests(n)[n - 1].split(b"\r\n", 1)[0]


def request_headers(be: RawBackend, n: int) -> list[str]:
    """The request's header lines, names in lower case (HAProxy sends them so)."""
    lines = be.wait_requests(n)[n - 1].decode().split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    return [k.lower() + ":" + v for k, _, v in (h.partition(":") for h in lines)]


# ---- return / deny -----------------------------------------------------------------------

def test_return_builds_the_answer(sluice, raw_backend, tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("from a file\n")
    be = raw_backend(OK)
    lb = proxy(sluice, be.port,
               "    http-request return status 201 content-type text/plain string hello hdr X-A \"v%[path]\" "
               "if { path /ret }\n"
               "    http-request return if { path /empty }\n"
               "    http-request return status 404 content-type text/plain lf-string \"no %[path]\" "
               "if { path_beg /lf }\n"
               f"    http-request return content-type text/plain file {page} if {{ path /file }}\n"
               "    http-request deny status 429 content-type application/json string [1] "
               "if { path /deny }\n"
               "    http-request deny deny_status 404 if { path /deny404 }\n")
    r = http_get(lb.port, "/ret")
    assert (r.status, r.body) == (201, b"hello")
    assert r.header("content-type") == "text/plain" and r.header("x-a") == "v/ret"
    r = http_get(lb.port, "/empty")
    assert (r.status, r.body, r.header("content-length")) == (200, b"", "0")
    r = http_get(lb.port, "/lf/x")
    assert (r.status, r.body) == (404, b"no /lf/x")
    r = http_get(lb.port, "/file")
    assert (r.status, r.body) == (200, b"from a file\n")
    r = http_get(lb.port, "/deny")
    assert (r.status, r.body, r.header("content-type")) == (429, b"[1]", "application/json")
    r = http_get(lb.port, "/deny404")
    assert r.status == 404 and b"404" in r.body
    assert be.total_conns == 0   # nothing reached the server


def test_reply_from_errorfile_and_errorfiles(sluice, raw_backend, tmp_path):
    page = tmp_path / "503.http"
    page.write_bytes(b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nbusy\n")
    p404 = tmp_path / "404.http"
    p404.write_bytes(b"HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\ngone\n")
    be = raw_backend(OK)
    lb = proxy(sluice, be.port,
               f"    http-request return errorfile {page} if {{ path /ef }}\n"
               "    http-request deny status 404 errorfiles site if { path /es }\n"
               "    http-request deny status 403 errorfiles site if { path /es403 }\n",
               extra=f"http-errors site\n    errorfile 404 {p404}\n")
    r = http_get(lb.port, "/ef")
    assert (r.status, r.body) == (503, b"busy\n")
    r = http_get(lb.port, "/es")
    assert (r.status, r.body) == (404, b"gone\n")
    r = http_get(lb.port, "/es403")   # not in the section: HAProxy answers an empty reply
    assert (r.status, r.body) == (403, b"")


def test_answers_go_through_http_after_response(sluice, raw_backend):
    be = raw_backend(OK)
    lb = proxy(sluice, be.port,
               "    http-request return status 200 content-type text/plain string body if { path /r }\n"
               "    http-request redirect location /else if { path /x }\n"
               "    http-after-response set-header X-After %[status]\n")
    r = http_get(lb.port, "/r")
    assert (r.status, r.body, r.header("x-after")) == (200, b"body", "200")
    r = http_get(lb.port, "/x")
    assert (r.status, r.header("x-after")) == (302, "302")
    r = http_request(lb.port, "HEAD", "/r")
    assert (r.status, r.body, r.header("content-length")) == (200, b"", "4")


def test_http_response_return_replaces_the_servers_answer(sluice, raw_backend):
    be = raw_backend(OK)
    lb = proxy(sluice, be.port,
               "    http-response return status 503 content-type text/plain string maintenance "
               "if { status 200 }\n")
    r = http_get(lb.port, "/")
    assert (r.status, r.body) == (503, b"maintenance")


# ---- redirect ----------------------------------------------------------------------------

@pytest.mark.parametrize("code,cacheable", [(301, True), (302, False), (303, False), (307, False), (308, True)])
def test_redirect_codes(sluice, raw_backend, code, cacheable):
    be = raw_backend(OK)
    lb = proxy(sluice, be.port, f"    http-request redirect location /new%[path] code {code}\n")
    r = http_get(lb.port, "/old")
    assert r.status == code and r.header("location") == "/new/old"
    assert r.header("content-length") == "0" and r.body == b""
    # Temporary redirects carry Cache-Control: no-cache, permanent ones do not.
    assert (r.header("cache-control") is None) == cacheable
    assert be.total_conns == 0


def test_redirect_prefix_scheme_and_options(sluice, raw_backend):
    be = raw_backend(OK)
    lb = proxy(sluice, be.port,
               "    http-request redirect prefix /pre drop-query append-slash clear-cookie B if { path_beg /a }\n"
               "    http-request redirect prefix https://x.example set-cookie S=1 if { path_beg /b }\n"
               "    http-request redirect scheme https if { path_beg /c }\n"
               "    http-request redirect scheme https drop-query if { path_beg /d }\n"
               "    http-request redirect prefix / if { path_beg /e }\n")
    r = http_get(lb.port, "/a/x?q=1")
    assert r.status == 302 and r.header("location") == "/pre/a/x/"
    assert r.header("set-cookie") == "B; path=/; Max-Age=0;"
    r = http_get(lb.port, "/b/y?q=1")
    assert r.header("location") == "https://x.example/b/y?q=1" and r.header("set-cookie") == "S=1; path=/;"
    r = http_get(lb.port, "/c?q", headers={"Host": "site.test"})
    assert r.header("location") == "https://site.test/c?q"
    r = http_get(lb.port, "/d?q", headers={"Host": "site.test"})
    assert r.header("location") == "https://site.test/d"
    r = http_get(lb.port, "/e/z")
    assert r.header("location") == "/e/z"


def test_redirect_keyword_runs_after_http_request_rules(sluice, raw_backend):
    # The 1.x `redirect` line: HAProxy evaluates it after every http-request rule of the
    # section, wherever it is written (and warns about the order).
    be = raw_backend(RawBackend.PATH_ECHO)
    lb = proxy(sluice, be.port,
               "    redirect location /moved code 301 if { path /old }\n"
               "    redirect prefix /v2 if { path_beg /api }\n"
               "    http-request return status 200 content-type text/plain string first if { path /old } "
               "{ hdr(x-first) -m found }\n"
               "    http-request set-path /api%[path] if { path /legacy }\n")
    r = http_get(lb.port, "/old")
    assert (r.status, r.header("location")) == (301, "/moved")
    r = http_get(lb.port, "/old", headers={"X-First": "1"})
    assert (r.status, r.body) == (200, b"first")
    r = http_get(lb.port, "/legacy")   # rewritten by http-request, then redirected
    assert (r.status, r.header("location")) == (302, "/v2/api/legacy")
    r = http_get(lb.port, "/other")
    assert (r.status, r.body) == (200, b"/other")


# ---- auth --------------------------------------------------------------------------------

USERLIST = "userlist users\n    user bob insecure-password s3cret\n"


def basic(user: str, pw: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}


def test_auth_asks_for_credentials(sluice, raw_backend):
    be = raw_backend(OK)
    lb = proxy(sluice, be.port,
               "    http-request auth realm Private if { path_beg /private } !{ http_auth(users) }\n"
               "    http-request auth if { path_beg /plain } !{ http_auth(users) }\n", extra=USERLIST)
    r = http_get(lb.port, "/private")
    assert r.status == 401 and r.header("www-authenticate") == 'Basic realm="Private"'
    r = http_get(lb.port, "/private", headers=basic("bob", "wrong"))
    assert r.status == 401
    r = http_get(lb.port, "/plain")
    assert r.status == 401 and r.header("www-authenticate") == 'Basic realm="web"'   # the proxy's name
    assert be.total_conns == 0
    r = http_get(lb.port, "/private", headers=basic("bob", "s3cret"))
    assert (r.status, r.body) == (200, b"ok")


# ---- tarpit ------------------------------------------------------------------------------

def test_tarpit_holds_then_answers(sluice, raw_backend):
    be = raw_backend(OK)
    defaults = DEFAULTS + "    timeout tarpit 400ms\n"
    lb = proxy(sluice, be.port,
               "    http-request tarpit if { path /slow }\n"
               "    http-request tarpit deny_status 403 if { path /slow403 }\n", defaults=defaults)
    for path, status in (("/slow", 500), ("/slow403", 403)):
        t0 = time.monotonic()
        r = http_get(lb.port, path)
        took = time.monotonic() - t0
        assert r.status == status
        assert 0.35 <= took < 4.0, took   # held for timeout tarpit, not much longer
    t0 = time.monotonic()
    assert http_get(lb.port, "/fast").status == 200
    assert time.monotonic() - t0 < 0.35
    assert be.total_conns == 1


# ---- variables ---------------------------------------------------------------------------

def test_variables_cross_phases(sluice, raw_backend):
    be = raw_backend(OK)
    lb = proxy(sluice, be.port,
               "    http-request set-var(txn.path) path\n"
               "    http-request set-var-fmt(txn.both) \"%[method] %[path]\"\n"
               "    http-request set-var(txn.first,ifnotexists) str(one)\n"
               "    http-request set-var(txn.first,ifnotexists) str(two)\n"
               "    http-request set-var(txn.gone) str(x)\n"
               "    http-request unset-var(txn.gone)\n"
               "    http-request set-var(sess.n) int(7)\n"
               "    http-request set-var(txn.n) int(5)\n"
               "    http-request set-var(txn.n,ifgt) int(3)\n"
               "    http-request set-var(txn.n,ifgt) int(9)\n"
               "    http-request set-header X-Req-Var %[var(txn.path)]\n"
               "    http-response set-header X-Path %[var(txn.path)]\n"
               "    http-response set-header X-Both %[var(txn.both)]\n"
               "    http-response set-header X-First %[var(txn.first)]\n"
               "    http-response set-header X-Gone %[var(txn.gone,none)]\n"
               "    http-response set-header X-N %[var(txn.n)]-%[var(sess.n)]\n"
               "    http-after-response set-var(res.st) status\n"
               "    http-after-response set-header X-St %[var(res.st)]\n")
    r = http_get(lb.port, "/some/where?x=1")
    assert r.status == 200
    assert r.header("x-path") == "/some/where" and r.header("x-both") == "GET /some/where"
    assert r.header("x-first") == "one" and r.header("x-gone") == "none"
    assert r.header("x-n") == "3-7" and r.header("x-st") == "200"
    assert "x-req-var: /some/where" in request_headers(be, 1)


# ---- header rewrites ---------------------------------------------------------------------

def test_replace_header_and_value(sluice, raw_backend):
    be = raw_backend(OK)
    lb = proxy(sluice, be.port,
               "    http-request replace-header X-Host ^(.*)\\.internal$ \\1.example\n"
               "    http-request replace-value X-List ^secret$ redacted\n"
               "    http-request replace-header Cookie foo=([^;]*);(.*) foo=\\1;p=%[path];\\2\n"
               "    http-response replace-value X-Multi ^b=(.*)$ B=\\1\n")
    r = http_get(lb.port, "/p", headers=[("X-Host", "app.internal"), ("X-List", "a, secret,b"),
                                          ("X-List", "secret"), ("Cookie", "foo=bar; other=1")])
    assert r.status == 200 and r.header("x-multi") == "a=1,B=2,c=3"
    hs = request_headers(be, 1)
    assert "x-host: app.example" in hs
    assert [h for h in hs if h.startswith("x-list")] == ["x-list: a,redacted,b", "x-list: redacted"]
    assert "cookie: foo=bar;p=/p; other=1" in hs


# ---- request target rewrites ---------------------------------------------------------------

REWRITES = [
    ("set-path /new%[path]", "/a/b?q=1", b"GET /new/a/b?q=1 HTTP/1.1"),
    ("set-pathq /only", "/a/b?q=1", b"GET /only HTTP/1.1"),
    ("set-query x=%[query]", "/a?q=1", b"GET /a?x=q=1 HTTP/1.1"),
    ("set-query x=1", "/a", b"GET /a?x=1 HTTP/1.1"),
    ("set-query %[query]", "/a", b"GET /a HTTP/1.1"),
    ("set-uri /u%[url]", "/a?q", b"GET /u/a?q HTTP/1.1"),
    ("set-method PUT", "/a", b"PUT /a HTTP/1.1"),
    ("replace-path /old/(.*) /new/\\1", "/old/x?q=/old/y", b"GET /new/x?q=/old/y HTTP/1.1"),
    ("replace-pathq ^/a\\?(.*) /b?z&\\1", "/a?q=1", b"GET /b?z&q=1 HTTP/1.1"),
    ("replace-uri ^/([^/]*)/(.*) /\\2/\\1", "/one/two", b"GET /two/one HTTP/1.1"),
    ("replace-path /nomatch /x", "/a", b"GET /a HTTP/1.1"),
]


@pytest.mark.parametrize("rule,path,expect", REWRITES, ids=[r[0].split()[0] + "-" + str(i) for i, r in enumerate(REWRITES)])
def test_target_rewrites_reach_the_server(sluice, raw_backend, rule, path, expect):
    be = raw_backend(OK)
    lb = proxy(sluice, be.port, f"    http-request {rule}\n    http-request set-header X-Path %[path]\n")
    r = http_get(lb.port, path)
    assert r.status == 200
    line = request_line(be, 1)
    assert line == expect
    # Later fetches see the new value.
    new_target = line.split(b" ")[1].decode()
    assert f"x-path: {new_target.split('?')[0]}" in request_headers(be, 1)


def test_set_path_keeps_the_absolute_form_origin(sluice, raw_backend):
    be = raw_backend(OK)
    lb = proxy(sluice, be.port, "    http-request set-path /p%[path]\n")
    r = http_request(lb.port, "GET", "http://test/x?y")
    assert r.status == 200
    assert request_line(be, 1) == b"GET http://test/p/x?y HTTP/1.1"


def test_bad_rewrite_fails_the_request(sluice, raw_backend):
    # A value with a space would split the request line: the rewrite fails and, strict
    # mode being on by default, the request is answered 500.
    be = raw_backend(OK)
    lb = proxy(sluice, be.port, "    http-request set-path %[hdr(x-p)]\n")
    r = http_get(lb.port, "/a", headers={"X-P": "/a b"})
    if against_haproxy():
        pytest.skip(f"HAProxy answered {r.status}")
    assert r.status == 500
    assert be.total_conns == 0


# ---- load errors ---------------------------------------------------------------------------

def check(tmp_path, rules: str) -> subprocess.CompletedProcess:
    cfg = tmp_path / "x.cfg"
    cfg.write_text(DEFAULTS + "frontend web\n    mode http\n    bind 127.0.0.1:65000\n" + rules +
                   "    default_backend app\nbackend app\n    mode http\n    server s1 127.0.0.1:1\n")
    return subprocess.run([str(sluice_bin()), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=20)


@pytest.mark.parametrize("rule,needle", [
    ("http-request redirect location /x code 304", "code"),
    ("http-request redirect elsewhere /x", "location"),
    ("http-request return status 200 string x", "content type"),
    ("http-request return status 200 bogus x", "bogus"),
    ("http-request set-var(nope) str(x)", "scope"),
    ("http-request set-var(txn.x,ifmaybe) str(x)", "ifmaybe"),
    ("http-request replace-header X ( y", "regex"),
    ("http-request set-path", "expects"),
])
def test_bad_arguments_are_load_errors(tmp_path, rule, needle):
    r = check(tmp_path, f"    {rule}\n")
    assert r.returncode != 0, r.stderr
    assert "x.cfg:9" in r.stderr + r.stdout
    if not against_haproxy():
        assert needle in r.stderr, r.stderr


def test_set_method_changes_the_request_line_not_the_method_fetch(sluice, raw_backend):
    # HAProxy's `method` keeps the method as received after set-method.
    be = raw_backend(OK)
    lb = proxy(sluice, be.port, "    http-request set-method PUT if { path /m }\n",
               be_rules="    http-request set-header X-M %[method]\n")
    assert http_get(lb.port, "/m").status == 200
    assert request_line(be, 1) == b"PUT /m HTTP/1.1"
    assert "x-m: GET" in request_headers(be, 1)


def test_rule_answers_keep_the_connection(sluice, raw_backend):
    """return, deny, redirect and auth answer a request and keep the connection for the next
    one, as HAProxy does, when the request's body (if any) has arrived with it."""
    from harness import HttpConn
    be = raw_backend(OK)
    lb = proxy(sluice, be.port,
               "    http-request return status 200 content-type text/plain string hi if { path /r }\n"
               "    http-request deny if { path /d }\n"
               "    http-request redirect location /x if { path /red }\n"
               "    http-request auth if { path /a }\n")
    with HttpConn(lb.port) as c:
        got = [c.request("GET", p).status for p in ("/r", "/d", "/red", "/a", "/")]
    assert got == [200, 403, 302, 401, 200]
    assert len(be.requests()) == 1
    with HttpConn(lb.port) as c:
        assert c.request("POST", "/d", body=b"payload").status == 403
        assert c.request("GET", "/r").status == 200
