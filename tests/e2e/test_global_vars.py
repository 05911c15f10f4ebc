"""proc. variables set in the global section (`set-var`, `set-var-fmt`), read by rules, and
the runtime API's `get var` / `set var` (experimental mode), as HAProxy 2.6 does. Runs against
SLUICE_BIN=/usr/sbin/haproxy too."""
from __future__ import annotations

import os
import subprocess

from harness import http_get, sluice_bin, socat, wait_until
from rawbackend import RawBackend

CFG = """\
global
    stats socket {dir}/admin.sock mode 600 level admin
    stats socket {dir}/oper.sock mode 600 level operator
    set-var proc.int12 int(12)
    set-var proc.dflt var(proc.unset,60)
    set-var proc.str1 str("this is")
    set-var-fmt proc.str "%[var(proc.str1)] a string (%[var(proc.int12)])"
    set-var proc.addr ipv4(192.0.2.1)
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:{port}
    http-request set-header X-Str %[var(proc.str)]
    http-request deny deny_status 429 if { var(proc.int12) -m int gt 100 }
    default_backend be
backend be
    server s1 127.0.0.1:{app}
"""


def test_global_set_var_and_cli(sluice, raw_backend):
    be = raw_backend(RawBackend.PATH_ECHO)
    lb = sluice(CFG, app=be.port)
    admin, oper = f"{lb.dir}/admin.sock", f"{lb.dir}/oper.sock"
    wait_until(lambda: os.path.exists(admin) and os.path.exists(oper), what="the stats sockets")
    assert socat("get var proc.int12", oper) == "proc.int12: type=sint value=<12>\n"
    assert socat("get var proc.dflt", oper) == "proc.dflt: type=str value=<60>\n"
    assert socat("get var proc.str", oper) == "proc.str: type=str value=<this is a string (12)>\n"
    assert socat("get var proc.addr", oper) == "proc.addr: type=ipv4 value=<192.0.2.1>\n"
    assert socat("get var proc.nothing", oper) == "Variable not found.\n\n"
    assert socat("get var", oper) == "Missing process-wide variable identifier.\n\n"
    assert http_get(lb.port, "/").status == 200
    head = be.requests()[0].decode()
    assert "x-str: this is a string (12)\r\n" in head.lower()
    # set var needs experimental mode; the rules see the new value on the next request.
    assert "restricted to experimental mode" in socat("set var proc.int12 int(500)", admin)
    socat("experimental-mode on; set var proc.int12 int(500)", admin)
    assert socat("get var proc.int12", admin) == "proc.int12: type=sint value=<500>\n"
    assert http_get(lb.port, "/").status == 429


def test_global_set_var_errors(tmp_path):
    cfg = tmp_path / "g.cfg"
    cfg.write_text("global\n    set-var txn.x int(1)\n    set-var proc.y req.hdr(host)\n"
                   "defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n"
                   "frontend fe\n    bind 127.0.0.1:65002\n    default_backend be\nbackend be\n    server s 127.0.0.1:1\n")
    r = subprocess.run([str(sluice_bin()), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
    assert f"{cfg}:2" in r.stderr and f"{cfg}:3" in r.stderr, r.stderr
