"""Descriptor limits (issue 12): maxconn derived from RLIMIT_NOFILE, the limit raised for an
explicit maxconn, `ulimit-n`, `show info` telling the truth, and running out of descriptors
pausing the accept loop (one log line, no spinning) until clients leave.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from harness import HttpConn, http_get, sluice_bin, socat, wait_until

CFG = """\
global
    stats socket {dir}/admin.sock level admin
{limits}
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:{bind}
    default_backend be
backend be
    server s1 127.0.0.1:{p1}
"""


def info(lb) -> dict[str, int]:
    out = {}
    for line in socat("show info", lb.admin_sock).splitlines():
        k, _, v = line.partition(": ")
        if k in ("Ulimit-n", "Maxsock", "Maxconn", "Hard_maxconn"):
            out[k] = int(v)
    return out


def nofile(soft: int, hard: int | None = None):
    hard = hard or resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize("soft,hard", [(256, 256), (100, 256)])
def test_maxconn_derived_from_the_descriptor_limit(demo_app, sluice, soft, hard):
    app = demo_app("s1")
    lb = sluice(CFG, start=False, p1=app.port, limits="")
    lb.start(preexec_fn=nofile(soft, hard))
    i = info(lb)
    assert i["Ulimit-n"] == 256   # the soft limit is raised to the hard one, as haproxy does
    # Two descriptors per connection, a reserve for the rest (about 30 here).
    assert 100 <= i["Maxconn"] < 128, i
    assert 2 * i["Maxconn"] < i["Maxsock"] <= 256, i
    assert i["Hard_maxconn"] == i["Maxconn"]


def test_explicit_maxconn_raises_the_soft_limit(demo_app, sluice):
    app = demo_app("s1")
    lb = sluice(CFG, start=False, p1=app.port, limits="    maxconn 300")
    lb.start(preexec_fn=nofile(256))
    i = info(lb)
    assert i["Maxconn"] == 300
    assert i["Maxsock"] > 600
    assert i["Ulimit-n"] == i["Maxsock"], i


def test_ulimit_n_sets_the_limit(demo_app, sluice):
    app = demo_app("s1")
    lb = sluice(CFG, p1=app.port, limits="    ulimit-n 3000")
    i = info(lb)
    assert i["Ulimit-n"] == 3000
    assert 2 * i["Maxconn"] < i["Maxsock"] <= 3000, i


@pytest.fixture
def public_dir():
    d = Path(tempfile.mkdtemp(prefix="pub-", dir="/tmp"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="switches to nobody to be unprivileged")
def test_unprivileged_maxconn_beyond_the_hard_limit_refuses_to_start(public_dir):
    cfg = public_dir / "sluice.cfg"
    cfg.write_text(CFG.format(dir=public_dir, limits="    maxconn 1000", bind=0, p1=1).replace("    stats socket", "    #"))

    def limited_nobody():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)

    res = subprocess.run([str(sluice_bin()), "-f", str(cfg)], capture_output=True, text=True, timeout=20,
                         stdin=subprocess.DEVNULL, preexec_fn=limited_nobody)
    assert res.returncode != 0
    assert "cannot raise the file descriptor limit to" in res.stderr, res.stderr
    assert "the hard limit is 64 and only root may raise it" in res.stderr, res.stderr


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime + stime


FD_LINE = "reached the system FD limit"


def test_out_of_descriptors_pauses_accepting_without_spinning(demo_app, sluice):
    app = demo_app("s1")
    # maxconn far above what 64 descriptors hold: accept() itself runs out.
    lb = sluice(CFG, p1=app.port, limits="    ulimit-n 64\n    maxconn 1000")
    assert info(lb)["Ulimit-n"] == 64
    assert "ulimit-n 64 is lower than" in lb.log()
    clients = []
    try:
        for _ in range(100):   # the kernel queues what sluice cannot accept
            clients.append(socket.create_connection(("127.0.0.1", lb.port), timeout=5))
        wait_until(lambda: FD_LINE in lb.log(), what="the out-of-descriptors message")
        before, t0 = cpu_seconds(lb.proc.pid), time.monotonic()
        time.sleep(1.0)   # a measurement window, not a wait: CPU used while starved
        used = cpu_seconds(lb.proc.pid) - before
        elapsed = time.monotonic() - t0
        print(f"starved for {elapsed:.2f}s: {used:.3f}s of CPU")
        assert used < 0.2 * elapsed, f"{used:.2f}s of CPU in {elapsed:.2f}s: the accept loop spins"
        assert lb.log().count(FD_LINE) == 1, lb.log()[-2000:]
    finally:
        for c in clients:
            c.close()
    # The queued connections are accepted (and end) as descriptors free up; service resumes.
    wait_until(lambda: http_get(lb.port, "/", timeout=2).status == 200, what="service to resume")
    with HttpConn(lb.port) as c:
        assert c.request().status == 200
    assert lb.log().count(FD_LINE) == 1
