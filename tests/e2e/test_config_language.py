"""The configuration language around the keywords: `"${VAR}"` expansion (in bind and server
addresses too), the pseudo-variables, and `setenv` / `presetenv` / `unsetenv` / `resetenv`,
which act while the file is read. Each case runs the same against /usr/sbin/haproxy
(SLUICE_BIN=/usr/sbin/haproxy): the expected values were measured there."""
from __future__ import annotations

import os
import subprocess

from harness import HOST, http_get, sluice_bin

DEFAULTS = """defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
"""

# `{lb}` appears only in a comment: the harness gives it a free port and waits for it, while
# the bind line itself reads the port from the environment.
CFG = """
global
    presetenv LB_IP 127.0.0.9
    setenv BACKEND "127.0.0.1:{app}"
    setenv GONE x
    unsetenv GONE
    setenv HDR "X-Split split-value"
    presetenv KEEP_ME nope
""" + DEFAULTS + """frontend fe
    # listens on {lb}
    bind "${LB_IP}:${LB_PORT}"
    http-request set-header X-Where "${.SECTION}:${.LINE}"
    http-request set-header X-Gone "[${GONE-unset}]"
    http-request set-header X-Kept "${KEEP_ME}"
    http-request set-header X-Unquoted $LB_IP
    http-request set-header X-Single '${LB_IP}'
    http-request set-header "${HDR[*]}"
    default_backend be
backend be
    server s1 "${BACKEND}"
"""


def echoed(port: int) -> dict[str, str]:
    r = http_get(port, "/echo")
    assert r.status == 200, r
    out = {}
    for line in r.text.split("\r\n")[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip().lower()] = v.strip()
    return out


def test_variables_in_addresses_and_setenv(sluice, demo_app):
    app = demo_app("A")
    lb = sluice(CFG, start=False, app=app.port)
    env = dict(os.environ, LB_IP=HOST, LB_PORT=str(lb.port), KEEP_ME="from-env")
    lb.start(env=env)
    h = echoed(lb.port)
    line = next(i for i, l in enumerate(lb.config_text.splitlines(), 1) if "X-Where" in l)
    assert h["x-where"] == f"fe:{line}"
    assert h["x-gone"] == "[unset]"
    assert h["x-kept"] == "from-env"           # presetenv keeps what the environment had
    assert h["x-unquoted"] == "$LB_IP"         # no expansion outside double quotes
    assert h["x-single"] == "${LB_IP}"
    assert h["x-split"] == "split-value"       # [*]: one argument per word


RESET = """
global
    resetenv LB_PORT
    setenv LB_IP 127.0.0.1
""" + DEFAULTS + """frontend fe
    # listens on {lb}
    bind "${LB_IP}:${LB_PORT}"
    http-request set-header X-Dropped "[${DROPPED-gone}]"
    default_backend be
backend be
    server s1 127.0.0.1:{app}
"""


def test_resetenv_keeps_only_the_named_variables(sluice, demo_app):
    app = demo_app("A")
    lb = sluice(RESET, start=False, app=app.port)
    lb.start(env=dict(os.environ, LB_PORT=str(lb.port), DROPPED="still-here"))
    assert echoed(lb.port)["x-dropped"] == "[gone]"


def check(text: str, tmp_path, env: dict | None = None) -> subprocess.CompletedProcess:
    cfg = tmp_path / "t.cfg"
    cfg.write_text(text)
    return subprocess.run([str(sluice_bin()), "-c", "-f", str(cfg)], capture_output=True, text=True,
                          timeout=10, env=dict(os.environ, **(env or {})))


BASE = DEFAULTS + """backend be
    server s1 127.0.0.1:8080
"""


def test_removed_keywords_name_their_replacement(tmp_path):
    for line, replacement in [("reqadd X-Foo:\\ bar", "'http-request add-header'"),
                              ("rspdel ^Server:.*", "'http-response del-header'"),
                              ("reqideny ^get", "'http-request deny'"),
                              ("block if TRUE", "'http-request deny'"),
                              ("option http-tunnel", "remove")]:
        r = check(BASE + f"    {line}\n", tmp_path)
        out = r.stdout + r.stderr
        assert r.returncode != 0, out
        assert "t.cfg:8" in out, out
        assert replacement in out, out


def test_expansion_errors_are_startup_errors(tmp_path):
    for bad in ['"a$"', '"${NAME"', '"${1X}"', '"${.NOPE}"', '"${X[1]}"']:
        r = check(BASE + f"    description {bad}\n", tmp_path)
        out = r.stdout + r.stderr
        assert r.returncode != 0, out
        assert "t.cfg:8" in out, out


def test_setenv_errors(tmp_path):
    for bad in ["setenv", "setenv ONLY_NAME", 'setenv NAME ""', "unsetenv", "setenv A=B x"]:
        r = check(f"global\n    {bad}\n" + BASE, tmp_path)
        out = r.stdout + r.stderr
        assert r.returncode != 0, out
        assert "t.cfg:2" in out, out
